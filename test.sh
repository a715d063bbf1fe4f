#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, unit, property and integration tests on
# SQLite and PostgreSQL, then the browser tests (Playwright + Debian's Chromium + axe-core).
#
# PostgreSQL tests use postgres://postgres@127.0.0.1:5432/test (or UPPSIKT_TEST_POSTGRES_URL)
# and are skipped with a visible message when no server answers, unless
# UPPSIKT_REQUIRE_POSTGRES=1. Browser tests are skipped with a message when Chromium or the
# e2e/node_modules are missing, unless UPPSIKT_REQUIRE_BROWSER=1. `.ci/run` sets both.
# The supply-chain check (`cargo deny`, see deny.toml) is skipped with a message when
# cargo-deny is not installed, unless UPPSIKT_REQUIRE_TOOLS=1 (set by `.ci/run`, which
# installs it).
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
cargo test --workspace

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
