#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, unit, property and integration tests on
# SQLite and PostgreSQL, then the browser tests (Playwright + Debian's Chromium + axe-core).
#
# What may be missing is skipped with a message, unless the matching variable is 1 (`.ci/run`
# sets all three, and installs what they need):
# - UPPSIKT_REQUIRE_POSTGRES: the PostgreSQL half of the store, import, report and web
#   tests. They use postgres://postgres@127.0.0.1:5432/test, or UPPSIKT_TEST_POSTGRES_URL
#   (an admin database; each test creates and drops its own database).
# - UPPSIKT_REQUIRE_BROWSER: the browser tests (Debian's chromium and e2e/node_modules).
# - UPPSIKT_REQUIRE_TOOLS: the supply-chain check (cargo-deny, see deny.toml), the PDF
#   text checks (pdftotext and pdfinfo, from poppler-utils) and the bench smoke runs' tools
#   (wrk, sqlite3, psql).
# libtest hides what a passing test prints, so the tests also write each skip to the file
# UPPSIKT_SKIP_LOG names; after `cargo test` this script counts them ("SKIPPED (PostgreSQL)
# 214 times: no server at …"). `cargo test -- --nocapture` shows each test's own message.
set -euo pipefail
cd "$(dirname "$0")"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo deny (advisories, licences, duplicate versions, sources)"
if cargo deny --version >/dev/null 2>&1; then
    bash .ci/deny.sh
elif [ "${UPPSIKT_REQUIRE_TOOLS:-0}" = 1 ]; then
    echo "FAILED: cargo deny required but cargo-deny is missing (run .ci/run or: cargo install cargo-deny --version 0.20.2 --locked)" >&2
    exit 1
else
    echo "SKIPPED (cargo deny): install it with 'cargo install cargo-deny --version 0.20.2 --locked' to check advisories, licences, duplicates and sources"
fi
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test (unit, property, integration; SQLite and PostgreSQL)"
skip_log=$(mktemp)
trap 'rm -f "$skip_log"' EXIT
status=0
UPPSIKT_SKIP_LOG="$skip_log" cargo test --workspace || status=$?
# One line per cause: "SKIPPED (what) N times: why".
awk -F '\t' '{ n[$1 FS $2]++ } END { for (k in n) { split(k, p, FS);
    printf "SKIPPED (%s) %d time%s: %s\n", p[1], n[k], n[k] == 1 ? "" : "s", p[2] } }' "$skip_log" | sort
[ "$status" = 0 ] || exit "$status"

echo "== bench smoke runs"
# Every bench script in seconds (tiny sizes, the debug binary cargo test built), so that none
# breaks unnoticed; wrk, sqlite3 or psql missing: SKIPPED, unless UPPSIKT_REQUIRE_TOOLS=1.
bash bench/smoke.sh

echo "== browser tests (e2e/)"
if [ -x /usr/bin/chromium ] && [ -d e2e/node_modules ]; then
    bash e2e/run.sh
elif [ "${UPPSIKT_REQUIRE_BROWSER:-0}" = 1 ]; then
    echo "FAILED: browser tests required but /usr/bin/chromium or e2e/node_modules is missing (run .ci/run or: apt-get install chromium && (cd e2e && npm ci))" >&2
    exit 1
else
    echo "SKIPPED (browser tests): install Debian's chromium and run 'npm ci' in e2e/ to run them"
fi
echo "== all tests passed"
