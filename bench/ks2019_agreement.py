#!/usr/bin/env python3
"""Agreement with the KS 2019 annual report (issue 16).

Loads the demo into a fresh SQLite database, serves it, and compares what uppsikt's JSON
API says for Kommunstyrelsen (KS), period 2019, with what the report prints
(bench/ks2019/printed.toml, taken from seed 004):

  trend agreement     indicators with a printed trend: uppsikt's evaluation.trend
  status agreement    indicators whose 2019 milestone the report judges: evaluation.status
  proposal agreement  KS goals with both a decided level and a system proposal: equal levels

    python3 bench/ks2019_agreement.py [--bin PATH] [--demo-dir DIR] [--fixture PATH]

Defaults: --bin target/release/uppsikt, --demo-dir demo, --fixture bench/ks2019/printed.toml
(relative paths are taken from the current directory, or else from the repository root).
Python 3.11+, standard library only. The server and the temporary database are removed
on exit, also on error.

From the API the script relies only on: indicator `key`, `evaluation.status`,
`evaluation.trend`, and a goal's `assessment.decided.level` / `assessment.system.level`
(plus `assessment.basis`, printed as-is). Other fields may come and go.
"""

import argparse
import glob
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.parse

PERIOD = "2019"
ORG_KEY = "ks"
TREND_CODE = {"Positiv": "positive", "Oförändrad": "unchanged", "Negativ": "negative"}
STATUS_CODE = {"Uppnått": "achieved", "Ej uppnått": "not_achieved"}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Failure(Exception):
    pass


def resolve(path, what):
    """A path as given (from the current directory), or else from the repository root."""
    for candidate in (path, os.path.join(REPO, path)):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    raise Failure(f"{what} not found: {path}")


def run(cmd, cwd, stdin=None):
    proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True,
                          env=dict(os.environ, RUST_LOG="warn"))
    if proc.returncode != 0:
        raise Failure(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return proc.stdout


def load_only_flag(binary, cwd):
    """The `demo` flag that loads the demo without serving ("starta inte webbservern")."""
    help_text = run([binary, "demo", "--help"], cwd)
    flag = None  # clap prints the description on the flag's line or on the next one
    for line in help_text.splitlines():
        m = re.match(r"\s*(?:-\w, )?(--[a-z][a-z0-9-]*)", line)
        if m:
            flag = m.group(1)
        if "starta inte webbservern" in line.lower() and flag:
            return flag
    raise Failure("`demo --help` names no flag that loads without serving")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port):
        self.port = port
        self.cookie = ""

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            hdrs = dict(headers or {})
            if self.cookie:
                hdrs["Cookie"] = self.cookie
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def wait_ready(self, server, log_path, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if server.poll() is not None:
                raise Failure(f"the server exited ({server.returncode}):\n{read(log_path)}")
            try:
                status, _, _ = self.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise Failure(f"the server did not answer /healthz within {seconds} s:\n{read(log_path)}")

    def sign_in(self, username, password):
        origin = f"http://127.0.0.1:{self.port}"
        body = urllib.parse.urlencode({"username": username, "password": password})
        status, headers, _ = self.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
        cookies = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
        if not cookies:
            raise Failure(f"sign-in failed (HTTP {status}, no cookie)")
        self.cookie = "; ".join(cookies)

    def get(self, path):
        status, _, body = self.request("GET", path)
        if status != 200:
            raise Failure(f"GET {path}: HTTP {status}: {body[:300]!r}")
        return json.loads(body)


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]
    except OSError:
        return ""


def demo_series(demo_dir):
    """Total outcomes (no breakdown) per indicator key, up to PERIOD, oldest first."""
    series = {}
    for path in sorted(glob.glob(os.path.join(demo_dir, "*.toml"))):
        with open(path, "rb") as f:
            data = tomllib.load(f)
        for ind in data.get("indicators", []):
            values = [(str(o.get("period")), o.get("value")) for o in ind.get("outcomes", [])
                      if "breakdown" not in o and str(o.get("period", ""))[:4] <= PERIOD]
            if "key" in ind:
                series[ind["key"]] = sorted(values)
    return series


def fmt_value(v):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).replace(".", ",")


def fmt_values(values):
    if not values:
        return "no values"
    last = values[-2:]
    two = " -> ".join(f"{fmt_value(v)} ({p})" for p, v in last)
    return f"{two}; series {', '.join(fmt_value(v) for _, v in values)}"


def level(assessment, which):
    part = (assessment or {}).get(which)
    return part.get("level") if isinstance(part, dict) else None


def fmt_basis(basis):
    if not isinstance(basis, dict):
        return "-"
    return " ".join(f"{k}={v}" for k, v in basis.items() if not isinstance(v, (dict, list)))


def pct(a, n):
    return f"{a}/{n} ({100 * a / n:.0f} %)" if n else "0/0 (-)"


def collect(api):
    units = api.get("/api/v1/org-units")
    units = units.get("org_units", units) if isinstance(units, dict) else units
    ks = next((u for u in units if u.get("key") == ORG_KEY), None)
    if ks is None:
        raise Failure(f"no org unit with key {ORG_KEY!r} in /api/v1/org-units")
    listing = api.get(f"/api/v1/org-units/{ks['id']}/goals?period={PERIOD}")
    goals = listing.get("goals", [])
    indicators = {}
    # KS's own goals, then the KF goals it works under (a few KS indicators, e.g. staff
    # figures, hang directly on a KF goal), then any sub-goals.
    parents = listing.get("parent_goals", []) or []
    seen, queue = set(), [g["id"] for g in list(goals) + list(parents) if "id" in g]
    while queue:
        goal_id = queue.pop(0)
        if goal_id in seen:
            continue
        seen.add(goal_id)
        detail = api.get(f"/api/v1/goals/{goal_id}?period={PERIOD}")
        for ind in detail.get("indicators", []):
            if ind.get("key") is not None:
                indicators.setdefault(ind["key"], ind)
        for child in detail.get("children", []) or []:
            if isinstance(child, dict) and "id" in child:
                queue.append(child["id"])
            elif isinstance(child, dict) and isinstance(child.get("goal"), dict):
                queue.append(child["goal"]["id"])
    return listing, goals, indicators


