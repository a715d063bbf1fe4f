# The common part of the bench scripts; each sources it from the repository root:
#
#   cd "$(dirname "$0")/.."
#   . bench/lib.sh
#   bench_init NAME            # OUT=bench/out/NAME, BIN (built), SMOKE, DURATION
#
# Smoke runs (BENCH_SMOKE=1, what `bench/smoke.sh` and so `test.sh` use): tiny sizes chosen
# by each script, DURATION=1, the debug binary `cargo test` has built (built with
# `cargo build -p uppsikt` if missing) instead of a release build, a fresh SQLite file, and
# PostgreSQL only when it answers. No figure is asserted, but whatever a script measures
# must work: a failed sign-in, server start, non-2xx/3xx answer, wrk error or import
# error makes the script exit non-zero. A missing tool (wrk, sqlite3, psql, …) makes it
# exit 77 with a "SKIPPED" line, or fail when UPPSIKT_REQUIRE_TOOLS=1.
#
# Servers: `start_server on|off [serve flags…]` starts `uppsikt serve` on a free port
# (PORT, BASE, SERVER_PID; the page cache on or off; static files from $OUT/static under
# /files/) and waits for /healthz; `stop_servers` stops every one started; they are also
# stopped when the script exits. `sign_in USER PASSWORD [BASE]` sets COOKIE, `csrf_token
# [BASE]` prints the session's CSRF token (for scripts that post).

BENCH_NAME="$(basename "$0" .sh)"
SMOKE="${BENCH_SMOKE:-0}"
[ "$SMOKE" = 1 ] || SMOKE=0

# Exit status of a script whose tool is missing (smoke.sh prints it as SKIPPED).
SKIP_STATUS=77

fail() { echo "FAILED: $*" >&2; exit 1; }

# need TOOL [PACKAGE]: the tool on PATH, or a SKIPPED exit (a failure when tools are required
# or outside a smoke run, where a missing tool means the figure cannot be had).
need() {
    command -v "$1" >/dev/null && return 0
    local pkg="${2:-$1}"
    if [ "$SMOKE" = 1 ] && [ "${UPPSIKT_REQUIRE_TOOLS:-0}" != 1 ]; then
        echo "SKIPPED ($BENCH_NAME): $1 is missing (apt-get install -y $pkg)"
        exit "$SKIP_STATUS"
    fi
    fail "$1 is missing: apt-get install -y $pkg"
}

# bench_init NAME [DEFAULT_DURATION]: OUT, DURATION and the binary BIN.
bench_init() {
    BENCH_NAME="$1"
    OUT="bench/out/$1"
    mkdir -p "$OUT/static"
    if [ "$SMOKE" = 1 ]; then
        DURATION=1
    else
        DURATION="${DURATION:-${2:-10}}"
    fi
    BIN=$(bench_binary)
    [ -x "$BIN" ] || fail "no binary at $BIN"
}

# The binary to measure: the debug build in smoke runs (or PROFILE=debug), else release.
bench_binary() {
    local dir="${CARGO_TARGET_DIR:-target}"
    if [ "$SMOKE" = 1 ]; then
        [ -x "$dir/debug/uppsikt" ] || cargo build -q -p uppsikt >&2
        echo "$dir/debug/uppsikt"
    elif [ "${PROFILE:-release}" = debug ]; then
        cargo build -q -p uppsikt >&2
        echo "$dir/debug/uppsikt"
    else
        cargo build --release -q -p uppsikt >&2
        echo "$dir/release/uppsikt"
    fi
}

# size FULL SMOKE: the full-size figure, or the smoke run's.
size() { if [ "$SMOKE" = 1 ]; then echo "$2"; else echo "$1"; fi; }

PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# Whether PostgreSQL answers at $PG_ADMIN_URL (and psql is there to ask it).
postgres_answers() {
    command -v psql >/dev/null && psql -q "$PG_ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1
}

# postgres_or_skip WHAT: whether to run the PostgreSQL part WHAT. Yes when a server answers;
# else a SKIPPED line in a smoke run (a failure when UPPSIKT_REQUIRE_POSTGRES=1), a failure
# in a full run, which would otherwise lack the figure.
postgres_or_skip() {
    postgres_answers && return 0
    local why="no PostgreSQL server answers at $PG_ADMIN_URL (or psql is missing)"
    if [ "$SMOKE" = 1 ] && [ "${UPPSIKT_REQUIRE_POSTGRES:-0}" != 1 ]; then
        echo "SKIPPED ($BENCH_NAME, $1): $why"
        return 1
    fi
    fail "$1: $why"
}

# fresh_postgres NAME: drops and creates the database NAME next to $PG_ADMIN_URL's; prints its URL.
fresh_postgres() {
    PGOPTIONS='-c client_min_messages=warning' psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
        -c "CREATE DATABASE $1" >/dev/null ||
        fail "cannot create the PostgreSQL database $1"
    echo "${PG_ADMIN_URL%/*}/$1"
}

# fresh_database: DATABASE_URL as given (a PostgreSQL one emptied first), or a fresh SQLite
# file under $OUT. Smoke runs always take a fresh SQLite file.
fresh_database() {
    if [ "$SMOKE" = 1 ] || [ -z "${DATABASE_URL:-}" ]; then
        rm -f "$OUT"/bench.db*
        DATABASE_URL="sqlite://$OUT/bench.db"
    elif [[ "$DATABASE_URL" == postgres* ]]; then
        need psql postgresql-client
        PG_ADMIN_URL="${DATABASE_URL%/*}/postgres" fresh_postgres "${DATABASE_URL##*/}" >/dev/null
    fi
    echo "# database: $DATABASE_URL"
}

