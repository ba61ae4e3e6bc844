"""A real SMTP server (aiosmtpd) on loopback for Beacon's delivery tests.

Usage: smtp_policy_server.py PORT DIR [starttls|tls CERT KEY]

Recipients whose local part starts with "soft" are refused with 451 on their first two tries
and accepted after; those starting with "hard" are refused with 550 every time. Every accepted
message is written whole to DIR/NNNNNN.eml. With "starttls" the server requires STARTTLS
before MAIL; with "tls" it speaks TLS from the first byte; both with the certificate and key
given. The server prints "ready" once it listens.
"""

import asyncio
import itertools
import os
import ssl
import sys

from aiosmtpd.controller import Controller


class PolicyHandler:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.tries = {}
        self.counter = itertools.count()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("hard"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("soft"):
            tries = self.tries.get(address, 0) + 1
            self.tries[address] = tries
            if tries <= 2:
                return "451 4.7.1 <%s>: Recipient address rejected: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(self.out_dir, "%06d.eml" % next(self.counter))
        with open(path + ".tmp", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued"


def main():
    port, out_dir = int(sys.argv[1]), sys.argv[2]
    options = {}
    if len(sys.argv) > 3:
        mode, cert, key = sys.argv[3:6]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        if mode == "starttls":
            options = {"tls_context": context, "require_starttls": True}
        else:
            options = {"ssl_context": context}
    controller = Controller(
        PolicyHandler(out_dir), hostname="127.0.0.1", port=port, **options
    )
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
