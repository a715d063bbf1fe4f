#!/usr/bin/env bash
# Internal-control benchmark (issue 18). A synthetic municipality of 20 boards × 10 years,
# each plan with 30 risks × 3 actions and 10 controls × 12 occurrences (200 plans, 6,000
# risks, 18,000 actions, 2,000 controls, 24,000 occurrences), then KS's oversight page
# (/internal-control?year=…) for a signed-in reader:
#   - one uncached render (page cache off): single requests, median of 20;
#   - under 32 concurrent connections with the page cache on and off (median, p99);
#   - each as a ratio to serving the same page as a static file from the same server in
#     the same run.
#
#   bash bench/internal_control.sh            # SQLite under bench/out/
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/uppsikt_bench_ic bash bench/internal_control.sh
#
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set;
# BENCH_SMOKE=1 runs it in seconds (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
bench_init internal_control 10
fresh_database
gen_start=$(now)
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards "$(size 20 2)" --goals 20 --indicators 20 --years 2
"$BIN" --database-url "$DATABASE_URL" bench internal-control --years "$(size 10 2)" --risks "$(size 30 3)" \
    --actions-per-risk "$(size 3 1)" --controls "$(size 10 2)" --occurrences "$(size 12 2)"
echo "generated_in_s=$(python3 -c "import time; print(round(time.time()-$gen_start, 1))")"
YEAR=$("$BIN" --database-url "$DATABASE_URL" bench internal-control-year)
add_bench_user

PAGE="/internal-control?year=$YEAR"

for cache in off on; do
    start_server "$cache"
    sign_in "$BENCH_USER" "$PASSWORD"
    get "$PAGE" > "$OUT/static/internal-control.html"
    grep -q 'Intern kontroll' "$OUT/static/internal-control.html" || fail "no oversight page"
    boards=$(grep -o '<th scope="row">' "$OUT/static/internal-control.html" | wc -l)
    echo "internal-control oversight cache=$cache year=$YEAR boards=$boards bytes=$(wc -c < "$OUT/static/internal-control.html")"
    if [ "$cache" = off ]; then
        # One uncached render, alone: the median of 20 single requests, beside the static file's.
        page_ms=$(single "$BASE$PAGE"); static_ms=$(single "$BASE/files/internal-control.html")
        echo "  single_uncached_render_ms=$page_ms static_file_ms=$static_ms"
    fi
    page_vs_static oversight "$PAGE" internal-control.html
    stop_servers
done
