#!/usr/bin/env bash
# Smoke runs of every bench script (test.sh runs this after `cargo test`): each with
# BENCH_SMOKE=1, i.e. tiny sizes, one-second load runs, the debug binary and a fresh SQLite
# file (PostgreSQL parts only when a server answers); see bench/lib.sh. No figure is
# checked, only that each script still works: one line per script, "ok", "SKIPPED" (a
# tool is missing; a failure when UPPSIKT_REQUIRE_TOOLS=1) or "FAILED" followed by the
# end of its output; the exit status is non-zero when one failed.
#
#   bash bench/smoke.sh                 # every script
#   bash bench/smoke.sh load kolada     # some of them
set -uo pipefail
cd "$(dirname "$0")/.."
export BENCH_SMOKE=1
LOGS=bench/out/smoke
mkdir -p "$LOGS"

# Every bench script, and the KS 2019 agreement check (Python, its own server).
scripts=("$@")
if [ ${#scripts[@]} = 0 ]; then
    for f in bench/*.sh; do
        name=$(basename "$f" .sh)
        case "$name" in lib | smoke) continue ;; esac
        scripts+=("$name")
    done
    scripts+=(ks2019_agreement)
fi

# The debug binary every script uses, built once here (cargo test has usually built it).
BIN="${CARGO_TARGET_DIR:-target}/debug/uppsikt"
[ -x "$BIN" ] || cargo build -q -p uppsikt || { echo "FAILED: cargo build -p uppsikt" >&2; exit 1; }

failed=0
start_all=$(date +%s)
for name in "${scripts[@]}"; do
    log="$LOGS/$name.log"
    start=$(date +%s)
    if [ "$name" = ks2019_agreement ]; then
        python3 bench/ks2019_agreement.py --bin "$BIN" >"$log" 2>&1
    else
        bash "bench/$name.sh" >"$log" 2>&1
    fi
    status=$?
    secs=$(( $(date +%s) - start ))
    if [ "$status" = 0 ]; then
        printf '%-20s ok (%ss)\n' "$name" "$secs"
        # A part left out (PostgreSQL not answering, LibreOffice missing) is said so.
        grep '^SKIPPED' "$log" | sed 's/^/    /'
    elif [ "$status" = 77 ] && [ "${UPPSIKT_REQUIRE_TOOLS:-0}" != 1 ]; then
        printf '%-20s %s\n' "$name" "$(grep -m1 '^SKIPPED' "$log" || echo SKIPPED)"
    else
        printf '%-20s FAILED (exit %s after %ss; %s):\n' "$name" "$status" "$secs" "$log"
        tail -n 15 "$log" | sed 's/^/    /'
        failed=1
    fi
done
echo "bench smoke runs: $(( $(date +%s) - start_all ))s"
exit "$failed"
