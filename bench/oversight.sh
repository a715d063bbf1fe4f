#!/usr/bin/env bash
# Oversight benchmark (issue 5). On the synthetic large municipality of the foundation
# benchmark (20 boards, 400 goals, 4,000 indicators, 15 years of outcomes) it writes
# 100,000 deviations and 300,000 actions and prints, under 32 concurrent connections of a
# signed-in reader:
#   - the oversight view (/uppsikt): median and p99 latency with the page cache on (normal
#     operation) and off (every request counts all deviations and actions again);
#   - one drill-down page (the oldest 100 undecided deviations), cache off;
#   - each as a ratio to serving the same oversight page as a static file from the same
#     server in the same run (the foundation issue's baseline).
#
#   bash bench/oversight.sh            # SQLite under bench/out/
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/uppsikt_bench bash bench/oversight.sh
#
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 15) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
DURATION="${DURATION:-15}"
DEVIATIONS="${DEVIATIONS:-100000}"
ACTIONS="${ACTIONS:-300000}"
OUT=bench/out/oversight
mkdir -p "$OUT/static"
cargo build --release -q -p uppsikt
BIN="${CARGO_TARGET_DIR:-target}/release/uppsikt"
if [ -z "${DATABASE_URL:-}" ]; then
    rm -f "$OUT"/synthetic.db*
    DATABASE_URL="sqlite://$OUT/synthetic.db"
elif [[ "$DATABASE_URL" == postgres* ]]; then
    admin="${DATABASE_URL%/*}/postgres"; name="${DATABASE_URL##*/}"
    psql -q "$admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
fi
echo "# database: $DATABASE_URL"
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards 20 --goals 400 --indicators 4000 --years 15
"$BIN" --database-url "$DATABASE_URL" bench deviations --deviations "$DEVIATIONS" --actions "$ACTIONS"
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
echo "$PASSWORD" | "$BIN" --database-url "$DATABASE_URL" user add bench-reader --name "Bänk Läsare" --role reader --password-stdin >/dev/null

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
    COOKIE=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" --data-urlencode "username=bench-reader" --data-urlencode "password=$PASSWORD" \
        "http://127.0.0.1:$PORT/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | paste -sd ';' -)
    [ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }
}

load() { # $1 = url
    wrk -t2 -c32 -d"${DURATION}s" --timeout 10s --latency -H "Cookie: $COOKIE" "$1" | python3 bench/wrk_stats.py
}

ratio() { # a run in which no request finished within wrk's timeout has no latency to divide
    python3 -c "print(f'  ratio $1/static: median={$2/$4:.2f}x p99={$3/$5:.2f}x' if $2 > 0 and $4 > 0 else '  ratio $1/static: none (no request finished within the 10 s timeout)')"
}

for cache in on off; do
    run_server "$cache"
    BASE="http://127.0.0.1:$PORT"
    start=$(date +%s.%N)
    curl -fs -H "Cookie: $COOKIE" "$BASE/uppsikt" > "$OUT/static/uppsikt.html"
    first_ms=$(python3 -c "import time; print(f'{(time.time()-$start)*1000:.0f}')")
    grep -q 'Avvikelser utan beslut' "$OUT/static/uppsikt.html" || { echo "no oversight page" >&2; exit 1; }
    wrk -t2 -c32 -d2s -H "Cookie: $COOKIE" "$BASE/uppsikt" >/dev/null   # warm-up
    read -r o50 o99 orps oerr < <(load "$BASE/uppsikt")
    read -r s50 s99 srps serr < <(load "$BASE/files/uppsikt.html")
    echo "oversight cache=$cache deviations=$DEVIATIONS actions=$ACTIONS bytes=$(wc -c < "$OUT/static/uppsikt.html") first_request_ms=$first_ms"
    # A single request, alone: what one rebuild of the page costs.
    echo "  single_request_ms=$(curl -fs -o /dev/null -w '%{time_total}' -H "Cookie: $COOKIE" "$BASE/uppsikt" | python3 -c 'import sys; print(round(float(sys.stdin.read())*1000))')"
    echo "  oversight   median_ms=$o50 p99_ms=$o99 req_per_s=$orps errors=$oerr"
    echo "  static_file median_ms=$s50 p99_ms=$s99 req_per_s=$srps errors=$serr"
    ratio oversight "$o50" "$o99" "$s50" "$s99"
    if [ "$cache" = off ]; then
        read -r l50 l99 lrps lerr < <(load "$BASE/uppsikt/list?concern=undecided")
        echo "  drill_down  median_ms=$l50 p99_ms=$l99 req_per_s=$lrps errors=$lerr"
        ratio drill_down "$l50" "$l99" "$s50" "$s99"
    fi
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
done
