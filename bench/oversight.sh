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
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 15) may be set;
# BENCH_SMOKE=1 runs it in seconds (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
bench_init oversight 15
DEVIATIONS="${DEVIATIONS:-$(size 100000 200)}"
ACTIONS="${ACTIONS:-$(size 300000 600)}"
fresh_database
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards "$(size 20 2)" --goals "$(size 400 10)" \
    --indicators "$(size 4000 20)" --years "$(size 15 2)"
"$BIN" --database-url "$DATABASE_URL" bench deviations --deviations "$DEVIATIONS" --actions "$ACTIONS"
add_bench_user

for cache in on off; do
    start_server "$cache"
    sign_in "$BENCH_USER" "$PASSWORD"
    start=$(now)
    get /uppsikt > "$OUT/static/uppsikt.html"
    first_ms=$(python3 -c "import time; print(f'{(time.time()-$start)*1000:.0f}')")
    grep -q 'Avvikelser utan beslut' "$OUT/static/uppsikt.html" || fail "no oversight page"
    echo "oversight cache=$cache deviations=$DEVIATIONS actions=$ACTIONS bytes=$(wc -c < "$OUT/static/uppsikt.html") first_request_ms=$first_ms"
    # A single request, alone: what one rebuild of the page costs.
    echo "  single_request_ms=$(curl -fs -o /dev/null -w '%{time_total}' -H "Cookie: $COOKIE" "$BASE/uppsikt" | python3 -c 'import sys; print(round(float(sys.stdin.read())*1000))')"
    page_vs_static oversight /uppsikt uppsikt.html
    if [ "$cache" = off ]; then
        s50=$M50 s99=$M99
        measure drill_down "$BASE/uppsikt/list?concern=undecided"
        echo "  drill_down  median_ms=$M50 p99_ms=$M99 req_per_s=$MRPS errors=$MERR"
        ratio drill_down "$M50" "$M99" "$s50" "$s99"
    fi
    stop_servers
done
