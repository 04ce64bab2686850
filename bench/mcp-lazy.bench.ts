/**
 * What a command that loads an agent module with an MCP stdio server pays when it never calls an
 * MCP tool (`agentfold approve` of a non-MCP call, `reject`, `threads show` with the module): a
 * fresh process imports a module that defines the filesystem server's tools, by default (the tool
 * list cached under the project's ./.agentfold/mcp-tools/, written by a first load) and with
 * `toolsCache: false` (listed at every load), alternating run by run. Reports the median wall time
 * and whether the server process started (it leaves a marker file).
 *
 *   node bench/mcp-lazy.bench.ts     # writes bench/results/mcp-lazy.md
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const runs = 9;
const median = (values: readonly number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const folder = mkdtempSync(join(tmpdir(), "mcp-lazy-"));
const marker = join(folder, "started.txt");
const serverPath = createRequire(join(root, "packages/mcp/package.json")).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
writeFileSync(
  join(folder, "server.mjs"),
  `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "started");\nawait import(${JSON.stringify(serverPath)});\n`,
);
// The imports resolve from packages/mcp; the project (where the default cache goes) is the folder.
const moduleFor = (withCache: boolean) => `
  import { mcpTools } from "@agentfold/mcp";
  import { defineAgent, doneForNow } from "agentfold";
  process.chdir(${JSON.stringify(folder)});
  const files = await mcpTools({ name: "files", command: process.execPath, args: [${JSON.stringify(join(folder, "server.mjs"))}, ${JSON.stringify(folder)}]${withCache ? "" : ", toolsCache: false"} });
  defineAgent({ name: "files", tools: [...files.tools, doneForNow()] });
`;

function once(withCache: boolean): { ms: number; started: boolean } {
  rmSync(marker, { force: true });
  const start = performance.now();
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", moduleFor(withCache)], {
    cwd: join(root, "packages/mcp"),
    env: { ...process.env, NODE_OPTIONS: "--conditions=agentfold-source" },
    encoding: "utf8",
  });
  const ms = performance.now() - start;
  if (child.status !== 0) throw new Error(`the child failed: ${child.stderr}`);
  return { ms, started: existsSync(marker) };
}

once(true); // writes the cache (and warms the disk cache for both)
if (!existsSync(join(folder, ".agentfold", "mcp-tools"))) throw new Error("the first load wrote no tools cache under the project");
const results = { without: [] as number[], with: [] as number[], startedWithout: 0, startedWith: 0 };
for (let run = 0; run < runs; run++) {
  const a = once(false);
  const b = once(true);
  results.without.push(a.ms);
  results.with.push(b.ms);
  results.startedWithout += a.started ? 1 : 0;
  results.startedWith += b.started ? 1 : 0;
}
rmSync(folder, { recursive: true, force: true });
const without = median(results.without);
const withCache = median(results.with);
const report = `# MCP tools without starting the server (the tools cache)

A fresh process imports an agent module that defines the filesystem server's tools (stdio) and
exits without calling one, as \`agentfold approve\`/\`reject\` of a non-MCP call does. By default the
list comes from \`./.agentfold/mcp-tools/\` (written by a first load, not timed); \`toolsCache: false\`
lists the server at every load. ${runs} runs each, alternating; run from the repository's TypeScript
sources. ${cpus().length} CPUs, Node ${process.version}.

| module                               | median wall ms | server started |
| ------------------------------------ | -------------: | -------------: |
| \`mcpTools\` with \`toolsCache: false\`  | ${without.toFixed(0).padStart(14)} | ${`${results.startedWithout}/${runs}`.padStart(14)} |
| \`mcpTools\` by default (cached list)  | ${withCache.toFixed(0).padStart(14)} | ${`${results.startedWith}/${runs}`.padStart(14)} |

Ratio (default / toolsCache: false): ${(withCache / without).toFixed(2)}.
`;
writeFileSync(join(root, "bench/results/mcp-lazy.md"), report);
console.log(report);
