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
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
DURATION="${DURATION:-10}"
OUT=bench/out/internal_control
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
gen_start=$(date +%s.%N)
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards 20 --goals 20 --indicators 20 --years 2
"$BIN" --database-url "$DATABASE_URL" bench internal-control --years 10 --risks 30 --actions-per-risk 3 --controls 10 --occurrences 12
echo "generated_in_s=$(python3 -c "import time; print(round(time.time()-$gen_start, 1))")"
YEAR=$("$BIN" --database-url "$DATABASE_URL" bench internal-control-year)
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
echo "$PASSWORD" | "$BIN" --database-url "$DATABASE_URL" user add bench-reader --name "Bänk Läsare" --role reader --password-stdin >/dev/null

. bench/lib/serve.sh

PAGE="/internal-control?year=$YEAR"

for cache in off on; do
    run_server "$cache"
    BASE="http://127.0.0.1:$PORT"
    curl -fs -H "Cookie: $COOKIE" "$BASE$PAGE" > "$OUT/static/internal-control.html"
    grep -q 'Intern kontroll' "$OUT/static/internal-control.html" || { echo "no oversight page" >&2; exit 1; }
    boards=$(grep -o '<th scope="row">' "$OUT/static/internal-control.html" | wc -l)
    echo "internal-control oversight cache=$cache year=$YEAR boards=$boards bytes=$(wc -c < "$OUT/static/internal-control.html")"
    if [ "$cache" = off ]; then
        # One uncached render, alone: the median of 20 single requests, beside the static file's.
        page_ms=$(single "$BASE$PAGE"); static_ms=$(single "$BASE/files/internal-control.html")
        echo "  single_uncached_render_ms=$page_ms static_file_ms=$static_ms"
    fi
    wrk -t2 -c32 -d2s -H "Cookie: $COOKIE" "$BASE$PAGE" >/dev/null   # warm-up
    read -r o50 o99 orps oerr < <(load "$BASE$PAGE")
    read -r s50 s99 srps serr < <(load "$BASE/files/internal-control.html")
    echo "  oversight   median_ms=$o50 p99_ms=$o99 req_per_s=$orps errors=$oerr"
    echo "  static_file median_ms=$s50 p99_ms=$s99 req_per_s=$srps errors=$serr"
    ratio oversight "$o50" "$o99" "$s50" "$s99"
    stop_server
done
