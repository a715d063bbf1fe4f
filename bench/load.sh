#!/usr/bin/env bash
# Load test (issue 4): 200 concurrent signed-in users against the demo, mixing reads
# (board, goal and indicator pages) and writes (one request in WRITE_EVERY posts a new
# outcome through the form, with the session's CSRF token) for DURATION seconds, on SQLite
# and on PostgreSQL. Prints per backend: requests, errors (non-2xx/3xx and socket
# errors), median and p99 latency, and the lost-write check: every write the server
# acknowledged (303) must be in the database afterwards, counted both as outcome rows and
# as change-log rows of the load users.
#
#   bash bench/load.sh                  # both backends, 200 users, 60 s
#   USERS=50 DURATION=10 bash bench/load.sh sqlite
#
# Needs wrk (apt-get install -y wrk), python3, and for PostgreSQL a server at
# PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
USERS="${USERS:-200}"
DURATION="${DURATION:-60}"
WRITE_EVERY="${WRITE_EVERY:-10}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
BACKENDS=("${@:-sqlite postgres}")
read -r -a BACKENDS <<< "${BACKENDS[*]}"
OUT=bench/out/load
mkdir -p "$OUT"
cargo build --release -q -p uppsikt
BIN="${CARGO_TARGET_DIR:-target}/release/uppsikt"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

database_url() { # $1 = backend
    case "$1" in
        sqlite) rm -f "$OUT"/load.db*; echo "sqlite://$OUT/load.db" ;;
        postgres)
            psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS uppsikt_load" -c "CREATE DATABASE uppsikt_load" >/dev/null
            echo "${PG_ADMIN_URL%/*}/uppsikt_load" ;;
        *) echo "unknown backend $1 (sqlite or postgres)" >&2; exit 2 ;;
    esac
}

# Counts, through the server's own database, outcome rows and the load users' logged writes.
count_sql="SELECT (SELECT COUNT(*) FROM outcomes), (SELECT COUNT(*) FROM change_log WHERE actor LIKE 'last%' AND object_type = 'outcome')"
count() { # $1 = backend, $2 = url
    case "$1" in
        sqlite) sqlite3 -separator ' ' "${2#sqlite://}" "$count_sql" ;;
        postgres) psql -qtA -F ' ' "$2" -c "$count_sql" ;;
    esac
}

for backend in "${BACKENDS[@]}"; do
    URL=$(database_url "$backend")
    "$BIN" --database-url "$URL" demo --no-serve >/dev/null
    # The load users: editors of Kommunstyrelsen, each with its own password.
    python3 - "$BIN" "$URL" "$USERS" > "$OUT/passwords.txt" <<'PY'
