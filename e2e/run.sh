#!/usr/bin/env bash
# Browser tests: builds the server if needed, then runs e2e/tests/*.test.mjs with Node's
# test runner against Debian's Chromium (/usr/bin/chromium). Each test file starts its own
# `uppsikt demo` on a free port with a fresh SQLite file and stops it afterwards.
#
#   bash e2e/run.sh                 # all tests
#   bash e2e/run.sh journey         # only test files whose name contains "journey"
#
# Needs: cargo, node >= 18, `npm ci` done in e2e/ (done here when node_modules is
# missing), and `apt-get install -y chromium`.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$E2E_DIR/.." && pwd)"
cd "$REPO_ROOT"

CHROMIUM="${UPPSIKT_E2E_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "e2e: $CHROMIUM saknas; installera Debians Chromium: apt-get install -y chromium" >&2
  exit 2
fi

if [ ! -d "$E2E_DIR/node_modules/playwright-core" ] || [ ! -d "$E2E_DIR/node_modules/@axe-core/playwright" ]; then
  echo "e2e: npm ci i e2e/" >&2
  (cd "$E2E_DIR" && npm ci --no-audit --no-fund)
fi

# Build (cargo itself decides whether anything changed).
echo "e2e: cargo build -p uppsikt" >&2
cargo build -p uppsikt
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO_ROOT/$TARGET_DIR" ;; esac
export UPPSIKT_BIN="$TARGET_DIR/debug/uppsikt"
if [ ! -x "$UPPSIKT_BIN" ]; then
  echo "e2e: servern finns inte efter bygget: $UPPSIKT_BIN" >&2
  exit 2
fi

rm -rf "$E2E_DIR/screenshots"
mkdir -p "$E2E_DIR/screenshots"

shopt -s nullglob
files=("$E2E_DIR"/tests/*.test.mjs)
if [ $# -gt 0 ]; then
  selected=()
  for f in "${files[@]}"; do
    for want in "$@"; do
      case "$(basename "$f")" in *"$want"*) selected+=("$f"); break ;; esac
    done
  done
  files=("${selected[@]}")
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "e2e: inga testfiler hittades" >&2
  exit 2
fi

# One file at a time: each starts a server and a browser, and the machine has 2 cores.
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
