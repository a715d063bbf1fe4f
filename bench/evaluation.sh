#!/usr/bin/env bash
# Evaluation benchmark (issue 16): the time to evaluate every goal of the synthetic large
# municipality (20 boards, 400 goals, 4,000 indicators, 15 years; surveys with derived
# margins, registers, published margins, both trend windows) with the current rules, and
# the same with an earlier build of uppsikt as the baseline, measured in the same run:
#
#   BEFORE=/path/to/older/uppsikt bash bench/evaluation.sh
#
# Prints evaluate_all_goals_ms (pure domain evaluation and roll-up) and
# load_and_evaluate_all_goals_ms for each binary, and the ratio current / baseline.
# Without BEFORE it measures the current build only (the issue's bar: < 100 ms).
# BENCH_SMOKE=1 runs it in seconds on the debug build (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_init evaluation
NOW="$BIN"
SIZE=(--boards "${BOARDS:-$(size 20 2)}" --goals "${GOALS:-$(size 400 10)}" --indicators "${INDICATORS:-$(size 4000 20)}" --years "${YEARS:-$(size 15 2)}")

evaluate_with() { # label binary
    local db="$OUT/$1.db"
    rm -f "$db"*
    "$2" --database-url "sqlite://$db" bench synthetic "${SIZE[@]}" >/dev/null
    "$2" --database-url "sqlite://$db" bench evaluate --rounds "${ROUNDS:-$(size 7 1)}" | sed "s/^/$1 /"
}

now=$(evaluate_with current "$NOW")
echo "$now"
if [ -n "${BEFORE:-}" ]; then
    before=$(evaluate_with baseline "$BEFORE")
    echo "$before"
    ratio() { # key
        local a b
        a=$(echo "$now" | sed -n "s/^current $1=//p")
        b=$(echo "$before" | sed -n "s/^baseline $1=//p")
        python3 -c "import sys; print('ratio $1 current/baseline = %.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$a" "$b"
    }
    ratio evaluate_all_goals_ms
    ratio load_and_evaluate_all_goals_ms
fi
