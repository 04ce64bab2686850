#!/usr/bin/env node
// The `agentfold` command. Plain JavaScript that every Node can parse (no top-level await), so that
// an older Node gets one line saying what to install instead of a loader error. The program itself
// is imported by the package's own name: the built dist/ when installed, the TypeScript sources
// inside the repository.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `agentfold needs Node.js 22.13 or newer (22 LTS or 24); this is Node.js ${process.versions.node}. Install Node 24 from https://nodejs.org or with your version manager (e.g. nvm install 24).`,
  );
  process.exit(2);
}
import("@agentfold/cli").then(async ({ main }) => {
  process.exitCode = await main(process.argv.slice(2));
});
