"""Verifies the DKIM signature of an email file with dkimpy, answering the DNS lookup of the
selector's key from the command line instead of the network.

Usage: dkim_verify.py EMAIL_FILE PUBLIC_KEY_BASE64
Prints "pass" and exits 0 when the signature verifies; prints "fail" and exits 1 otherwise.
"""

import sys

import dkim


def main():
    message = open(sys.argv[1], "rb").read()
    record = b"v=DKIM1; k=rsa; p=" + sys.argv[2].encode()

    def dns(name, timeout=5):
        return record

    ok = dkim.verify(message, dnsfunc=dns)
    print("pass" if ok else "fail")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
