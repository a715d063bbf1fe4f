#!/usr/bin/env bash
# Foundation benchmark (issue 2). Generates a synthetic large municipality (20 boards,
# 400 goals, 4,000 indicators, 15 years × 5 breakdowns = 300,000 outcomes) in SQLite and
# prints:
#   - the time to evaluate every goal (domain evaluation and roll-up; and with loading
#     everything from the database first);
#   - the board page's median and p99 latency under 32 concurrent connections, with the page
#     cache on (normal operation) and off (every request rebuilds the page from the
#     database), each as a ratio to serving the same page's HTML as a static file from the
#     same server in the same run.
# Needs wrk (apt-get install wrk). DURATION (seconds per load run, default 15) and
# DATABASE_URL (default: a fresh SQLite file under bench/out/) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
DURATION="${DURATION:-15}"
OUT=bench/out
mkdir -p "$OUT/static"
cargo build --release -q -p uppsikt
BIN="${CARGO_TARGET_DIR:-target}/release/uppsikt"
if [ -z "${DATABASE_URL:-}" ]; then
    rm -f "$OUT"/synthetic.db*
    DATABASE_URL="sqlite://$OUT/synthetic.db"
fi
echo "# database: $DATABASE_URL"
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards 20 --goals 400 --indicators 4000 --years 15
"$BIN" --database-url "$DATABASE_URL" bench evaluate --rounds 7
# The board page is read by a signed-in reader: the synthetic municipality has no decided
# period, so a visitor would only be told that nothing is decided yet.
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
"$BIN" --database-url "$DATABASE_URL" user add bench-reader --name "Bänk Läsare" --role reader \
    --password-stdin <<<"$PASSWORD" >/dev/null 2>&1 || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

run_server() { # $1 = page cache on|off
    PORT=$(free_port)
    UPPSIKT_PAGE_CACHE="$1" RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" --addr "127.0.0.1:$PORT" \
        serve --files-dir "$OUT/static" >/dev/null 2>"$OUT/server-$1.log" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "server did not start" >&2; cat "$OUT/server-$1.log" >&2; exit 1; }
    COOKIE=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" --data-urlencode "username=bench-reader" \
        --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$PORT/login" \
        | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | paste -sd ';' -)
    [ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }
}

load() { # $1 = url
    wrk -t2 -c32 -d"${DURATION}s" --latency -H "Cookie: $COOKIE" "$1" | python3 bench/wrk_stats.py
}

for cache in on off; do
    run_server "$cache"
    BOARD=$(curl -fs -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/v1/org-units" | python3 -c 'import json,sys; print(next(u["id"] for u in json.load(sys.stdin)["org_units"] if u["kind"]=="namnd"))')
    PAGE="http://127.0.0.1:$PORT/org/$BOARD"
    curl -fs -H "Cookie: $COOKIE" "$PAGE" > "$OUT/static/board.html"
    GOALS=$(grep -o 'href="/goals/' "$OUT/static/board.html" | wc -l)
    wrk -t2 -c32 -d2s -H "Cookie: $COOKIE" "$PAGE" >/dev/null   # warm-up
    read -r b50 b99 brps berr < <(load "$PAGE")
    read -r s50 s99 srps serr < <(load "http://127.0.0.1:$PORT/files/board.html")
    echo "board_page cache=$cache bytes=$(wc -c < "$OUT/static/board.html") goal_links=$GOALS"
    echo "  board_page  median_ms=$b50 p99_ms=$b99 req_per_s=$brps errors=$berr"
    echo "  static_file median_ms=$s50 p99_ms=$s99 req_per_s=$srps errors=$serr"
    python3 -c "print(f'  ratio board/static: median={$b50/$s50:.2f}x p99={$b99/$s99:.2f}x throughput={$srps/$brps:.2f}x')"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
done
