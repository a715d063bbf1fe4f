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
# DATABASE_URL (default: a fresh SQLite file under bench/out/) may be set; BENCH_SMOKE=1
# runs it in seconds (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
bench_init foundation 15
fresh_database
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards "$(size 20 2)" --goals "$(size 400 10)" \
    --indicators "$(size 4000 20)" --years "$(size 15 2)"
"$BIN" --database-url "$DATABASE_URL" bench evaluate --rounds "$(size 7 1)"
# The board page and the API are read by a signed-in reader: the synthetic municipality has
# no decided period, so a visitor would only be told that nothing is decided yet, and the
# API answers only the signed-in.
add_bench_user

for cache in on off; do
    start_server "$cache"
    sign_in "$BENCH_USER" "$PASSWORD"
    BOARD=$(get /api/v1/org-units | python3 -c 'import json,sys; print(next(u["id"] for u in json.load(sys.stdin)["org_units"] if u["kind"]=="namnd"))')
    get "/org/$BOARD" > "$OUT/static/board.html"
    GOALS=$(grep -o 'href="/goals/' "$OUT/static/board.html" | wc -l)
    [ "$GOALS" -gt 0 ] || fail "the board page links no goal"
    echo "board_page cache=$cache bytes=$(wc -c < "$OUT/static/board.html") goal_links=$GOALS"
    page_vs_static board_page "/org/$BOARD" board.html
    stop_servers
done
