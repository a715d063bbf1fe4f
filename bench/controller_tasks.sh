#!/usr/bin/env bash
# Times a controller's everyday tasks in Chromium (see controller_tasks.mjs): clicks, fields
# typed, submits and page loads per task. Usage: bash bench/controller_tasks.sh [mode]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d e2e/node_modules/playwright-core ] || (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
cargo build -q -p uppsikt
node bench/controller_tasks.mjs "${1:-after}"
