#!/usr/bin/env bash
# The browser walks in headless Chromium (tests/browser/*.test.mjs: the resident's and the police
# sender's) against a demo server. The tests get:
#
#   BEACON_URL       the demo server
#   BEACON_OUTBOX    the directory where it writes one .eml file per email
#   BEACON_DEMO_LOG  a file holding the demo's stdout (the demo staff accounts and their keys)
#
# It reads:
#
#   BEACON_BIN       a built beacon binary (default target/debug/beacon); this script builds nothing
#   CHROMIUM_PATH    the browser (default /usr/bin/chromium, Debian's chromium package)
#
# Arguments, if any, are the test files to run (default: every tests/browser/*.test.mjs).
#
# Exits with the test runner's exit code.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

BEACON_BIN=${BEACON_BIN:-target/debug/beacon}
if [[ ! -x "$BEACON_BIN" ]]; then
  echo "run.sh: no beacon binary at $BEACON_BIN: build it first (cargo build) or set BEACON_BIN" >&2
  exit 2
fi
if [[ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then
  echo "run.sh: no Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium}: apt-get install chromium" >&2
  exit 2
fi

if [[ ! -d tests/browser/node_modules ]]; then
  (cd tests/browser && npm ci --no-audit --no-fund)
fi

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"

# stdout (what the demo prints: its URLs and staff accounts) and stderr (the log) apart.
RUST_LOG=warn "$BEACON_BIN" demo --data-dir "$tmp/demo" --bind "127.0.0.1:$port" >"$tmp/demo.out" 2>"$tmp/server.log" &
server_pid=$!

ready=
for _ in $(seq 1 120); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    status=0
    wait "$server_pid" || status=$?
    server_pid=
    echo "run.sh: the beacon demo server exited early (status $status). Its output and log:" >&2
    cat "$tmp/demo.out" "$tmp/server.log" >&2
    exit 1
  fi
  if [[ $(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$url/readyz" || true) == 200 ]]; then
    ready=1
    break
  fi
  sleep 0.5
done
if [[ -z "$ready" ]]; then
  echo "run.sh: the beacon demo server was not ready at $url/readyz within 60 s. Its output and log:" >&2
  cat "$tmp/demo.out" "$tmp/server.log" >&2
  exit 1
fi

files=("$@")
if ((${#files[@]} == 0)); then
  files=(tests/browser/*.test.mjs)
fi
status=0
BEACON_URL="$url" BEACON_OUTBOX="$tmp/demo/outbox/email" BEACON_DEMO_LOG="$tmp/demo.out" \
  node --test --test-reporter=spec "${files[@]}" || status=$?

if [[ $status -ne 0 ]]; then
  echo "--- the beacon demo server's output ---" >&2
  cat "$tmp/demo.out" >&2
  echo "--- the beacon demo server's log ---" >&2
  cat "$tmp/server.log" >&2
fi
exit "$status"
