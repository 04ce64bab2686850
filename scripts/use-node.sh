# Sourced by ./agentfold, scripts/test.sh and .ci/run: puts the Node 24 that scripts/setup.sh
# installed (in .agentfold/node, when the machine's node was older) first on PATH, and makes Node
# resolve agentfold's packages to their TypeScript sources (the `agentfold-source` export
# condition) instead of the dist/ that only published tarballs carry.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for bin in "$root"/.agentfold/node/node_modules/node-*/bin; do
  [ -x "$bin/node" ] && PATH="$bin:$PATH"
done
export PATH
case " ${NODE_OPTIONS-} " in
  *" --conditions=agentfold-source "*) ;;
  *) export NODE_OPTIONS="--conditions=agentfold-source${NODE_OPTIONS:+ $NODE_OPTIONS}" ;;
esac
