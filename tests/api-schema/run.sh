#!/usr/bin/env bash
# Checks the public JSON API against its OpenAPI document with schemathesis: a demo server (which
# has an archive of earlier alerts) answers generated requests, and every response must be a
# documented status, match its schema and never be a 5xx.
#
#   BEACON_BIN   a built beacon binary (default target/debug/beacon)
#
# Exits with schemathesis's exit code.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

BEACON_BIN=${BEACON_BIN:-target/debug/beacon}
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BEACON_BIN" demo --data-dir "$tmp/demo" --bind "127.0.0.1:$port" >"$tmp/demo.log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

status=0
schemathesis run "http://127.0.0.1:$port/api/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 60 --generation-deterministic --request-timeout 10 || status=$?
if ((status != 0)); then
  echo "--- the demo server's log ---"
  tail -50 "$tmp/demo.log"
fi
exit "$status"
