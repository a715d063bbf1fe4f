#!/usr/bin/env bash
# Load test (issues 4 and 22): USERS concurrent signed-in users mixing reads and writes for
# DURATION seconds: one request in WRITE_EVERY posts a new outcome through the form (with
# the session's CSRF token), the rest read pages. Two data sets (MODE):
#   - boards (default): the synthetic municipality of bench/foundation.sh (20 boards, 400
#     goals, 4,000 indicators, 15 years). Each user is an editor of one of the 20 boards;
#     reads are spread over every board page, goal page and indicator page of the 20
#     boards, and each user's writes over the indicators of its board, so writes land on
#     all 20 boards;
#   - ks: the demo, every user an editor of Kommunstyrelsen, reading KS's board, goal and
#     indicator pages and writing to KS's indicators (the figure of issue 4).
# Backends (arguments, default all three): sqlite; postgres; postgres2, two app processes
# on one PostgreSQL database behind one public origin (as behind a reverse proxy).
#
# Two processes, one wrk: wrk takes one URL, so bench/load.lua points each wrk thread at
# one of the ports (LOAD_PORTS; thread.addr in setup()): with -t2, half the connections go
# to each process. Users are picked per request, independently of the thread, so every
# user's requests alternate between the processes: signed in on the first, reading and
# writing on both. (Two wrk halves would have needed their latency histograms merged;
# one wrk gives one median and p99 over all requests.)
#
# Prints per backend: requests, errors (non-2xx/3xx and socket errors), median and p99
# latency, each as a ratio to a static file served by the same server(s) in the same run
# under the same connections, and the lost-write check: every write the server
# acknowledged (303) must be in the database afterwards, counted both as outcome rows and
# as change-log rows of the load users.
#
#   bash bench/load.sh                        # 20 boards; sqlite, postgres and postgres2
#   MODE=ks USERS=50 DURATION=10 bash bench/load.sh sqlite
#   BENCH_SMOKE=1 bash bench/load.sh          # seconds, 2 small boards (see bench/lib.sh)
#
# Needs wrk, python3, sqlite3 and for PostgreSQL psql and a server at PG_ADMIN_URL
# (default postgres://postgres@127.0.0.1:5432/postgres; skipped when none answers in a
# smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need wrk
need sqlite3
bench_init load 60
MODE="${MODE:-boards}"
USERS="${USERS:-$(size 200 6)}"
WRITE_EVERY="${WRITE_EVERY:-10}"
BOARDS=$(size 20 2)
read -r -a BACKENDS <<< "${*:-sqlite postgres postgres2}"
STATIC_DURATION=$(size 10 1)

database_url() { # $1 = backend
    case "$1" in
        sqlite) rm -f "$OUT"/load.db*; echo "sqlite://$OUT/load.db" ;;
        postgres | postgres2) fresh_postgres uppsikt_load ;;
        *) echo "unknown backend $1 (sqlite, postgres or postgres2)" >&2; exit 2 ;;
    esac
}

# Counts, through the server's own database, outcome rows and the load users' logged writes.
count_sql="SELECT (SELECT COUNT(*) FROM outcomes), (SELECT COUNT(*) FROM change_log WHERE actor LIKE 'last%' AND object_type = 'outcome')"
count() { # $1 = backend, $2 = url
    local counted
    case "$1" in
        sqlite) counted=$(sqlite3 -separator ' ' "${2#sqlite://}" "$count_sql") ;;
        *) counted=$(psql -qtA -F ' ' "$2" -c "$count_sql") ;;
    esac
    [[ "$counted" =~ ^[0-9]+\ [0-9]+$ ]] || fail "counting rows in $2: $counted"
    echo "$counted"
}

FAILED=0
for backend in "${BACKENDS[@]}"; do
    if [ "$backend" != sqlite ] && ! postgres_or_skip "$backend"; then
        continue
    fi
    DATABASE_URL=$(database_url "$backend")
    case "$MODE" in
        boards)
            "$BIN" --database-url "$DATABASE_URL" bench synthetic --boards "$BOARDS" --goals "$(size 400 4)" \
                --indicators "$(size 4000 8)" --years "$(size 15 2)" >/dev/null || fail "bench synthetic"
            units=$(seq 1 "$BOARDS" | sed 's/^/N/' | tr '\n' ' ') ;;
        ks)
            "$BIN" --database-url "$DATABASE_URL" demo --no-serve >/dev/null || fail "uppsikt demo"
            units=KS ;;
        *) fail "unknown MODE $MODE (boards or ks)" ;;
    esac
    # The load users: editors of one unit each (in turn), each with its own password.
    python3 - "$BIN" "$DATABASE_URL" "$USERS" $units > "$OUT/passwords.txt" <<'PY'
