#!/usr/bin/env bash
# Economy benchmark (issue 21). A large municipality's ledger of one year, synthetic:
# 2,000 responsibility units × 1,500 accounts (32 per unit) × 12 months of #PSALDO and
# #PBUDGET in a CP437 SIE 4 file of about 70 MB. For each backend, in the same run:
#   - `uppsikt import-sie`: wall time and peak memory (max RSS);
#   - the baseline: the same rows as CSV loaded by `sqlite3 .import` (SQLite) or
#     `\copy` (PostgreSQL) into a table of the same columns, and the ratio import/baseline;
#   - the verksamhetsberättelse of the synthetic board with its economy chapter (2,000
#     ansvar rows) as HTML and PDF.
#
#   bash bench/economy.sh              # SQLite, and PostgreSQL when PG_URL answers
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres bash bench/economy.sh
#   BENCH_SMOKE=1 bash bench/economy.sh   # 20 units × 4 accounts, debug build (see bench/lib.sh)
#
# Needs sqlite3, GNU time (/usr/bin/time) and for PostgreSQL psql (postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need sqlite3
need /usr/bin/time time
bench_init economy
UNITS="${UNITS:-$(size 2000 20)}"
PER_UNIT="${PER_UNIT:-$(size 32 4)}"
YEAR=2026

timed() { # label command… → prints "label seconds max_rss_mb"
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > "$OUT/$label.log" 2>&1 || { cat "$OUT/$label.log" >&2; fail "$label"; }
    read -r secs kb < "$OUT/time.txt"
    echo "$label $secs $((kb / 1024))"
}

run() { # backend url
    local backend=$1 url=$2
    echo "# backend: $backend"
    local gen
    gen=$("$BIN" --database-url "$url" bench economy --units "$UNITS" --accounts-per-unit "$PER_UNIT" --year "$YEAR" --out "$OUT")
    echo "# $gen"
    local rows
    rows=$(echo "$gen" | sed -n 's/.* rows=\([0-9]*\).*/\1/p')
    local t
    t=$(timed "import_$backend" "$BIN" --database-url "$url" import-sie "$OUT/synthetic.se" --unit bench-economy)
    read -r _ import_s import_mb <<< "$t"
    local base_s
    if [ "$backend" = sqlite ]; then
        rm -f "$OUT/baseline.db"
        sqlite3 "$OUT/baseline.db" "CREATE TABLE raw (item TEXT, year_index INTEGER, period TEXT, account INTEGER, object TEXT, amount REAL);"
        t=$(timed "baseline_$backend" sqlite3 "$OUT/baseline.db" ".mode csv" ".import $OUT/rows.csv raw")
    else
        psql -q "$url" -c "DROP TABLE IF EXISTS bench_raw" -c "CREATE TABLE bench_raw (item TEXT, year_index INTEGER, period TEXT, account INTEGER, object TEXT, amount NUMERIC)"
        t=$(timed "baseline_$backend" psql -q "$url" -c "\\copy bench_raw FROM '$OUT/rows.csv' CSV")
    fi
    read -r _ base_s _ <<< "$t"
    local ratio
    ratio=$(python3 -c "print(f'{$import_s / max($base_s, 0.01):.2f}')")
    echo "sie_import backend=$backend rows=$rows seconds=$import_s peak_rss_mb=$import_mb baseline_seconds=$base_s ratio=${ratio}x"
    t=$(timed "report_html_$backend" "$BIN" --database-url "$url" report --org SyntN --period "$YEAR" --format html -o "$OUT/vb.html")
    read -r _ html_s html_mb <<< "$t"
    t=$(timed "report_pdf_$backend" "$BIN" --database-url "$url" report --org SyntN --period "$YEAR" --format pdf -o "$OUT/vb.pdf")
    read -r _ pdf_s pdf_mb <<< "$t"
    echo "economy_chapter backend=$backend html_seconds=$html_s html_peak_mb=$html_mb pdf_seconds=$pdf_s pdf_peak_mb=$pdf_mb html_bytes=$(stat -c %s "$OUT/vb.html") pdf_bytes=$(stat -c %s "$OUT/vb.pdf")"
}

rm -f "$OUT"/synthetic.db*
run sqlite "sqlite://$OUT/synthetic.db"
if postgres_or_skip PostgreSQL; then
    run postgres "$(fresh_postgres uppsikt_bench_economy)"
fi
