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
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
DURATION="${DURATION:-10}"
OUT=bench/out/audits
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
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards 20 --goals 5 --indicators 5 --years 2
GEN=$("$BIN" --database-url "$DATABASE_URL" bench audits --years 20 --audits 15 --recommendations 8)
echo "$GEN"
BOARD=$(echo "$GEN" | sed -n 's/.* board=\([0-9]*\).*/\1/p')
echo "generated_in_s=$(python3 -c "import time; print(round(time.time()-$gen_start, 1))")"
"$BIN" --database-url "$DATABASE_URL" bench audit-report --rounds 5
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
echo "$PASSWORD" | "$BIN" --database-url "$DATABASE_URL" user add bench-reader --name "Bänk Läsare" --role reader --password-stdin >/dev/null

. bench/lib/serve.sh

for cache in off on; do
    run_server "$cache"
    BASE="http://127.0.0.1:$PORT"
    PAGE="/audits/boards/$BOARD"
    curl -fs -H "Cookie: $COOKIE" "$BASE$PAGE" > "$OUT/static/board.html"
    grep -q 'Revisionens rekommendationer' "$OUT/static/board.html" || { echo "no board page" >&2; exit 1; }
    rows=$(grep -o '<th scope="row">' "$OUT/static/board.html" | wc -l)
    echo "audits board page cache=$cache rows=$rows bytes=$(wc -c < "$OUT/static/board.html")"
    if [ "$cache" = off ]; then
        page_ms=$(single "$BASE$PAGE"); static_ms=$(single "$BASE/files/board.html")
        echo "  single_uncached_render_ms=$page_ms static_file_ms=$static_ms"
    fi
    wrk -t2 -c32 -d2s -H "Cookie: $COOKIE" "$BASE$PAGE" >/dev/null   # warm-up
    read -r o50 o99 orps oerr < <(load "$BASE$PAGE")
    read -r s50 s99 srps serr < <(load "$BASE/files/board.html")
    echo "  board_page  median_ms=$o50 p99_ms=$o99 req_per_s=$orps errors=$oerr"
    echo "  static_file median_ms=$s50 p99_ms=$s99 req_per_s=$srps errors=$serr"
    ratio board_page "$o50" "$o99" "$s50" "$s99"
    stop_server
done
