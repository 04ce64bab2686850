#!/usr/bin/env bash
# `npm run chaos -- --minutes 30 [--store sqlite|postgres|both] [--seed N]`: the long fault campaign
# (test/chaos/long.ts), on the project's Node 24 and the TypeScript sources; writes bench/results/chaos.md.
set -euo pipefail
source "$(dirname "$0")/use-node.sh"
cd "$root"
exec node test/chaos/long.ts "$@"