# A bench user (default bench-reader, role reader) with a random password in PASSWORD.
add_bench_user() { # [NAME [ROLE [extra user-add flags…]]]
    local name="${1:-bench-reader}" role="${2:-reader}"
    shift $(( $# > 2 ? 2 : $# ))
    PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    echo "$PASSWORD" | "$BIN" --database-url "$DATABASE_URL" user add "$name" --name "Bänk Läsare" \
        --role "$role" "$@" --password-stdin >/dev/null || fail "cannot add the user $name"
    BENCH_USER="$name"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SERVER_PIDS=()
SERVER_PID=""
stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVER_PIDS=()
    SERVER_PID=""
}
trap stop_servers EXIT

# start_server on|off [serve flags…]: a server on $DATABASE_URL; sets PORT, BASE, SERVER_PID.
start_server() {
    local cache="$1"
    shift
    PORT=$(free_port)
    BASE="http://127.0.0.1:$PORT"
    local log="$OUT/server-$PORT.log"
    UPPSIKT_PAGE_CACHE="$cache" RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" --addr "127.0.0.1:$PORT" \
        serve --files-dir "$OUT/static" "$@" >/dev/null 2>"$log" &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    for _ in $(seq 1 300); do
        curl -fs "$BASE/healthz" >/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log" >&2
    fail "the server on port $PORT did not start"
}

# sign_in USER PASSWORD [BASE]: signs in through the form; sets COOKIE.
sign_in() {
    local base="${3:-$BASE}"
    COOKIE=$(curl -s -o /dev/null -D - -H "Origin: $base" --data-urlencode "username=$1" \
        --data-urlencode "password=$2" "$base/login" |
        sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | paste -sd ';' -)
    [ -n "$COOKIE" ] || fail "sign-in of $1 at $base failed"
}

# csrf_token [BASE]: the signed-in session's CSRF token, from the start page's forms.
csrf_token() {
    local token
    token=$(curl -fs -H "Cookie: $COOKIE" "${1:-$BASE}/" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="\(.*\)"/\1/')
    [ -n "$token" ] || fail "no CSRF token on the start page"
    echo "$token"
}

# get PATH: a page for the signed-in user (a non-2xx answer fails the script).
get() { curl -fsS -H "Cookie: $COOKIE" "$BASE$1" || fail "GET $1"; }

# check_wrk LABEL ERRORS: in a smoke run any wrk error (socket error, timeout, non-2xx/3xx)
# fails the script; a full run prints the count beside the figure.
check_wrk() {
    if [ "$SMOKE" = 1 ] && [ "$2" != 0 ]; then fail "$1: $2 wrk errors"; fi
}

# load URL [CONNECTIONS]: wrk as the signed-in user; prints median_ms p99_ms req_per_s errors.
load() {
    local out
    out=$(wrk -t2 -c"${2:-32}" -d"${DURATION}s" --timeout 10s --latency ${COOKIE:+-H "Cookie: $COOKIE"} "$1") || fail "wrk $1"
    echo "$out" | python3 bench/wrk_stats.py
}

# measure LABEL URL [CONNECTIONS]: load, then checks the error count; sets M50 M99 MRPS MERR.
measure() {
    local stats
    stats=$(load "$2" "${3:-32}")
    read -r M50 M99 MRPS MERR <<< "$stats"
    check_wrk "$1" "$MERR"
}

# warm_up URL: two seconds of load before measuring (skipped in smoke runs).
warm_up() {
    [ "$SMOKE" = 1 ] && return 0
    wrk -t2 -c32 -d2s ${COOKIE:+-H "Cookie: $COOKIE"} "$1" >/dev/null
}

ratio() { # NAME PAGE_MEDIAN PAGE_P99 STATIC_MEDIAN STATIC_P99
    python3 -c "print(f'  ratio $1/static: median={$2/$4:.2f}x p99={$3/$5:.2f}x' if $2 > 0 and $4 > 0 else '  ratio $1/static: none (no request finished within the 10 s timeout)')"
}

single() { # URL: the median of 20 single requests in ms (3 in a smoke run)
    local n
    n=$(size 20 3)
    for _ in $(seq 1 "$n"); do
        curl -fs -o /dev/null -w '%{time_total}\n' -H "Cookie: $COOKIE" "$1" || fail "GET $1"
    done | sort -n | sed -n "$(( (n + 1) / 2 ))p" | python3 -c 'import sys; print(round(float(sys.stdin.read())*1000, 1))'
}

# page_vs_static LABEL PATH FILE: the page saved as $OUT/static/FILE, then the page and the
# static file under 32 connections (after a warm-up), and their ratio.
page_vs_static() {
    local label="$1" path="$2" file="$3"
    warm_up "$BASE$path"
    measure "$label" "$BASE$path"
    local o50=$M50 o99=$M99 orps=$MRPS oerr=$MERR
    measure static_file "$BASE/files/$file"
    printf '  %-11s median_ms=%s p99_ms=%s req_per_s=%s errors=%s\n' "$label" "$o50" "$o99" "$orps" "$oerr"
    printf '  %-11s median_ms=%s p99_ms=%s req_per_s=%s errors=%s\n' static_file "$M50" "$M99" "$MRPS" "$MERR"
    ratio "$label" "$o50" "$o99" "$M50" "$M99"
}

now() { date +%s.%N; }
