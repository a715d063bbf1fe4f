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
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
DURATION="${DURATION:-10}"
OUT=bench/out/areas
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
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards 20 --goals 5 --indicators 5 --years 2
GEN=$("$BIN" --database-url "$DATABASE_URL" bench areas --areas 40 --years 10 --forums 100)
echo "$GEN"
AREA=$(echo "$GEN" | sed -n 's/.* area=\([0-9]*\).*/\1/p')
STATUTE=$(echo "$GEN" | sed -n 's/.* statute=\([0-9]*\).*/\1/p')
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
echo "$PASSWORD" | "$BIN" --database-url "$DATABASE_URL" user add bench-reader --name "Bänk Läsare" --role reader --password-stdin >/dev/null

. bench/lib/serve.sh

for cache in off on; do
    run_server "$cache"
    BASE="http://127.0.0.1:$PORT"
    for page in area compliance; do
        case $page in
            area) PAGE="/areas/$AREA"; MARK='Lägesbild' ;;
            compliance) PAGE="/statutes/$STATUTE"; MARK='krav uppfyllda' ;;
        esac
        curl -fs -H "Cookie: $COOKIE" "$BASE$PAGE" > "$OUT/static/$page.html"
        grep -q "$MARK" "$OUT/static/$page.html" || { echo "no $page page" >&2; exit 1; }
        echo "$page page cache=$cache bytes=$(wc -c < "$OUT/static/$page.html")"
        if [ "$cache" = off ]; then
            page_ms=$(single "$BASE$PAGE"); static_ms=$(single "$BASE/files/$page.html")
            echo "  single_uncached_render_ms=$page_ms static_file_ms=$static_ms"
        fi
        wrk -t2 -c32 -d2s -H "Cookie: $COOKIE" "$BASE$PAGE" >/dev/null   # warm-up
        read -r o50 o99 orps oerr < <(load "$BASE$PAGE")
        read -r s50 s99 srps serr < <(load "$BASE/files/$page.html")
        echo "  ${page}_page median_ms=$o50 p99_ms=$o99 req_per_s=$orps errors=$oerr"
        echo "  static_file median_ms=$s50 p99_ms=$s99 req_per_s=$srps errors=$serr"
        ratio "${page}_page" "$o50" "$o99" "$s50" "$s99"
    done
    stop_server
done
