#!/usr/bin/env bash
# Personal API tokens used by clients we did not write: curl and Python's standard library
# (urllib.request), against the real `uppsikt` binary.
#
#   UPPSIKT_BIN=target/debug/uppsikt bash crates/uppsikt/tests/clients/api_tokens.sh
#
# Loads the demo into a fresh SQLite file, starts `uppsikt serve` on a free loopback port,
# signs in as the demo's controller with curl and the sign-in form, makes a token with the
# scope "read and import" on /konto/api-nycklar, then reads the API and imports outcomes
# with `Authorization: Bearer` from curl and from Python, and checks every answer. Exits
# non-zero at the first answer that is not as expected. The server is stopped at the end,
# also on failure.
set -euo pipefail

BIN=${UPPSIKT_BIN:?set UPPSIKT_BIN to the uppsikt binary}
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FEL: $*" >&2
    exit 1
}

DB="sqlite://$WORK/uppsikt.sqlite"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export RUST_LOG=warn

"$BIN" --database-url "$DB" demo --no-serve >"$WORK/demo.txt"
PASSWORD=$(sed -n 's/.*Lösenord för alla: //p' "$WORK/demo.txt")
[ -n "$PASSWORD" ] || fail "the demo named no password: $(cat "$WORK/demo.txt")"

"$BIN" --database-url "$DB" --addr "127.0.0.1:$PORT" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    if curl -fsS "$BASE/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || fail "the server did not start: $(cat "$WORK/server.log")"

# --- curl: sign in with the form, make a token -------------------------------------------
# The session cookie is `__Host-` and `Secure`; over plain HTTP on loopback it is passed on
# by hand rather than through curl's cookie jar.
curl -sS -o /dev/null -D "$WORK/login.headers" -H "Origin: $BASE" \
    --data-urlencode "username=controller" --data-urlencode "password=$PASSWORD" "$BASE/login"
COOKIE=$(tr -d '\r' <"$WORK/login.headers" | sed -n 's/^[Ss]et-[Cc]ookie: \(__Host-uppsikt_session=[^;]*\).*/\1/p')
[ -n "$COOKIE" ] || fail "signing in set no session cookie"

curl -sS -H "Cookie: $COOKIE" "$BASE/konto/api-nycklar" >"$WORK/tokens.html"
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$WORK/tokens.html" | head -1 | sed 's/.*value="//; s/"$//')
EXPIRES=$(grep -o 'id="f-expires" name="expires" value="[0-9-]*"' "$WORK/tokens.html" | sed 's/.*value="//; s/"$//')
[ -n "$CSRF" ] && [ -n "$EXPIRES" ] || fail "the token page has no form"

curl -sS -D "$WORK/create.headers" -H "Origin: $BASE" -H "Cookie: $COOKIE" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "name=Skript (curl och Python)" \
    --data-urlencode "scope=read_import" --data-urlencode "expires=$EXPIRES" \
    "$BASE/konto/api-nycklar" >"$WORK/created.html"
TOKEN=$(grep -o 'upk_[A-Za-z0-9_-]\{43\}' "$WORK/created.html" | head -1)
[ -n "$TOKEN" ] || fail "no token was shown"
tr -d '\r' <"$WORK/create.headers" | grep -qi '^cache-control: no-store' || fail "the secret's page may be cached"
if curl -sS -H "Cookie: $COOKIE" "$BASE/konto/api-nycklar" | grep -q "$TOKEN"; then
    fail "the secret was shown a second time"
fi

# --- curl: read and import with the token --------------------------------------------------
STATUS=$(curl -sS -o "$WORK/units.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/org-units")
[ "$STATUS" = 200 ] || fail "curl: /api/v1/org-units answered $STATUS"
grep -q '"short_name":"KS"' "$WORK/units.json" || fail "curl: KS is not among the units"

STATUS=$(curl -sS -o "$WORK/bad.json" -w '%{http_code}' -H "Authorization: Bearer upk_${TOKEN:5}x" "$BASE/api/v1/org-units")
[ "$STATUS" = 401 ] || fail "curl: a wrong token answered $STATUS"

printf 'Mått;Period;Uppdelning;Värde\nkf-trygg-utomhus;2025;Totalt;70,5\n' >"$WORK/utfall.csv"
STATUS=$(curl -sS -o "$WORK/import.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: text/csv; charset=utf-8" --data-binary "@$WORK/utfall.csv" "$BASE/api/v1/outcomes/import")
[ "$STATUS" = 200 ] || fail "curl: the import answered $STATUS: $(cat "$WORK/import.json")"
grep -q '"new":1' "$WORK/import.json" || fail "curl: the import wrote $(cat "$WORK/import.json")"

# --- Python's standard library ------------------------------------------------------------
BASE="$BASE" TOKEN="$TOKEN" python3 - <<'PY'
import json
import os
import sys
import urllib.error
import urllib.request

base, token = os.environ["BASE"], os.environ["TOKEN"]
auth = {"Authorization": f"Bearer {token}"}


def call(path, data=None, headers=None):
    req = urllib.request.Request(base + path, data=data, headers={**auth, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.load(e)


def check(ok, what):
    if not ok:
        print(f"FEL (Python): {what}", file=sys.stderr)
        sys.exit(1)


status, _, units = call("/api/v1/org-units")
check(status == 200, f"org-units answered {status}")
ks = [u for u in units["org_units"] if u["short_name"] == "KS"]
check(len(ks) == 1, "KS among the units")
status, _, goals = call(f"/api/v1/org-units/{ks[0]['id']}/goals")
check(status == 200, f"KS's goals answered {status}")

csv = "Mått;Period;Uppdelning;Värde\nkf-trygg-utomhus;2025;Kvinnor;68,0\n".encode("utf-8")
status, _, body = call("/api/v1/outcomes/import", csv, {"Content-Type": "text/csv"})
check(status == 200 and body["new"] == 1, f"import answered {status}: {body}")

bad = "Mått;Period;Uppdelning;Värde\nkf-trygg-utomhus;2025;Män;sextio\n".encode("utf-8")
status, _, body = call("/api/v1/outcomes/import", bad, {"Content-Type": "text/csv"})
check(status == 422, f"a bad file answered {status}")
check(any(e.get("row") == 2 and e.get("column") == "Värde" for e in body["errors"]), f"row errors: {body}")

req = urllib.request.Request(base + "/api/v1/org-units", headers={"Authorization": "Bearer upk_fel"})
try:
    urllib.request.urlopen(req, timeout=60)
    check(False, "a malformed token was accepted")
except urllib.error.HTTPError as e:
    check(e.code == 401, f"a malformed token answered {e.code}")
    check("invalid_token" in e.headers.get("WWW-Authenticate", ""), "WWW-Authenticate")
print("Python: org-units, goals, import and refusals as expected")
PY

# --- both imports are there, under the token's owner --------------------------------------
INDICATOR=$(curl -sS -H "Authorization: Bearer $TOKEN" "$BASE/konto" -o /dev/null -w '%{http_code}')
[ "$INDICATOR" = 403 ] || fail "a token reached the account page ($INDICATOR)"
curl -sS -H "Cookie: $COOKIE" "$BASE/konto/api-nycklar" >"$WORK/after.html"
grep -q 'POST /api/v1/outcomes/import\|GET /api/v1/org-units' "$WORK/after.html" || fail "the use is not listed"
echo "curl och Python: API-nyckeln läser API:t och importerar utfall som väntat"
