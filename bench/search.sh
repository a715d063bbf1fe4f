#!/usr/bin/env bash
# Search benchmark (issue 17). On the demo database (`uppsikt demo --no-serve`) it prints,
# for a signed-in controller and for the public, under 8 concurrent connections with the
# page cache off (search pages are never cached):
#   - /sok?q=trygghet (every goal, indicator, commitment and deviation stemmed and scored
#     per request), median and p99 latency;
#   - the KS board page (/org/ID), the baseline, in the same run;
#   - their ratio.
#
#   bash bench/search.sh
#
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set;
# PROFILE=debug uses the debug build (quicker to build; compare the ratio, not the times).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
DURATION="${DURATION:-10}"
OUT=bench/out/search
mkdir -p "$OUT"
PROFILE="${PROFILE:-release}"
if [ "$PROFILE" = release ]; then cargo build --release -q -p uppsikt; else cargo build -q -p uppsikt; fi
BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/uppsikt"
echo "# profile: $PROFILE"
rm -f "$OUT"/demo.db*
DATABASE_URL="sqlite://$OUT/demo.db"
RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" demo --no-serve >/dev/null 2>&1
PASSWORD=uppsikt-demo

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

PORT=$(free_port)
UPPSIKT_PAGE_CACHE=off RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" --addr "127.0.0.1:$PORT" serve \
    >/dev/null 2>"$OUT/server.log" &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
COOKIE=$(curl -s -o /dev/null -D - -H "Origin: $BASE" --data-urlencode "username=controller" --data-urlencode "password=$PASSWORD" \
    "$BASE/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | paste -sd ';' -)
[ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }
KS=$(curl -fs -H "Cookie: $COOKIE" "$BASE/" | grep -o 'href="/org/[0-9]*">Kommunstyrelsen' | head -1 | grep -o '[0-9]\+')
[ -n "$KS" ] || { echo "no KS on the start page" >&2; exit 1; }
curl -fs -H "Cookie: $COOKIE" "$BASE/sok?q=trygghet" | grep -q 'Trygg utomhus' || { echo "search finds nothing" >&2; exit 1; }

load() { # $1 = url, $2 = cookie header value ("" for the public)
    local args=()
    [ -n "$2" ] && args=(-H "Cookie: $2")
    wrk -t2 -c8 -d"${DURATION}s" --timeout 10s --latency "${args[@]}" "$1" | python3 bench/wrk_stats.py
}

for who in controller public; do
    c="$COOKIE"; [ "$who" = public ] && c=""
    board="$BASE/org/$KS"; [ "$who" = public ] && board="$BASE/org/$KS?period=2019"
    wrk -t2 -c8 -d2s ${c:+-H "Cookie: $c"} "$BASE/sok?q=trygghet" >/dev/null   # warm-up
    read -r q50 q99 qrps qerr < <(load "$BASE/sok?q=trygghet" "$c")
    read -r b50 b99 brps berr < <(load "$board" "$c")
    echo "search as $who (page cache off, demo data)"
    echo "  /sok?q=trygghet median_ms=$q50 p99_ms=$q99 req_per_s=$qrps errors=$qerr"
    echo "  board page      median_ms=$b50 p99_ms=$b99 req_per_s=$brps errors=$berr"
    python3 -c "print(f'  ratio search/board: median={$q50/$b50:.2f}x p99={$q99/$b99:.2f}x' if $b50 > 0 and $b99 > 0 else '  ratio: none')"
done
