#!/usr/bin/env bash
# Open data and the public API benchmark (issue 23). It prints:
#   - public API answers per second under 32 connections (wrk, no sign-in) for
#     /api/public/v1/indicators and /api/public/v1/indicators/ID on the decided demo, and
#     the same for a static file (/static/style.css) in the same run, and their ratio
#     (aim: at most 2x: the answers are the same for everyone and cached per data version);
#   - the same list answered 304 (If-None-Match with its ETag);
#   - the size of every full download (indicators, outcomes, assessments; CSV for Excel,
#     RFC 4180 CSV and JSON) and the time of its first request (serialised then) and of a
#     second one (served from the per-version buffer), for the demo and for the synthetic
#     municipality (`uppsikt bench synthetic`, its every outcome made public by one
#     decision of the municipality's top unit, imported as an uppsikt/1 file), with the
#     server's peak memory (VmHWM).
#
#   bash bench/open_data.sh
#
# Needs wrk (apt-get install -y wrk). DURATION (seconds per wrk run, default 10) may be set;
# PROFILE=debug uses the debug build (compare the ratios, not the times); BENCH_SMOKE=1 runs
# it in seconds with a tiny synthetic municipality (see bench/lib.sh). The public limit per
# address (60 requests per 10 s by default) is raised with --public-rate for the load runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
bench_init open_data 10
RATE=100000000

downloads() { # LABEL: size and time of every download on $BASE, and the server's memory
    local label="$1" stem fmt path first second bytes
    for stem in indikatorer utfall bedomningar; do
        for fmt in "csv?format=excel" "csv?format=rfc4180" json; do
            path="/oppna-data/$stem.$fmt"
            read -r bytes first < <(curl -fsS -o /dev/null -w '%{size_download} %{time_total}\n' "$BASE$path") ||
                fail "GET $path"
            read -r _ second < <(curl -fsS -o /dev/null -w '%{size_download} %{time_total}\n' "$BASE$path") ||
                fail "GET $path"
            python3 -c "print(f'  $label %-32s bytes=%10d first_ms=%8.1f again_ms=%7.1f' % ('$path', $bytes, $first*1000, $second*1000))"
        done
    done
    echo "  $label server peak memory: $(grep VmHWM /proc/"$SERVER_PID"/status | awk '{print $2, $3}')"
}

# --- the decided demo ---
DATABASE_URL=""
fresh_database
RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" demo --no-serve >/dev/null 2>&1 || fail "uppsikt demo"
start_server on --public-rate "$RATE"
IND=$(curl -fsS "$BASE/api/public/v1/indicators" | python3 -c 'import json,sys; print(json.load(sys.stdin)["indicators"][0]["id"])') ||
    fail "no public indicator in the decided demo"
cp crates/web/static/style.css "$OUT/static/style.css"

echo "public API vs static file, 32 connections, no sign-in (demo, $( [ "$SMOKE" = 1 ] || [ "${PROFILE:-release}" = debug ] && echo debug || echo release ) build)"
for path in /api/public/v1/indicators "/api/public/v1/indicators/$IND"; do
    warm_up "$BASE$path"
    measure api "$BASE$path"
    a50=$M50 a99=$M99 arps=$MRPS aerr=$MERR
    measure static "$BASE/static/style.css"
    printf '  %-34s median_ms=%s p99_ms=%s req_per_s=%s errors=%s\n' "$path" "$a50" "$a99" "$arps" "$aerr"
    printf '  %-34s median_ms=%s p99_ms=%s req_per_s=%s errors=%s\n' /static/style.css "$M50" "$M99" "$MRPS" "$MERR"
    python3 -c "print(f'  ratio static/api answers per second: {$MRPS/$arps:.2f}x' if $arps > 0 else '  ratio: none')"
done
TAG=$(curl -fsS -D - -o /dev/null "$BASE/api/public/v1/indicators" | sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p')
[ -n "$TAG" ] || fail "no ETag"
out=$(wrk -t2 -c32 -d"${DURATION}s" --timeout 10s --latency -H "If-None-Match: $TAG" "$BASE/api/public/v1/indicators") || fail "wrk 304"
read -r n50 n99 nrps nerr <<< "$(echo "$out" | python3 bench/wrk_stats.py)"
echo "  /api/public/v1/indicators 304      median_ms=$n50 p99_ms=$n99 req_per_s=$nrps errors=$nerr"
python3 -c "print(f'  ratio static/304 answers per second: {$MRPS/$nrps:.2f}x' if $nrps > 0 else '  ratio: none')"
echo "downloads (demo)"
downloads demo
stop_servers

# --- the synthetic municipality, every period decided ---
DATABASE_URL=""
fresh_database
BOARDS=$(size 20 2)
"$BIN" --database-url "$DATABASE_URL" bench synthetic --boards "$BOARDS" --goals "$(size 400 4)" \
    --indicators "$(size 4000 8)" --years "$(size 15 2)" >/dev/null || fail "bench synthetic"
LAST_YEAR=$((2010 + $(size 15 2) - 1))
cat > "$OUT/decision.toml" <<EOF
format = "uppsikt/1"

[[decisions]]
org = "synth"
period = "$LAST_YEAR"
body = "Kommunfullmäktige"
EOF
RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" import data "$OUT/decision.toml" >/dev/null || fail "import decision"
start_server on --public-rate "$RATE"
echo "downloads (synthetic municipality: $BOARDS boards, every period decided)"
downloads synthetic
