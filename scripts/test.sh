#!/usr/bin/env bash
# `npm test`: type-check, format-and-lint check the workspace, then run every test with Node's runner (on Node 24),
# including the packaging checks (each package packed as npm publishes it, then publint and attw).
set -euo pipefail
source "$(dirname "$0")/use-node.sh"
cd "$root"
tsc -p tsconfig.json
# Format and lint (biome.jsonc); `npm run format` fixes what it can.
biome check --no-errors-on-unmatched .
# Test files run in parallel processes: most of a file's time is waiting (child processes, Postgres
# commits, sockets), so more files than cores keeps the cores busy. AGENTFOLD_TEST_CONCURRENCY=1 runs
# them one at a time (to read one failure's output alone).
# Node's compile cache keeps each module's type-stripped, compiled code between the ~110 test
# processes and the servers they start; it lives in .agentfold/ (never committed).
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$root/.agentfold/compile-cache}"
node --test --test-timeout=180000 --test-concurrency="${AGENTFOLD_TEST_CONCURRENCY:-2}" --test-reporter=spec "packages/*/test/**/*.test.ts" "examples/*/*.test.ts" "docs/**/*.test.ts" "test/packaging/*.test.ts" "test/chaos/*.test.ts" "test/first-hour/*.test.ts"
