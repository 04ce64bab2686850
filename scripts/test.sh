#!/usr/bin/env bash
# `npm test`: type-check, format-and-lint check the workspace, then run every test with Node's runner (on Node 24),
# including the packaging checks (each package packed as npm publishes it, then publint and attw).
set -euo pipefail
source "$(dirname "$0")/use-node.sh"
cd "$root"
tsc -p tsconfig.json
# Format and lint (biome.jsonc); `npm run format` fixes what it can.
biome check --no-errors-on-unmatched .
node --test --test-reporter=spec "packages/*/test/**/*.test.ts" "examples/*/*.test.ts" "docs/**/*.test.ts" "test/packaging/*.test.ts" "test/chaos/*.test.ts"