import secrets, subprocess, sys
bin, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    pw = secrets.token_hex(12)
    subprocess.run([bin, "--database-url", url, "user", "add", f"last{i:03d}", "--name", f"Lasttest {i}",
                    "--role", "editor", "--unit", "KS", "--password-stdin"],
                   input=pw + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    print(f"last{i:03d} {pw}")
PY
    PORT=$(free_port)
    RUST_LOG=warn "$BIN" --database-url "$URL" --addr "127.0.0.1:$PORT" serve --login-rate 100000 \
        >/dev/null 2>"$OUT/server-$backend.log" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    BASE="http://127.0.0.1:$PORT"
    # Every user signs in through the sign-in form; the CSRF token comes from a page.
    python3 - "$BASE" "$OUT/passwords.txt" > "$OUT/users.txt" <<'PY'
import re, sys, urllib.request, urllib.parse
base, path = sys.argv[1], sys.argv[2]
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
opener = urllib.request.build_opener(NoRedirect)
for line in open(path):
    user, pw = line.split()
    data = urllib.parse.urlencode({"username": user, "password": pw}).encode()
    try:
        opener.open(urllib.request.Request(base + "/login", data=data, headers={"Origin": base}))
        raise SystemExit(f"sign-in of {user} did not redirect")
    except urllib.error.HTTPError as e:
        if e.code != 303: raise SystemExit(f"sign-in of {user}: {e.code}")
        cookie = e.headers["Set-Cookie"].split(";")[0]
    page = opener.open(urllib.request.Request(base + "/", headers={"Cookie": cookie})).read().decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    print(cookie, csrf)
PY
    # What the users read and where they write: KS's pages and indicators.
    python3 - "$BASE" "$(head -1 "$OUT/users.txt" | cut -d' ' -f1)" "$OUT" <<'PY'
import json, re, sys, urllib.request
base, cookie, out = sys.argv[1], sys.argv[2], sys.argv[3]
get = lambda p: urllib.request.urlopen(urllib.request.Request(base + p, headers={"Cookie": cookie})).read().decode()
units = json.loads(get("/api/v1/org-units"))["org_units"]
ks = next(u["id"] for u in units if u["short_name"] == "KS")
# KS's own goals (an editor of KS writes only there); the board page also links KF's.
goals = sorted({str(g["id"]) for g in json.loads(get(f"/api/v1/org-units/{ks}/goals"))["goals"]})
indicators = set()
for g in goals:
    indicators |= set(re.findall(r'href="/indicators/(\d+)"', get(f"/goals/{g}")))
reads = [f"/org/{ks}"] + [f"/goals/{g}" for g in goals] + [f"/indicators/{i}" for i in sorted(indicators)]
open(f"{out}/reads.txt", "w").write("\n".join(reads) + "\n")
open(f"{out}/indicators.txt", "w").write("\n".join(sorted(indicators)) + "\n")
print(f"# reads: {len(reads)} pages; writes to {len(indicators)} indicators", file=sys.stderr)
PY
    read -r outcomes_before logged_before < <(count "$backend" "$URL")
    LOAD_USERS="$OUT/users.txt" LOAD_READS="$OUT/reads.txt" LOAD_INDICATORS="$OUT/indicators.txt" \
    LOAD_THREADS=2 LOAD_ORIGIN="$BASE" WRITE_EVERY="$WRITE_EVERY" \
        wrk -t2 -c"$USERS" -d"${DURATION}s" --timeout 10s --latency -s bench/load.lua "$BASE" > "$OUT/wrk-$backend.txt" 2> "$OUT/wrk-$backend.err"
    head -5 "$OUT/wrk-$backend.err" >&2
    # Baseline in the same run: a static file from the same server, same connections.
    read -r s50 s99 srps serr < <(wrk -t2 -c"$USERS" -d10s --timeout 10s --latency "$BASE/static/style.css" | python3 bench/wrk_stats.py)
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    read -r outcomes_after logged_after < <(count "$backend" "$URL")
    read -r p50 p99 rps errors < <(python3 bench/wrk_stats.py < "$OUT/wrk-$backend.txt")
    requests=$(grep -o '[0-9]* requests in' "$OUT/wrk-$backend.txt" | cut -d' ' -f1)
    line=$(grep '^LOAD ' "$OUT/wrk-$backend.txt")
    acked=$(echo "$line" | sed -n 's/.*writes_ok=\([0-9]*\).*/\1/p')
    bad=$(echo "$line" | sed -n 's/.*bad_status=\([0-9]*\).*/\1/p')
    sent=$(echo "$line" | sed -n 's/.*writes_sent=\([0-9]*\).*/\1/p')
    rows=$((outcomes_after - outcomes_before)); logged=$((logged_after - logged_before))
    echo "load backend=$backend users=$USERS duration_s=$DURATION write_every=$WRITE_EVERY"
    echo "  requests=$requests req_per_s=$rps median_ms=$p50 p99_ms=$p99 errors=$errors bad_status=$bad"
    echo "  baseline static file: median_ms=$s50 p99_ms=$s99 req_per_s=$srps errors=$serr"
    python3 -c "print(f'  ratio mixed/static: median={$p50/$s50:.1f}x p99={$p99/$s99:.1f}x')"
    # A write still in flight when wrk stops may be committed without wrk seeing the 303:
    # rows may exceed the acknowledged count (up to what was sent), never fall below it.
    lost=$(( acked > rows ? acked - rows : 0 ))
    echo "  writes sent=$sent acknowledged=$acked outcome_rows_added=$rows change_log_rows=$logged lost=$lost"
    if [ "$errors" != 0 ] || [ "$bad" != 0 ] || [ "$lost" != 0 ] || [ "$rows" -gt "$sent" ] || [ "$rows" != "$logged" ]; then
        echo "  FAILED: errors, or acknowledged writes missing" >&2
        FAILED=1
    fi
done
exit "${FAILED:-0}"
