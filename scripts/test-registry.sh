#!/usr/bin/env bash
# `npm run test:registry`: publishes every package to a throwaway local registry (verdaccio) and
# walks a user's path on Node 22 and Node 24 from `npm create agentfold@latest` (see
# test/registry/). Needs the npm registry for third-party packages; takes a few minutes.
set -euo pipefail
source "$(dirname "$0")/use-node.sh"
cd "$root"
node --test --test-reporter=spec "test/registry/*.test.ts"
