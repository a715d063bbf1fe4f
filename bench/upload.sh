#!/usr/bin/env bash
# Upload benchmark (issue 14): what a 20 MB upload costs the server, for a normal file and
# for files built to expand when read. Builds the release binary, creates a fresh SQLite
# demo database, writes the files (`uppsikt bench upload-files`: a ~20 MB CSV and XLSX of
# outcomes, a zip bomb, a member lying about its size, one shared string in every cell,
# an XLS of LABELSST records, a repeated ODS cell), then for each file starts a fresh
# server, signs in as the demo controller, uploads the file (and, when it is accepted,
# opens its preview) while another client asks for /healthz every 50 ms, and prints:
#
#   file, size, HTTP status, seconds of the upload, the server's resident memory before
#   the upload (rss), its peak (VmHWM from /proc/PID/status) after the upload and the
#   rise, the slowest /healthz answer during the upload, and for an accepted file the
#   seconds of its preview (every row checked against the database) and the peak after
#   it; then the page's message.
#
#   bash bench/upload.sh
#   FILES="normal.csv bomb.xlsx" bash bench/upload.sh
#
# Needs python3 and curl. The files (~140 MB) are removed at the end. BENCH_SMOKE=1 uploads
# only normal.csv and bomb.xlsx on the debug build (see bench/lib.sh). The script fails when
# a server answers 5xx or dies, or a normal file is not accepted and previewed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_init upload
rm -rf "$OUT"
mkdir -p "$OUT/static"
trap 'stop_servers; rm -rf "$OUT"' EXIT

DATABASE_URL="sqlite://$OUT/demo.db"
RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" demo --no-serve >/dev/null || fail "uppsikt demo"
echo "# files"
RUST_LOG=warn "$BIN" --database-url "$DATABASE_URL" bench upload-files --out "$OUT/files" > "$OUT/files.txt" || fail "bench upload-files"
sed 's/^/#   /' "$OUT/files.txt"
FILES="${FILES:-$(size "$(cut -f1 "$OUT/files.txt" | tr '\n' ' ')" "normal.csv bomb.xlsx")}"

printf '%-13s %6s %6s %8s %6s %8s %7s %9s %9s %9s  %s\n' \
    file MB status upload_s rss_MB peak_MB rise_MB health_ms preview_s +prev_MB message
for file in $FILES; do
    start_server on
    python3 - "$BASE" "$SERVER_PID" "$OUT/files/$file" <<'PY' || fail "upload of $file"
import html, re, sys, threading, time, urllib.error, urllib.request, uuid

base, pid, path = sys.argv[1], sys.argv[2], sys.argv[3]
name = path.rsplit("/", 1)[1]

def status_kb(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field}: the server has gone")

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None

opener = urllib.request.build_opener(NoRedirect)

def request(path, data=None, headers=None):
    req = urllib.request.Request(base + path, data=data, headers=headers or {})
    try:
        r = opener.open(req, timeout=600)
        return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")

# Sign in as the demo controller; the CSRF token comes from a page.
# Like a browser, every POST names the page's origin (others are refused).
status, headers, _ = request("/login", urllib.parse.urlencode(
    {"username": "controller", "password": "uppsikt-demo"}).encode(), {"Origin": base})
if status != 303:
    raise SystemExit(f"sign-in: {status}")
cookie = "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie"))
_, _, page = request("/import", headers={"Cookie": cookie})
csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)

boundary = uuid.uuid4().hex
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n").encode()
body += open(path, "rb").read() + f"\r\n--{boundary}--\r\n".encode()

# Another client asks for /healthz while the upload runs; the slowest answer counts.
slowest, done = [0.0], threading.Event()
def ask():
    while not done.is_set():
        t = time.monotonic()
        try:
            urllib.request.urlopen(base + "/healthz", timeout=60).read()
        except Exception:
            slowest[0] = float("inf")
            return
        slowest[0] = max(slowest[0], time.monotonic() - t)
        time.sleep(0.05)
asker = threading.Thread(target=ask)

rss = status_kb("VmRSS")
asker.start()
t = time.monotonic()
status, headers, page = request("/import/outcomes", body, {
    "Cookie": cookie, "Origin": base,
    "Content-Type": f"multipart/form-data; boundary={boundary}"})
upload_s = time.monotonic() - t
done.set()
asker.join()
peak_upload = status_kb("VmHWM")
preview_s = "-"
if status == 303:
    t = time.monotonic()
    pstatus, _, page = request(headers["Location"], headers={"Cookie": cookie})
    preview_s = f"{time.monotonic() - t:.2f}"
    rows = re.search(r"(\d+) rader", page)
    message = f"preview {pstatus}: {rows.group(1) if rows else '?'} rows"
else:
    found = re.search(r'id="upload-error"[^>]*>(.*?)</', page, re.S) or re.search(r"<main.*?<p[^>]*>(.*?)</p>", page, re.S)
    message = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else page[:80]
peak = status_kb("VmHWM")
size = len(body) / 1e6
after_preview = f"{peak / 1024:.0f}" if preview_s != "-" else "-"
print(f"{name:<13} {size:6.1f} {status:6} {upload_s:8.2f} {rss / 1024:6.0f} {peak_upload / 1024:8.0f} "
      f"{(peak_upload - rss) / 1024:7.0f} {slowest[0] * 1000:9.0f} {preview_s:>9} {after_preview:>9}  {message[:72]}")
# A refusal is a figure; a server error, a server that stopped answering, or a normal file
# not accepted and previewed is a failure.
if status >= 500 or slowest[0] == float("inf"):
    raise SystemExit(f"{name}: status {status}, slowest /healthz {slowest[0]}")
if name.startswith("normal.") and (status != 303 or not message.startswith("preview 200")):
    raise SystemExit(f"{name}: not accepted and previewed ({status}, {message})")
PY
    stop_servers
done