def compare(fixture, indicators, series, field, codes, title):
    rows = [(k, v[field]) for k, v in fixture.items() if field in v]
    agree, lines, missing = 0, [], []
    for key, printed in rows:
        ind = indicators.get(key)
        if ind is None:
            missing.append(key)
            continue
        got = (ind.get("evaluation") or {}).get(field)
        if got == codes[printed]:
            agree += 1
        else:
            lines.append(f"  {key}: printed {printed} ({codes[printed]}), uppsikt {got}; "
                         f"{fmt_values(series.get(key, []))}")
    print(f"{title} agreement: {pct(agree, len(rows))}")
    for line in lines:
        print(line)
    for key in missing:
        print(f"  {key}: MISSING from the API (printed {fixture[key][field]})")
    return agree, len(rows)


def proposals(goals, listing):
    decided = [g for g in goals if level(g.get("assessment"), "decided")]
    both = [g for g in decided if level(g.get("assessment"), "system")]
    same = [g for g in both if level(g["assessment"], "decided") == level(g["assessment"], "system")]
    print(f"proposal agreement: {pct(len(same), len(both))} "
          f"(KS's own goals, {PERIOD}, with a decided level and a system proposal)")
    for g in both:
        a = g["assessment"]
        if level(a, "decided") != level(a, "system"):
            print(f"  {g.get('key')}: decided {level(a, 'decided')}, proposed {level(a, 'system')}; "
                  f"basis {fmt_basis(a.get('basis'))}")
    for g in both:
        a = g["assessment"]
        if level(a, "decided") == level(a, "system"):
            print(f"  = {g.get('key')}: decided {level(a, 'decided')}, proposed {level(a, 'system')}; "
                  f"basis {fmt_basis(a.get('basis'))}")
    none = [g for g in decided if g not in both]
    print(f"decided goals with no proposal: {len(none)} of {len(decided)}")
    for g in none:
        print(f"  {g.get('key')}: decided {level(g['assessment'], 'decided')}, no proposal; "
              f"basis {fmt_basis(g['assessment'].get('basis'))}")
    # KS's own assessments of the KF goals it works under, and its overall assessment:
    # shown for reference, not counted above.
    extra = [(f"KF goal {p.get('title')}", p.get("assessment")) for p in listing.get("parent_goals", []) or []]
    if isinstance(listing.get("overall"), dict):
        extra.append(("overall (sammanvägd)", listing["overall"]))
    extra = [(name, a) for name, a in extra if level(a, "decided")]
    if extra:
        same_x = sum(1 for _, a in extra if level(a, "system") and level(a, "decided") == level(a, "system"))
        with_x = sum(1 for _, a in extra if level(a, "system"))
        print(f"(for reference, not counted: KS's assessments of KF goals and overall: "
              f"{pct(same_x, with_x)} equal)")
        for name, a in extra:
            mark = "=" if level(a, "decided") == level(a, "system") else "≠"
            print(f"  {mark} {name}: decided {level(a, 'decided')}, proposed {level(a, 'system')}; "
                  f"basis {fmt_basis(a.get('basis'))}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="target/release/uppsikt")
    ap.add_argument("--demo-dir", default="demo")
    ap.add_argument("--fixture", default="bench/ks2019/printed.toml")
    args = ap.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the finally block below stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    binary = resolve(args.bin, "binary")
    demo_dir = resolve(args.demo_dir, "demo dir")
    with open(resolve(args.fixture, "fixture"), "rb") as f:
        fixture = tomllib.load(f)["indicators"]
    series = demo_series(demo_dir)

    tmp = tempfile.mkdtemp(prefix="ks2019-")
    server = None
    try:
        os.symlink(demo_dir, os.path.join(tmp, "demo"))
        db = f"sqlite://{os.path.join(tmp, 'uppsikt.db')}"
        run([binary, "--database-url", db, "demo", load_only_flag(binary, tmp)], tmp)
        user, password = "ks2019-bench", secrets.token_hex(16)
        run([binary, "--database-url", db, "user", "add", user, "--name", "KS 2019 bench",
             "--role", "reader", "--password-stdin"], tmp, stdin=password + "\n")
        port = free_port()
        log_path = os.path.join(tmp, "server.log")
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [binary, "--database-url", db, "--addr", f"127.0.0.1:{port}", "serve"],
                cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env=dict(os.environ, RUST_LOG="warn"))
        api = Api(port)
        api.wait_ready(server, log_path)
        api.sign_in(user, password)
        listing, goals, indicators = collect(api)

        print(f"# uppsikt: {binary}")
        print(f"# demo: {demo_dir}; fixture: {args.fixture}; org {ORG_KEY}, period {PERIOD}")
        print(f"# indicators in the API (KS goals and the KF goals above them): {len(indicators)}; in the fixture: {len(fixture)}")
        compare(fixture, indicators, series, "trend", TREND_CODE, "trend")
        compare(fixture, indicators, series, "status", STATUS_CODE, "status")
        proposals(goals, listing)
        absent = [k for k in fixture if k not in indicators]
        if absent:
            print(f"fixture indicators missing from the API: {len(absent)}: {', '.join(absent)}")
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
