#!/usr/bin/env bash
# Kolada import benchmark (issue 6). Generates VALUES (default 10 million) Kolada values as
# API v3 data pages (5,000 items a page, T/K/M per item, ~1 % null values) and the same
# values as CSV, then in one run:
#   - SQLite:     `uppsikt import kolada --from DIR` into a fresh database, and the
#                 database's own bulk load of the CSV (`sqlite3 .import`) into the same
#                 table of another fresh database;
#   - PostgreSQL: the same import, and `COPY … FROM STDIN (FORMAT csv)` (psql \copy);
# printing seconds, values per second and the ratio import/bulk load for each backend.
# Every load is checked to hold every value. The generated files (~1 GB for 10 million
# values) and databases are removed at the end.
#
#   bash bench/kolada.sh
#   VALUES=1000000 bash bench/kolada.sh             # a quicker run
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres bash bench/kolada.sh
#   BENCH_SMOKE=1 bash bench/kolada.sh       # 3,000 values, debug build (see bench/lib.sh)
#
# Needs sqlite3 and psql (apt-get install -y sqlite3 postgresql-client) and a PostgreSQL
# server (skipped with a message when none answers).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need sqlite3
bench_init kolada
VALUES="${VALUES:-$(size 10000000 3000)}"
PG_DB=uppsikt_bench_kolada
PG_URL="${PG_ADMIN_URL%/*}/$PG_DB"

rm -rf "$OUT"
mkdir -p "$OUT"
cleanup() {
    rm -rf "$OUT"
    if command -v psql >/dev/null; then
        psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
per_second() { python3 -c "print(f'{$1 / ($3 - $2):,.0f}')"; }

t0=$(now)
"$BIN" bench kolada-pages --values "$VALUES" --out "$OUT/pages" --csv "$OUT/values.csv"
t1=$(now)
N=$(wc -l < "$OUT/values.csv")
echo "# generated $N values in $(ls "$OUT/pages" | wc -l) pages ($(du -sh "$OUT/pages" | cut -f1) JSON, $(du -sh "$OUT/values.csv" | cut -f1) CSV) in $(secs "$t0" "$t1") s"

check_count() { # $1 = what, $2 = count found
    [ "$2" = "$N" ] || fail "$1 holds $2 values, expected $N"
}

# The import, timed with the process (start, migrations, reading, writing, commit).
import_uppsikt() { # $1 = database URL; prints seconds
    local a b
    RUST_LOG=warn "$BIN" --database-url "$1" migrate
    a=$(now)
    RUST_LOG=warn "$BIN" --database-url "$1" import kolada --from "$OUT/pages" >"$OUT/import.log" 2>&1 ||
        { cat "$OUT/import.log" >&2; fail "uppsikt import kolada into $1"; }
    b=$(now)
    secs "$a" "$b"
}

echo "## SQLite"
ours=$(import_uppsikt "sqlite://$OUT/uppsikt.db")
check_count "uppsikt (SQLite)" "$(sqlite3 "$OUT/uppsikt.db" 'SELECT count(*) FROM kolada_values')"
rm -f "$OUT"/uppsikt.db*
RUST_LOG=warn "$BIN" --database-url "sqlite://$OUT/native.db" migrate
a=$(now)
sqlite3 "$OUT/native.db" ".import --csv $OUT/values.csv kolada_values"
b=$(now)
native=$(secs "$a" "$b")
check_count "sqlite3 .import" "$(sqlite3 "$OUT/native.db" 'SELECT count(*) FROM kolada_values')"
rm -f "$OUT"/native.db*
echo "uppsikt_import_sqlite_s=$ours values_per_s=$(per_second "$N" 0 "$ours")"
echo "sqlite3_import_s=$native values_per_s=$(per_second "$N" 0 "$native")"
python3 -c "print(f'ratio uppsikt/sqlite3_import={$ours / $native:.2f}x (aim: at most 2x; at least 500,000 values/s)')"

echo "## PostgreSQL"
postgres_or_skip PostgreSQL || exit 0
fresh_pg() { fresh_postgres "$PG_DB" >/dev/null; }
fresh_pg
ours=$(import_uppsikt "$PG_URL")
check_count "uppsikt (PostgreSQL)" "$(psql -tA "$PG_URL" -c 'SELECT count(*) FROM kolada_values')"
fresh_pg
RUST_LOG=warn "$BIN" --database-url "$PG_URL" migrate
a=$(now)
psql -q "$PG_URL" -c "\\copy kolada_values (kpi, municipality, year, gender, value, status) FROM '$OUT/values.csv' WITH (FORMAT csv, FORCE_NOT_NULL (status))"
b=$(now)
native=$(secs "$a" "$b")
check_count "COPY" "$(psql -tA "$PG_URL" -c 'SELECT count(*) FROM kolada_values')"
echo "uppsikt_import_postgres_s=$ours values_per_s=$(per_second "$N" 0 "$ours")"
echo "postgres_copy_s=$native values_per_s=$(per_second "$N" 0 "$native")"
python3 -c "print(f'ratio uppsikt/copy={$ours / $native:.2f}x (aim: at most 1.2x)')"
