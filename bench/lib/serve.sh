# Shared by the page benchmarks (areas.sh, audits.sh, internal_control.sh): start the release
# server against $DATABASE_URL with the page cache on or off, sign in as bench-reader
# ($PASSWORD), and measure a page against a static file with wrk. Source it after
# setting BIN, DATABASE_URL, OUT (static files in $OUT/static), PASSWORD and DURATION.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

run_server() { # $1 = page cache on|off; sets PORT and COOKIE
    PORT=$(free_port)
    UPPSIKT_PAGE_CACHE="$1" RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" --addr "127.0.0.1:$PORT" \
        serve --files-dir "$OUT/static" >/dev/null 2>"$OUT/server-$1.log" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    COOKIE=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" --data-urlencode "username=bench-reader" --data-urlencode "password=$PASSWORD" \
        "http://127.0.0.1:$PORT/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | paste -sd ';' -)
    [ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }
}

stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

load() { # $1 = url: median_ms p99_ms req_per_s errors
    wrk -t2 -c32 -d"${DURATION}s" --timeout 10s --latency -H "Cookie: $COOKIE" "$1" | python3 bench/wrk_stats.py
}

ratio() { # $1 = name, $2 $3 = page median p99, $4 $5 = static median p99
    python3 -c "print(f'  ratio $1/static: median={$2/$4:.2f}x p99={$3/$5:.2f}x' if $2 > 0 and $4 > 0 else '  ratio $1/static: none (no request finished within the 10 s timeout)')"
}

single() { # $1 = url: the median of 20 single requests in ms
    for _ in $(seq 1 20); do curl -fs -o /dev/null -w '%{time_total}\n' -H "Cookie: $COOKIE" "$1"; done | sort -n | sed -n 10p | python3 -c 'import sys; print(round(float(sys.stdin.read())*1000, 1))'
}
