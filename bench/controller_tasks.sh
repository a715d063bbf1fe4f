#!/usr/bin/env bash
# Times a controller's everyday tasks in Chromium (see controller_tasks.mjs): clicks, fields
# typed, submits and page loads per task. Usage: bash bench/controller_tasks.sh [mode]
# It always runs the debug build (the browser tests' harness); BENCH_SMOKE=1 is the same run,
# skipped when Chromium or e2e/node_modules is missing (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need node nodejs
need chromium
if [ ! -d e2e/node_modules/playwright-core ]; then
    if [ "$SMOKE" = 1 ] && [ "${UPPSIKT_REQUIRE_TOOLS:-0}" != 1 ] && [ "${UPPSIKT_REQUIRE_BROWSER:-0}" != 1 ]; then
        echo "SKIPPED (controller_tasks): e2e/node_modules is missing (cd e2e && npm ci)"
        exit "$SKIP_STATUS"
    fi
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
PROFILE=debug bench_init controller_tasks
node bench/controller_tasks.mjs "${1:-after}"