import secrets, subprocess, sys
bin, url, n, units = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
for i in range(n):
    pw, unit = secrets.token_hex(12), units[i % len(units)]
    subprocess.run([bin, "--database-url", url, "user", "add", f"last{i:03d}", "--name", f"Lasttest {i}",
                    "--role", "editor", "--unit", unit, "--password-stdin"],
                   input=pw + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    print(f"last{i:03d} {pw} {unit}")
PY
    processes=1; [ "$backend" = postgres2 ] && processes=2
    PORTS=()
    FIRST_PORT=$(free_port)
    ORIGIN="http://127.0.0.1:$FIRST_PORT"
    for p in $(seq 1 "$processes"); do
        # Every process behind the one public origin, as behind a reverse proxy.
        PORT=$([ "$p" = 1 ] && echo "$FIRST_PORT" || free_port)
        BASE="http://127.0.0.1:$PORT"
        log="$OUT/server-$backend-$p.log"
        RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" --addr "127.0.0.1:$PORT" --public-origin "$ORIGIN" \
            serve --login-rate 100000 >/dev/null 2>"$log" &
        SERVER_PIDS+=("$!")
        for _ in $(seq 1 300); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
        curl -fs "$BASE/healthz" >/dev/null || { cat "$log" >&2; fail "the server on port $PORT did not start"; }
        PORTS+=("$PORT")
    done
    BASE="$ORIGIN"
    # Every user signs in through the sign-in form; the CSRF token comes from a page.
    python3 - "$BASE" "$OUT/passwords.txt" > "$OUT/users.txt" <<'PY' || fail "sign-in of the load users"
import re, sys, urllib.request, urllib.parse
base, path = sys.argv[1], sys.argv[2]
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
opener = urllib.request.build_opener(NoRedirect)
for line in open(path):
    user, pw, unit = line.split()
    data = urllib.parse.urlencode({"username": user, "password": pw}).encode()
    try:
        opener.open(urllib.request.Request(base + "/login", data=data, headers={"Origin": base}))
        raise SystemExit(f"sign-in of {user} did not redirect")
    except urllib.error.HTTPError as e:
        if e.code != 303: raise SystemExit(f"sign-in of {user}: {e.code}")
        cookie = e.headers["Set-Cookie"].split(";")[0]
    page = opener.open(urllib.request.Request(base + "/", headers={"Cookie": cookie})).read().decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    print(cookie, csrf, unit)
PY
    # What the users read (every page of the units' boards) and where each unit writes.
    python3 - "$BASE" "$OUT" "$OUT/users.txt" <<'PY' || fail "listing the pages to read"
import json, re, sys, urllib.request
base, out, users = sys.argv[1], sys.argv[2], sys.argv[3]
cookie_of = {}
for line in open(users):
    cookie, _, unit = line.split()
    cookie_of.setdefault(unit, cookie)
get = lambda p, c: urllib.request.urlopen(urllib.request.Request(base + p, headers={"Cookie": c})).read().decode()
any_cookie = next(iter(cookie_of.values()))
units = {u["short_name"]: u["id"] for u in json.loads(get("/api/v1/org-units", any_cookie))["org_units"]}
reads, writes = [], []
for short, cookie in sorted(cookie_of.items()):
    unit = units[short]
    # The unit's own goals (its editors write only there); the board page also links others'.
    goals = sorted({g["id"] for g in json.loads(get(f"/api/v1/org-units/{unit}/goals", cookie))["goals"]})
    indicators = set()
    for g in goals:
        indicators |= {int(i) for i in re.findall(r'href="/indicators/(\d+)"', get(f"/goals/{g}", cookie))}
    if not indicators:
        raise SystemExit(f"{short} has no indicator to write to")
    reads += [f"/org/{unit}"] + [f"/goals/{g}" for g in goals] + [f"/indicators/{i}" for i in sorted(indicators)]
    writes += [f"{short} {i}" for i in sorted(indicators)]
# Interleaved, so that consecutive reads move between the units' pages.
reads = reads[::2] + reads[1::2]
open(f"{out}/reads.txt", "w").write("\n".join(reads) + "\n")
open(f"{out}/indicators.txt", "w").write("\n".join(writes) + "\n")
print(f"# {len(cookie_of)} units: reads over {len(reads)} pages; writes to {len(writes)} indicators", file=sys.stderr)
PY
    counted=$(count "$backend" "$DATABASE_URL")
    read -r outcomes_before logged_before <<< "$counted"
    LOAD_USERS="$OUT/users.txt" LOAD_READS="$OUT/reads.txt" LOAD_INDICATORS="$OUT/indicators.txt" \
    LOAD_THREADS=2 LOAD_ORIGIN="$ORIGIN" LOAD_PORTS="${PORTS[*]}" WRITE_EVERY="$WRITE_EVERY" \
        wrk -t2 -c"$USERS" -d"${DURATION}s" --timeout 10s --latency -s bench/load.lua "$BASE" \
        > "$OUT/wrk-$backend.txt" 2> "$OUT/wrk-$backend.err" || { cat "$OUT/wrk-$backend.err" >&2; fail "wrk"; }
    head -5 "$OUT/wrk-$backend.err" >&2
    # Baseline in the same run: a static file from the same server(s), same connections.
    LOAD_PORTS="${PORTS[*]}" wrk -t2 -c"$USERS" -d"${STATIC_DURATION}s" --timeout 10s --latency -s bench/load.lua \
        "$BASE/static/style.css" > "$OUT/wrk-$backend-static.txt" || fail "wrk (static file)"
    read -r s50 s99 srps serr < <(python3 bench/wrk_stats.py < "$OUT/wrk-$backend-static.txt")
    # What each process served, as CPU seconds it used (both must have worked).
    cpu=$(for pid in "${SERVER_PIDS[@]}"; do awk '{printf "%.1f ", ($14 + $15) / 100}' "/proc/$pid/stat"; done)
    stop_servers
    counted=$(count "$backend" "$DATABASE_URL")
    read -r outcomes_after logged_after <<< "$counted"
    read -r p50 p99 rps errors < <(python3 bench/wrk_stats.py < "$OUT/wrk-$backend.txt")
    requests=$(grep -o '[0-9]* requests in' "$OUT/wrk-$backend.txt" | cut -d' ' -f1)
    line=$(grep '^LOAD ' "$OUT/wrk-$backend.txt")
    acked=$(echo "$line" | sed -n 's/.*writes_ok=\([0-9]*\).*/\1/p')
    bad=$(echo "$line" | sed -n 's/.*bad_status=\([0-9]*\).*/\1/p')
    sent=$(echo "$line" | sed -n 's/.*writes_sent=\([0-9]*\).*/\1/p')
    rows=$((outcomes_after - outcomes_before)); logged=$((logged_after - logged_before))
    echo "load mode=$MODE backend=$backend processes=$processes users=$USERS duration_s=$DURATION write_every=$WRITE_EVERY"
    echo "  requests=$requests req_per_s=$rps median_ms=$p50 p99_ms=$p99 errors=$errors bad_status=$bad"
    echo "  baseline static file: median_ms=$s50 p99_ms=$s99 req_per_s=$srps errors=$serr"
    echo "  server_cpu_s per process: $cpu"
    python3 -c "print(f'  ratio mixed/static: median={$p50/$s50:.1f}x p99={$p99/$s99:.1f}x')"
    # A write still in flight when wrk stops may be committed without wrk seeing the 303:
    # rows may exceed the acknowledged count (up to what was sent), never fall below it.
    lost=$(( acked > rows ? acked - rows : 0 ))
    echo "  writes sent=$sent acknowledged=$acked outcome_rows_added=$rows change_log_rows=$logged lost=$lost"
    if [ "$errors" != 0 ] || [ "$bad" != 0 ] || [ "$serr" != 0 ] || [ "$lost" != 0 ] || [ "$rows" -gt "$sent" ] ||
        [ "$rows" != "$logged" ] || [ "$acked" = 0 ]; then
        echo "  FAILED: errors, no write acknowledged, or acknowledged writes missing" >&2
        FAILED=1
    fi
done
exit "$FAILED"
