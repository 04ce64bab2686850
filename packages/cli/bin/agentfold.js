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
// Node 22 calls features agentfold relies on (node:sqlite, fs.glob, type stripping) experimental and
// warns about them on every command; nothing there is for the person to act on, so keep stderr to
// what the command says.
const quietWarnings = /^(SQLite|glob|Type Stripping) is an experimental feature/;
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  const text = typeof warning === "string" ? warning : warning?.message;
  if (type === "ExperimentalWarning" && quietWarnings.test(String(text))) return;
  return emitWarning.call(process, warning, ...rest);
};
// `agentfold threads ls | head -n 1`: the reader of a pipe may leave before the command is done. What
// is left to print has nowhere to go, so it is dropped and the command finishes as it would have (a
// run still stores every event), with its own exit code and no stack trace. Other stream errors
// stay fatal, as without this listener.
const readerGone = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (!readerGone.has(error?.code)) throw error;
  });
}
// Node's on-disk compile cache: most of a short command's time is loading and compiling its ~200
// modules (zod alone is 95); from the second run on the cache saves the compiling (about 25 ms of
// `agentfold approve`, see bench/results/cold-start.md). It lives in the OS temp directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import("node:module")
  .then((module) => module.enableCompileCache?.())
  .catch(() => {})
  .then(() => import("@agentfold/cli"))
  .then(async ({ main }) => {
    process.exitCode = await main(process.argv.slice(2));
  });
