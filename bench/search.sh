#!/usr/bin/env bash
# Search benchmark (issue 17). On the demo database (`uppsikt demo --no-serve`) it prints,
# for a signed-in controller and for the public, under 8 concurrent connections with the
# page cache off (search pages are never cached):
#   - /sok?q=trygghet (every goal, indicator, commitment and deviation stemmed and scored
#     per request), median and p99 latency;
#   - the KS board page (/org/ID), the baseline, in the same run;
#   - their ratio.
#
#   bash bench/search.sh
#
# Needs wrk (apt-get install -y wrk). DURATION (seconds per run, default 10) may be set;
# PROFILE=debug uses the debug build (quicker to build; compare the ratio, not the times);
# BENCH_SMOKE=1 runs it in seconds (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
bench_init search 10
DATABASE_URL=""
fresh_database
RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" demo --no-serve >/dev/null 2>&1 || fail "uppsikt demo"

start_server off
sign_in controller uppsikt-demo
KS=$(get / | grep -o 'href="/org/[0-9]*">Kommunstyrelsen' | head -1 | grep -o '[0-9]\+')
[ -n "$KS" ] || fail "no KS on the start page"
get "/sok?q=trygghet" | grep -q 'Trygg utomhus' || fail "search finds nothing"
SIGNED_IN="$COOKIE"

for who in controller public; do
    COOKIE="$SIGNED_IN"; [ "$who" = public ] && COOKIE=""
    board="$BASE/org/$KS"; [ "$who" = public ] && board="$BASE/org/$KS?period=2019"
    warm_up "$BASE/sok?q=trygghet"
    measure search "$BASE/sok?q=trygghet" 8
    q50=$M50 q99=$M99 qrps=$MRPS qerr=$MERR
    measure board "$board" 8
    echo "search as $who (page cache off, demo data)"
    echo "  /sok?q=trygghet median_ms=$q50 p99_ms=$q99 req_per_s=$qrps errors=$qerr"
    echo "  board page      median_ms=$M50 p99_ms=$M99 req_per_s=$MRPS errors=$MERR"
    python3 -c "print(f'  ratio search/board: median={$q50/$M50:.2f}x p99={$q99/$M99:.2f}x' if $M50 > 0 and $M99 > 0 else '  ratio: none')"
done
