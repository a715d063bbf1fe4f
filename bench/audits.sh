#!/usr/bin/env bash
# Audit recommendations benchmark (issue 19). A synthetic municipality with 20 years × 15
# audits × 8 recommendations (2,400 recommendations, a quarter of them to two boards),
# two in three audits answered, a verdict per recommendation each year until closed. Then:
#   - the auditors' follow-up report of the last year as PDF: median build time;
#   - the recommendations page of the board with the most (/audits/boards/{id}) for a
#     signed-in reader:
#     one uncached render (page cache off; median of 20 single requests), and under 32
#     concurrent connections with the page cache on and off (median, p99);
#   - each as a ratio to serving the same page as a static file from the same server in
#     the same run.
#
#   bash bench/audits.sh            # SQLite under bench/out/
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/uppsikt_bench_audits bash bench/audits.sh
#
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set;
# BENCH_SMOKE=1 runs it in seconds (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
bench_init audits 10
fresh_database
gen_start=$(now)
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards "$(size 20 2)" --goals 5 --indicators 5 --years 2
GEN=$("$BIN" --database-url "$DATABASE_URL" bench audits --years "$(size 20 2)" --audits "$(size 15 2)" --recommendations "$(size 8 2)")
echo "$GEN"
BOARD=$(echo "$GEN" | sed -n 's/.* board=\([0-9]*\).*/\1/p')
[ -n "$BOARD" ] || fail "bench audits named no board"
echo "generated_in_s=$(python3 -c "import time; print(round(time.time()-$gen_start, 1))")"
"$BIN" --database-url "$DATABASE_URL" bench audit-report --rounds "$(size 5 1)"
add_bench_user

for cache in off on; do
    start_server "$cache"
    sign_in "$BENCH_USER" "$PASSWORD"
    PAGE="/audits/boards/$BOARD"
    get "$PAGE" > "$OUT/static/board.html"
    grep -q 'Revisionens rekommendationer' "$OUT/static/board.html" || fail "no board page"
    rows=$(grep -o '<th scope="row">' "$OUT/static/board.html" | wc -l)
    echo "audits board page cache=$cache rows=$rows bytes=$(wc -c < "$OUT/static/board.html")"
    if [ "$cache" = off ]; then
        page_ms=$(single "$BASE$PAGE"); static_ms=$(single "$BASE/files/board.html")
        echo "  single_uncached_render_ms=$page_ms static_file_ms=$static_ms"
    fi
    page_vs_static board_page "$PAGE" board.html
    stop_servers
done
