#!/usr/bin/env bash
# Areas and the crime-prevention register benchmark (issue 20). A synthetic municipality
# (20 boards) with 40 kommundelar × 10 years of weekly lägesbilder (one per area and week:
# 20,800), three tertial and one overall report a year over every area, 100 forums and a
# statute with eight duties. Then, for a signed-in reader, the page of the area with the
# most levels (/areas/{id}) and the statute's compliance page (/statutes/{id}):
#   - one uncached render (page cache off; median of 20 single requests);
#   - under 32 concurrent connections with the page cache on and off (median, p99);
#   - each as a ratio to serving the same page as a static file from the same server in
#     the same run.
#
#   bash bench/areas.sh            # SQLite under bench/out/
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/uppsikt_bench_areas bash bench/areas.sh
#
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set;
# BENCH_SMOKE=1 runs it in seconds (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
bench_init areas 10
fresh_database
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards "$(size 20 2)" --goals 5 --indicators 5 --years 2
GEN=$("$BIN" --database-url "$DATABASE_URL" bench areas --areas "$(size 40 3)" --years "$(size 10 1)" --forums "$(size 100 3)")
echo "$GEN"
AREA=$(echo "$GEN" | sed -n 's/.* area=\([0-9]*\).*/\1/p')
STATUTE=$(echo "$GEN" | sed -n 's/.* statute=\([0-9]*\).*/\1/p')
[ -n "$AREA" ] && [ -n "$STATUTE" ] || fail "bench areas named no area or statute"
add_bench_user

for cache in off on; do
    start_server "$cache"
    sign_in "$BENCH_USER" "$PASSWORD"
    for page in area compliance; do
        case $page in
            area) PAGE="/areas/$AREA"; MARK='Lägesbild' ;;
            compliance) PAGE="/statutes/$STATUTE"; MARK='krav uppfyllda' ;;
        esac
        get "$PAGE" > "$OUT/static/$page.html"
        grep -q "$MARK" "$OUT/static/$page.html" || fail "no $page page"
        echo "$page page cache=$cache bytes=$(wc -c < "$OUT/static/$page.html")"
        if [ "$cache" = off ]; then
            page_ms=$(single "$BASE$PAGE"); static_ms=$(single "$BASE/files/$page.html")
            echo "  single_uncached_render_ms=$page_ms static_file_ms=$static_ms"
        fi
        page_vs_static "${page}_page" "$PAGE" "$page.html"
    done
    stop_servers
done
