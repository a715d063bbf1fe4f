#!/usr/bin/env bash
# Lighthouse's four scores (performance, accessibility, best practices, SEO) for every public
# page, in its default mobile preset with Debian's Chromium (never a downloaded browser):
# starts `uppsikt demo` on a free port with a fresh SQLite file, runs e2e/lighthouse.mjs and
# stops the server. Exits non-zero if any page scores below 100 in accessibility, best
# practices or SEO (performance is reported only: a shared 2-core machine is noisy).
#
#   bash bench/lighthouse.sh            # the debug build (what the tests use)
#   PROFILE=release bash bench/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/chromium ] || { echo "lighthouse: /usr/bin/chromium saknas (apt-get install -y chromium)" >&2; exit 2; }
[ -f e2e/node_modules/lighthouse/cli/index.js ] || { echo "SKIPPED (lighthouse): npm ci i e2e/ först" >&2; exit 77; }

dir="${CARGO_TARGET_DIR:-target}"
if [ "${PROFILE:-debug}" = release ]; then
  cargo build --release -q -p uppsikt >&2
  BIN="$dir/release/uppsikt"
else
  cargo build -q -p uppsikt >&2
  BIN="$dir/debug/uppsikt"
fi

tmp=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" demo --database-url "sqlite://$tmp/demo.db" --addr "127.0.0.1:$PORT" >"$tmp/server.log" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.2
done
echo "lighthouse 12.2.3, mobil förinställning, $(/usr/bin/chromium --version 2>/dev/null), $(basename "$BIN") ${PROFILE:-debug}"
node e2e/lighthouse.mjs "http://127.0.0.1:$PORT"
