#!/usr/bin/env bash
# Report benchmark (issue 3): builds the municipality-wide annual report of the synthetic
# large municipality (see bench/foundation.sh) as PDF and prints its time and page count,
# and, in the same run, the time Debian's LibreOffice (headless) takes to convert the HTML
# version of the same report to PDF, with the ratio.
# Needs: libreoffice-writer (apt-get install -y libreoffice-writer), poppler-utils.
# BENCH_SMOKE=1 builds a small municipality's report on the debug build (see bench/lib.sh)
# and leaves out the LibreOffice baseline when LibreOffice is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need pdfinfo poppler-utils
LIBREOFFICE=1
if ! command -v libreoffice >/dev/null; then
    [ "$SMOKE" = 1 ] || fail "libreoffice is missing: apt-get install -y libreoffice-writer"
    LIBREOFFICE=0
fi
bench_init report
DB="$OUT/synthetic.db"
if [ "$SMOKE" = 1 ] || [ ! -f "$DB" ]; then
    rm -f "$DB"*
    "$BIN" --database-url "sqlite://$DB" bench synthetic --boards "$(size 20 2)" --goals "$(size 400 10)" \
        --indicators "$(size 4000 20)" --years "$(size 15 2)"
fi
URL="sqlite://$DB"
"$BIN" --database-url "$URL" report --org Synt --period 2024 --format html -o "$OUT/municipality.html" >/dev/null
t0=$(now)
RUST_LOG=uppsikt=debug,uppsikt_report_pdf=debug \
    "$BIN" --database-url "$URL" report --org Synt --period 2024 --format pdf -o "$OUT/municipality.pdf" 2>"$OUT/phases.log" ||
    { cat "$OUT/phases.log" >&2; fail "uppsikt report --format pdf"; }
t1=$(now)
# The phases, from the debug log: model built, typst layout, PDF export (ms).
sed -e 's/\x1b\[[0-9;]*m//g' "$OUT/phases.log" | grep -E "report model built|typst layout|pdf export" |
    sed -E 's/.*DEBUG [a-z_]+: ([a-z ]+) (pages=[0-9]+ )?ms=([0-9]+).*/phase \1: \3 ms/'

pages=$(pdfinfo "$OUT/municipality.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
[ -n "$pages" ] || fail "the report is no readable PDF"
if [ "$LIBREOFFICE" = 0 ]; then
    python3 -c "print(f'uppsikt_pdf_s={$t1 - $t0:.2f} pages=$pages')"
    echo "SKIPPED (report, LibreOffice baseline): libreoffice is missing (apt-get install -y libreoffice-writer)"
    exit 0
fi
rm -rf "$OUT/lo" && mkdir -p "$OUT/lo"
t2=$(now)
libreoffice --headless --norestore --convert-to pdf --outdir "$OUT/lo" "$OUT/municipality.html" >/dev/null 2>&1
t3=$(now)
lo_pages=$(pdfinfo "$OUT/lo/municipality.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
python3 - "$t0" "$t1" "$t2" "$t3" "$pages" "$lo_pages" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
ours, lo = t1 - t0, t3 - t2
print(f"uppsikt_pdf_s={ours:.2f} pages={sys.argv[5]}")
print(f"libreoffice_html_to_pdf_s={lo:.2f} pages={sys.argv[6]}")
print(f"ratio libreoffice/uppsikt={lo / ours:.1f}x")
PY
