#!/usr/bin/env bash
# Plan benchmark (issue 17): rolling Kommunstyrelsen into the next year on the Huddinge
# demo (87 indicators, 43 commitments of 2019) through the web form, as a controller:
# carrying the unfinished commitments over (17 a year: the chain 2019 → 2020 → … is
# carried on each year) and setting every indicator's milestone ("Öka") in one submit.
# (The demo's KF 2023 decision is reopened first, as the browser test does.)
# Baseline from the same run and server: loading KS's board page with the page cache off.
# Prints the median time of each and the ratio roll-over / board page.
#
#   bash bench/plan.sh            # SQLite under bench/out/plan
#   YEARS=20 bash bench/plan.sh   # more roll-overs (default 10; board page 3x as many loads)
#   PROFILE=debug bash bench/plan.sh
#   BENCH_SMOKE=1 bash bench/plan.sh   # one roll-over on the debug build (see bench/lib.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_init plan
YEARS="${YEARS:-$(size 10 1)}"
fresh_database
"$BIN" --database-url "$DATABASE_URL" demo --no-serve >/dev/null 2>"$OUT/demo.log" || { cat "$OUT/demo.log" >&2; fail "uppsikt demo"; }
start_server off
python3 - "$PORT" "$YEARS" <<'PY'
import re, statistics, sys, time, urllib.error, urllib.parse, urllib.request
port, years = sys.argv[1], int(sys.argv[2])
base = f"http://127.0.0.1:{port}"
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(NoRedirect)
cookie = ""
def request(path, data=None):
    global cookie
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    headers = {"Origin": base}
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(base + path, data=body, headers=headers)
    try:
        with opener.open(req) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers
status, _, headers = request("/login", {"username": "controller", "password": "uppsikt-demo"})
assert status == 303, f"sign-in: {status}"
cookie = "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie"))
status, html, _ = request("/")
ks = re.search(r'href="/org/(\d+)">Kommunstyrelsen<', html).group(1)
csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
# The demo's KF 2023 annual report covers KS's 2020-2023: reopen it (logged) to plan them.
kf = re.search(r'href="/org/(\d+)">Kommunfullmäktige<', html).group(1)
status, _, _ = request(f"/org/{kf}/reopen", {"period": "2023", "reason": "Bänktest av verksamhetsplanen", "csrf": csrf})
assert status == 303, f"reopen: {status}"
def timed(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t
board, roll = [], []
carried = 0
for year in range(2020, 2020 + years):
    status, form, _ = request(f"/org/{ks}/plan/{year}/rollover")
    assert status == 200, status
    fields = {name: "Öka" for name in re.findall(r'name="(m-\d+)"', form)}
    fields["csrf"] = csrf
    for _ in range(3):
        board.append(timed(lambda: request(f"/org/{ks}")))
    def post():
        status, _, _ = request(f"/org/{ks}/plan/{year}/rollover", fields)
        assert status == 303, status
    roll.append(timed(post))
    status, page, _ = request(f"/org/{ks}/plan/{year}")
    carried = page.count("överflyttat från")
print(f"indicators={len(fields) - 1} carried_per_year={carried} roll_overs={len(roll)} board_loads={len(board)}")
b, r = statistics.median(board), statistics.median(roll)
print(f"board_page_median_ms={b * 1000:.1f}")
print(f"roll_over_median_ms={r * 1000:.1f}")
print(f"ratio roll_over/board_page={r / b:.2f}x")
PY
