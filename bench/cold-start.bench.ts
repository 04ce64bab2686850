/**
 * Cold start, measured from the built packages (dist/) as users run them: what `import("agentfold")`
 * costs over bare node, what loading the tokenizer costs and when it happens, which heavy modules
 * each entry loads, `agentfold approve` of a paused thread in a SQLite file through to done in a
 * fresh process, the fsyncs that approve makes, and step overhead warm and in a fresh process's
 * first run.
 *
 *   node bench/cold-start.bench.ts                      # builds every package, measures, writes the results
 *   node bench/cold-start.bench.ts --compare ../before  # also measures a worktree of the code before, alternating
 *   node bench/cold-start.bench.ts --no-build           # measures the dist/ already built (in both trees)
 *   node bench/cold-start.bench.ts --report             # the .md again from the saved .json
 *
 * Every measurement runs in child processes without NODE_OPTIONS, so the repository's
 * `agentfold-source` condition is off and Node loads dist/. With `--compare <dir>` (a git worktree
 * of an older commit, with its node_modules: see the report's last section) every measure alternates
 * run by run between the two trees, so the machine's other work weighs on both alike. Results go
 * to bench/results/cold-start.json and .md, the other tree's to cold-start-before.json (the .md shows
 * the "before" numbers from that file when it exists).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

const median = (values: readonly number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const targets = {
  importOverBareMs: 60,
  approveWallMs: 120,
  stepWarmMicros: 20,
  stepFirstRunMicros: 40,
};

// ---------------------------------------------------------------------------------------------
// Child modes: `node bench/cold-start.bench.ts --child <mode>` (spawned without NODE_OPTIONS).

/**
 * The step benchmark's child, in plain JavaScript, run as `node --input-type=module -e <this> <mode>
 * <directory>`: the same code for both trees, loading the packages of the tree whose scratch
 * directory it is given (through that directory's node_modules) and the calculator agent with its
 * types stripped, as a compiled project runs. Neither this file nor the agent is TypeScript in that
 * process: Node's type stripper would load megabytes of its own that the first batch's garbage
 * collections then pay for, which a deployed agent never loads. The model answers at once, so the
 * cost measured is the framework's alone.
 */
const stepChildSource = `
  const [mode, directory] = process.argv.slice(1);
  const { defineAgent } = await import(directory + "/agentfold-entry.js");
  const { calculator } = await import(directory + "/calculator-agent.js");
  const instant = { specificationVersion: "v1", id: "instant", async generate() { return { output: { intent: "add", a: 3, b: 4 } }; } };
  const agent = defineAgent({ name: "calculator", tools: calculator.tools, limits: { maxSteps: 1000000 } });
  // The thread of bench/core.bench.ts at K=100: decisions, tool runs and results.
  const events = [];
  for (let index = 1; events.length + 4 <= 100; index += 3) {
    const callId = "call_" + index + "_0";
    events.push(
      { type: "model_decision", calls: [{ callId, intent: "add", args: { a: index, b: 2 } }] },
      { type: "tool_started", callId, intent: "add", args: { a: index, b: 2 }, idempotencyKey: "t:" + callId },
      { type: "tool_result", callId, intent: "add", result: index + 2 },
    );
  }
  while (events.length + 1 < 100) events.push({ type: "custom", name: "note", data: { n: events.length } });
  const thread = agent.start("keep adding 2, starting at 1", { id: "thr_bench" }).append(events);
  const options = { model: instant };
  const batch = 100;
  const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
  if (mode === "first") {
    // The first steps this process ever takes: module code not yet optimized, caches empty.
    let start = performance.now();
    await agent.step(thread, options);
    const firstStepMicros = (performance.now() - start) * 1000;
    // With --expose-gc: a full collection first, so the batch does not pay for promoting what
    // loading the modules left in the young generation (see the report).
    globalThis.gc?.();
    start = performance.now();
    for (let i = 0; i < batch; i++) await agent.step(thread, options);
    const firstBatchMicrosPerStep = ((performance.now() - start) * 1000) / batch;
    console.log(JSON.stringify({ firstStepMicros, firstBatchMicrosPerStep }));
  } else {
    for (let i = 0; i < 500; i++) await agent.step(thread, options); // warm up, as bench/core.bench.ts does
    const samples = [];
    for (let round = 0; round < 40; round++) {
      const start = performance.now();
      for (let i = 0; i < batch; i++) await agent.step(thread, options);
      samples.push(((performance.now() - start) * 1000) / batch);
    }
    console.log(JSON.stringify({ warmMicrosPerStep: median(samples) }));
  }
`;

/**
 * Where a fresh `agentfold approve` spends its time: starting Node (the parent measures that), loading
 * the CLI, then the command itself (loading the agent module and the model, opening the store, the
 * writes and the tool, closing). Runs the CLI's `main` in this process, with the compile cache on as
 * the bin has it.
 */
async function approveSplitChild(threadId: string, callId: string, db: string): Promise<void> {
  const { enableCompileCache } = await import("node:module");
  enableCompileCache();
  let start = performance.now();
  const { main } = await import("@agentfold/cli");
  const loadCliMs = performance.now() - start;
  const write = process.stdout.write;
  process.stdout.write = () => true; // the command's JSON is not this child's output
  start = performance.now();
  const code = await main(["approve", threadId, callId, "--db", db, "--json"]);
  const commandMs = performance.now() - start;
  process.stdout.write = write;
  console.log(JSON.stringify({ code, loadCliMs, commandMs }));
}

/** Import time, RSS, and the cost of the first token count, in a fresh process. */
async function tokenizerChild(): Promise<void> {
  const before = process.memoryUsage().rss;
  let start = performance.now();
  const { countTokens } = await import("agentfold");
  const importMs = performance.now() - start;
  const afterImport = process.memoryUsage().rss;
  start = performance.now();
  countTokens("can you divide 3 by 4");
  const firstCountMs = performance.now() - start;
  const afterCount = process.memoryUsage().rss;
  const mib = (bytes: number) => bytes / 2 ** 20;
  console.log(
    JSON.stringify({ importMs, firstCountMs, importRssMiB: mib(afterImport - before), firstCountRssMiB: mib(afterCount - afterImport) }),
  );
}

type TokenCounts = Record<string, { characters: number; tokens: number; ms: number }>;

/** Long texts counted from the built package: linear in the length, unbroken or not. */
async function tokenCountsChild(): Promise<void> {
  const { countTokens } = await import("agentfold");
  countTokens("warm up: load the tokenizer before timing");
  // A fixed pseudo-random sequence, so every run counts the same text.
  let seed = 1;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const letters = (length: number) => Array.from({ length }, () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(random() * 26)]).join("");
  const words = ["the", "agent", "divides", "3", "by", "4,", "then", "asks", "for", "approval.", "\n", "Result:", "0.75"];
  let prose = "";
  while (prose.length < 2 ** 20) prose += `${words[Math.floor(random() * words.length)]} `;
  const texts: Record<string, string> = {
    "100k unbroken a": "a".repeat(100_000),
    "200k unbroken a": "a".repeat(200_000),
    "400k unbroken a": "a".repeat(400_000),
    "1 MiB unbroken a": "a".repeat(2 ** 20),
    "1 MiB random letters, no spaces": letters(2 ** 20),
    "1 MiB prose": prose.slice(0, 2 ** 20),
  };
  const counts: TokenCounts = {};
  for (const [name, text] of Object.entries(texts)) {
    const start = performance.now();
    const tokens = countTokens(text);
    counts[name] = { characters: text.length, tokens, ms: round(performance.now() - start) };
  }
  console.log(JSON.stringify(counts));
}

/** Which heavy packages and built-ins importing `specifier` loads. */
async function probeChild(specifier: string): Promise<void> {
  const { registerHooks } = await import("node:module");
  const urls = new Set<string>();
  registerHooks({
    resolve(request, context, next) {
      const result = next(request, context);
      urls.add(result.url);
      return result;
    },
  });
  await import(specifier);
  const loaded = (pattern: RegExp) => [...urls].some((url) => pattern.test(url));
  const builtins = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
  console.log(
    JSON.stringify({
      tokenizer: loaded(/\/node_modules\/gpt-tokenizer\//),
      pg: loaded(/\/node_modules\/pg\//),
      aiSdk: loaded(/\/node_modules\/@ai-sdk\/(openai|anthropic|google|openai-compatible)\//),
      nodeTest: builtins.some((name) => name.includes("test_runner")),
      agentfoldTesting: loaded(/\/packages\/core\/dist\/testing\//),
      modules: [...urls].filter((url) => url.startsWith("file:")).length,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The parent: spawns the children and reports.

/**
 * A checkout whose packages are built: this repository, and with `--compare <dir>` a git worktree
 * of the code before a change. Every measure alternates between them run by run, so the machine's
 * other work weighs on both alike. Each tree's children run its own copy of this file (the child
 * modes are the same), so each loads its own dist/.
 */
interface Tree {
  root: string;
  bench: string;
  cliBin: string;
  divideScript: string;
  calculatorModule: string;
  /** A scratch directory whose node_modules is the tree's, so modules there resolve its packages. */
  directory: string;
  /** The calculator agent as plain JavaScript, in `directory`. */
  javascriptAgent: string;
}

async function makeTree(root: string): Promise<Tree> {
  const directory = mkdtempSync(join(tmpdir(), "agentfold-cold-start-"));
  symlinkSync(join(root, "node_modules"), join(directory, "node_modules"), "dir");
  const calculatorModule = join(root, "examples/calculator/agent.ts");
  const { stripTypeScriptTypes } = await import("node:module");
  const javascriptAgent = join(directory, "calculator-agent.js");
  writeFileSync(javascriptAgent, stripTypeScriptTypes(readFileSync(calculatorModule, "utf8")));
  writeFileSync(join(directory, "agentfold-entry.js"), 'export { defineAgent } from "agentfold";\n');
  return {
    root,
    bench: join(root, "bench/cold-start.bench.ts"),
    cliBin: join(root, "packages/cli/bin/agentfold.js"),
    divideScript: join(root, "packages/cli/test/fixtures/divide.json"),
    calculatorModule,
    directory,
    javascriptAgent,
  };
}

/** Runs `measure` for each tree in turn, `runs` times, alternating which goes first. */
function interleaved<T>(trees: readonly Tree[], runs: number, measure: (tree: Tree, index: number) => T): T[][] {
  const samples = trees.map((): T[] => []);
  for (let index = 0; index < runs; index++) {
    const order = index % 2 === 0 ? trees.map((_, i) => i) : trees.map((_, i) => i).reverse();
    for (const i of order) samples[i]!.push(measure(trees[i]!, index));
  }
  return samples;
}

/** The environment of every child: no source condition, nothing that picks a model or store. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(NODE_OPTIONS|AGENTFOLD_|OPENAI_|ANTHROPIC_|GOOGLE_|NODE_TEST)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", AGENTFOLD_ACTOR: "bench" };
}

function run(args: readonly string[], cwd = root, env: Record<string, string> = {}): { ms: number; stdout: string; status: number | null } {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { cwd, env: { ...childEnv(), ...env }, encoding: "utf8" });
  const ms = performance.now() - start;
  if (result.error) throw result.error;
  return { ms, stdout: result.stdout, status: result.status };
}

function runJson<T>(args: readonly string[], cwd = root): T {
  const result = run(args, cwd);
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stdout}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as T;
}

const entries = ["agentfold", "agentfold/runtime", "@agentfold/stores", "@agentfold/models", "@agentfold/server", "@agentfold/cli"];

function measureImports(trees: readonly Tree[], runs: number) {
  const bare: number[] = [];
  const times = trees.map(() => new Map(entries.map((entry) => [entry, [] as number[]])));
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift and the machine's other work hit every column alike.
    bare.push(run(["-e", "0"]).ms);
    for (const entry of entries) {
      for (const [t, tree] of trees.entries())
        times[t]!.get(entry)!.push(run(["-e", `await import(${JSON.stringify(entry)})`], tree.root).ms);
    }
  }
  // The median of paired differences: each import against the bare run of its round.
  const overBare = (t: number, entry: string) => median(times[t]!.get(entry)!.map((ms, i) => ms - bare[i]!));
  return trees.map((_, t) => ({
    bareNodeMs: round(median(bare)),
    overBareMs: Object.fromEntries(entries.map((entry) => [entry, round(overBare(t, entry))])),
  }));
}

function measureTokenizer(trees: readonly Tree[], runs: number) {
  type Sample = { importMs: number; firstCountMs: number; importRssMiB: number; firstCountRssMiB: number };
  return interleaved(trees, runs, (tree) => runJson<Sample>([tree.bench, "--child", "tokenizer"], tree.root)).map((samples) => {
    const of = (key: keyof Sample) => round(median(samples.map((sample) => sample[key])));
    return {
      importMs: of("importMs"),
      importRssMiB: of("importRssMiB"),
      firstCountMs: of("firstCountMs"),
      firstCountRssMiB: of("firstCountRssMiB"),
    };
  });
}

function probeModules(tree: Tree) {
  return Object.fromEntries(
    entries.map((entry) => [entry, runJson<Record<string, boolean | number>>([tree.bench, "--child", "probe", entry], tree.root)]),
  );
}

/**
 * A paused thread in a SQLite file, made by the tree's CLI with a scripted model: `run` stops at the
 * divide approval. Each approve then gets its own copy of the file.
 */
function pausedThread(tree: Tree, module: string) {
  const db = join(tree.directory, `paused-${module === tree.javascriptAgent ? "js" : "ts"}.db`);
  const result = run(
    [tree.cliBin, "run", module, "can you divide 3 by 4", "--model", `script:${tree.divideScript}`, "--db", db, "--json"],
    tree.directory,
  );
  const summary = JSON.parse(result.stdout) as { id: string; status: string; pending: { callId: string }[] };
  if (summary.status !== "awaiting_approval") throw new Error(`Expected a paused thread, got ${result.stdout}`);
  return { db, threadId: summary.id, callId: summary.pending[0]!.callId };
}

function copyDatabase(from: string, to: string): void {
  copyFileSync(from, to);
  if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`);
}

/**
 * Median wall time of `agentfold approve` through to done, each run on its own copy of the paused
 * thread's file. Runs with Node's compile cache (what the bin turns on; a first run per tree fills
 * the cache) alternate with runs without it, and tree with tree.
 */
function measureApprove(trees: readonly Tree[], runs: number, typescript: boolean) {
  const module = (tree: Tree) => (typescript ? tree.calculatorModule : tree.javascriptAgent);
  const paused = trees.map((tree) => pausedThread(tree, module(tree)));
  let copies = 0;
  const approve = (t: number, env: Record<string, string>) => {
    const tree = trees[t]!;
    const db = join(tree.directory, `approve-${copies++}.db`);
    copyDatabase(paused[t]!.db, db);
    const result = run([tree.cliBin, "approve", paused[t]!.threadId, paused[t]!.callId, "--db", db, "--json"], tree.directory, env);
    const status = (JSON.parse(result.stdout) as { status: string }).status;
    if (status !== "done") throw new Error(`approve ended ${status}: ${result.stdout}`);
    return result.ms;
  };
  for (let t = 0; t < trees.length; t++) approve(t, {}); // fills each tree's compile cache
  const cached = interleaved(trees, runs, (tree) => approve(trees.indexOf(tree), {}));
  const uncached = interleaved(trees, runs, (tree) => approve(trees.indexOf(tree), { NODE_DISABLE_COMPILE_CACHE: "1" }));
  const split = interleaved(trees, runs, (tree) => {
    const t = trees.indexOf(tree);
    const db = join(tree.directory, `split-${copies++}.db`);
    copyDatabase(paused[t]!.db, db);
    const sample = runJson<{ code: number; loadCliMs: number; commandMs: number }>(
      [tree.bench, "--child", "approve-split", paused[t]!.threadId, paused[t]!.callId, db],
      tree.directory,
    );
    if (sample.code !== 0) throw new Error(`approve in process failed: ${JSON.stringify(sample)}`);
    return sample;
  });
  return trees.map((_, t) => ({
    medianMs: round(median(cached[t]!)),
    minMs: round(Math.min(...cached[t]!)),
    withoutCompileCacheMedianMs: round(median(uncached[t]!)),
    loadCliMs: round(median(split[t]!.map((sample) => sample.loadCliMs))),
    commandMs: round(median(split[t]!.map((sample) => sample.commandMs))),
  }));
}

/** fsync-family calls of one approve, counted with strace when it is installed. */
function countFsyncs(tree: Tree): number | undefined {
  if (spawnSync("strace", ["-V"]).status !== 0) return undefined;
  const paused = pausedThread(tree, tree.javascriptAgent);
  const db = join(tree.directory, "strace.db");
  copyDatabase(paused.db, db);
  const log = join(tree.directory, "strace.log");
  spawnSync(
    "strace",
    [
      "-f",
      "-e",
      "trace=fsync,fdatasync",
      "-o",
      log,
      process.execPath,
      tree.cliBin,
      "approve",
      paused.threadId,
      paused.callId,
      "--db",
      db,
      "--json",
    ],
    {
      cwd: tree.directory,
      env: childEnv(),
    },
  );
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => /\b(fsync|fdatasync)\(/.test(line) && !line.includes("resumed>")).length;
}

function measureSteps(trees: readonly Tree[], runs: number) {
  type First = { firstStepMicros: number; firstBatchMicrosPerStep: number };
  const child = (tree: Tree, mode: "first" | "warm", flags: string[] = []) => [
    ...flags,
    "--input-type=module",
    "-e",
    stepChildSource,
    mode,
    tree.directory,
  ];
  const first = interleaved(trees, runs, (tree) => runJson<First>(child(tree, "first"), tree.directory));
  const afterGc = interleaved(
    trees,
    runs,
    (tree) => runJson<First>(child(tree, "first", ["--expose-gc"]), tree.directory).firstBatchMicrosPerStep,
  );
  const warm = interleaved(
    trees,
    7,
    (tree) => runJson<{ warmMicrosPerStep: number }>(child(tree, "warm"), tree.directory).warmMicrosPerStep,
  );
  return trees.map((_, t) => ({
    warmMicrosPerStepK100: round(median(warm[t]!)),
    firstRunMicrosPerStepK100: round(median(first[t]!.map((sample) => sample.firstBatchMicrosPerStep))),
    firstRunAfterFullGcMicrosPerStepK100: round(median(afterGc[t]!)),
    firstStepMicrosK100: round(median(first[t]!.map((sample) => sample.firstStepMicros))),
  }));
}

function writeReport(results: Results): string {
  const beforePath = join(root, "bench/results/cold-start-before.json");
  const before = existsSync(beforePath) ? (JSON.parse(readFileSync(beforePath, "utf8")) as Results) : undefined;
  const md = report(results, before);
  writeFileSync(join(root, "bench/results/cold-start.md"), md);
  return md;
}

/** The commit a tree is at, for the report. */
function commitOf(tree: string): string {
  return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: tree, encoding: "utf8" }).trim();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--report")) {
    console.log(writeReport(JSON.parse(readFileSync(join(root, "bench/results/cold-start.json"), "utf8")) as Results));
    return;
  }
  const compareIndex = args.indexOf("--compare");
  const compare = compareIndex === -1 ? undefined : args[compareIndex + 1];
  if (compareIndex !== -1 && !compare)
    throw new Error("--compare needs the directory of a worktree of the code before, e.g. --compare ../before");
  const roots = [root, ...(compare ? [compare] : [])];
  if (!args.includes("--no-build")) {
    for (const tree of roots) {
      // Named in dependency order: the CLI's build reads create-agentfold's declarations.
      execFileSync(
        process.execPath,
        [join(tree, "scripts/build.ts"), "core", "models", "stores", "server", "channels", "web", "evals", "create-agentfold", "cli"],
        {
          cwd: tree,
          stdio: "inherit",
        },
      );
    }
  }
  const trees = await Promise.all(roots.map((tree) => makeTree(tree)));
  try {
    const machine = {
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()}`,
      loadAverageAtStart: loadavg().map((value) => round(value, 2)),
    };
    const date = new Date().toISOString();
    const imports = measureImports(trees, 31);
    const tokenizer = measureTokenizer(trees, 15);
    const javascriptAgent = measureApprove(trees, 21, false);
    const typescriptAgent = measureApprove(trees, 15, true);
    const steps = measureSteps(trees, 15);
    const loadAverageAtEnd = loadavg().map((value) => round(value, 2));
    const results: Results[] = trees.map((tree, t) => ({
      date,
      commit: commitOf(tree.root),
      machine,
      targets,
      imports: imports[t]!,
      tokenizer: tokenizer[t]!,
      modulesLoaded: probeModules(tree),
      approve: { javascriptAgent: javascriptAgent[t]!, typescriptAgent: typescriptAgent[t]!, fsyncs: countFsyncs(tree) },
      steps: steps[t]!,
      tokenCounts: runJson<TokenCounts>([tree.bench, "--child", "token-counts"], tree.root),
      loadAverageAtEnd,
      ...(trees.length > 1 ? { sameRun: true } : {}),
    }));
    if (results[1]) writeFileSync(join(root, "bench/results/cold-start-before.json"), `${JSON.stringify(results[1], null, 2)}\n`);
    writeFileSync(join(root, "bench/results/cold-start.json"), `${JSON.stringify(results[0], null, 2)}\n`);
    console.log(writeReport(results[0]!));
  } finally {
    for (const tree of trees) rmSync(tree.directory, { recursive: true, force: true });
  }
}

type Results = {
  date: string;
  /** The commit measured (short hash); older results have none. */
  commit?: string;
  /** Set when "before" and "now" were measured in one run, alternating (`--compare`). */
  sameRun?: boolean;
  machine: { node: string; cpu: string; cores: number; memoryGiB: number; os: string; loadAverageAtStart?: number[] };
  loadAverageAtEnd?: number[];
  imports: { bareNodeMs: number; overBareMs: Record<string, number> };
  tokenizer: { importMs: number; importRssMiB: number; firstCountMs: number; firstCountRssMiB: number };
  modulesLoaded: Record<string, Record<string, boolean | number>>;
  approve: {
    javascriptAgent: { medianMs: number; minMs: number; withoutCompileCacheMedianMs?: number; loadCliMs?: number; commandMs?: number };
    typescriptAgent: { medianMs: number; minMs: number; withoutCompileCacheMedianMs?: number; loadCliMs?: number; commandMs?: number };
    fsyncs: number | undefined;
  };
  steps: {
    warmMicrosPerStepK100: number;
    firstRunMicrosPerStepK100: number;
    firstRunAfterFullGcMicrosPerStepK100?: number;
    firstStepMicrosK100: number;
  };
  tokenCounts?: TokenCounts;
};

function report(now: Results, before: Results | undefined): string {
  const met = (value: number, target: number) => (value <= target ? "met" : "**not met**");
  const was = (value: number | undefined) => (value === undefined ? "–" : String(value));
  const yes = (value: boolean | number | undefined) => (value ? "yes" : "no");
  const loads = (results: Results) => [
    "| entry | tokenizer | pg | AI SDK providers | node:test | agentfold/testing | modules loaded |",
    "|---|---|---|---|---|---|---:|",
    ...Object.entries(results.modulesLoaded).map(
      ([entry, loaded]) =>
        `| \`${entry}\` | ${yes(loaded.tokenizer)} | ${yes(loaded.pg)} | ${yes(loaded.aiSdk)} | ${yes(loaded.nodeTest)} | ${yes(loaded.agentfoldTesting)} | ${loaded.modules} |`,
    ),
  ];
  const importNow = now.imports.overBareMs.agentfold!;
  const approveNow = now.approve.javascriptAgent.medianMs;
  const lines = [
    "# Cold-start benchmark",
    "",
    `Run ${now.date} with \`node bench/cold-start.bench.ts\`: node ${now.machine.node}, ${now.machine.cpu}, ${now.machine.cores} cores, ${now.machine.memoryGiB} GiB, ${now.machine.os}.`,
    "Every number comes from child processes that load the built packages (dist/, without the",
    "`agentfold-source` condition); medians over 15 or more fresh processes unless said otherwise. The",
    "machine is shared with other work: runs minutes apart differ by 10–20%, and more while others run",
    `tests (load average ${now.machine.loadAverageAtStart?.join(", ") ?? "?"} at the start of this run, ${now.loadAverageAtEnd?.join(", ") ?? "?"} at the end).`,
    ...(before?.sameRun
      ? [
          "",
          `"Before" is commit ${before.commit} (a git worktree of it, built the same way), measured in this same run: every measure alternated between the two trees run by run (\`--compare\`), so the machine's other work weighed on both alike. Its numbers are in bench/results/cold-start-before.json; this tree is commit ${now.commit ?? "?"} plus whatever was uncommitted in it.`,
        ]
      : before
        ? [
            "",
            `"Before" is the same benchmark run ${before.date} on the code before these changes (bench/results/cold-start-before.json), on the same machine; its import rows are differences of medians over 21 runs rather than medians of paired differences, and it had no token-count, compile-cache or split rows.`,
          ]
        : []),
    "",
    "## Targets",
    "",
    "| measure | before | now | target | |",
    "|---|---:|---:|---:|---|",
    `| \`import("agentfold")\` over bare \`node -e 0\` (ms) | ${was(before?.imports.overBareMs.agentfold)} | ${importNow} | ≤ ${targets.importOverBareMs} | ${met(importNow, targets.importOverBareMs)} |`,
    `| \`agentfold approve\` of a paused thread in a SQLite file through to done, fresh process, wall (ms) | ${was(before?.approve.javascriptAgent.medianMs)} | ${approveNow} | ≤ ${targets.approveWallMs} | ${met(approveNow, targets.approveWallMs)} |`,
    `| step overhead at K=100, warm (µs per step) | ${was(before?.steps.warmMicrosPerStepK100)} | ${now.steps.warmMicrosPerStepK100} | ≤ ${targets.stepWarmMicros} | ${met(now.steps.warmMicrosPerStepK100, targets.stepWarmMicros)} |`,
    `| step overhead at K=100, a fresh process's first run (µs per step) | ${was(before?.steps.firstRunMicrosPerStepK100)} | ${now.steps.firstRunMicrosPerStepK100} | ≤ ${targets.stepFirstRunMicros} | ${met(now.steps.firstRunMicrosPerStepK100, targets.stepFirstRunMicros)} |`,
    "",
    ...(before
      ? [
          before.sameRun
            ? `Bare \`node -e 0\` took ${now.imports.bareNodeMs} ms in this run (about 26 ms on this machine when it is idle): a yardstick for how busy the shared machine was.`
            : `Bare \`node -e 0\` took ${now.imports.bareNodeMs} ms in this run and ${before.imports.bareNodeMs} ms in the before run: a yardstick for how busy the shared machine was in each.`,
          "",
        ]
      : []),
    "## Details",
    "",
    "| measure | before | now |",
    "|---|---:|---:|",
    `| bare \`node -e 0\` (ms) | ${was(before?.imports.bareNodeMs)} | ${now.imports.bareNodeMs} |`,
    ...Object.keys(now.imports.overBareMs).map(
      (entry) =>
        `| \`import("${entry}")\` over bare node (ms) | ${was(before?.imports.overBareMs[entry])} | ${now.imports.overBareMs[entry]} |`,
    ),
    `| \`import("agentfold")\` timed inside the process (ms) | ${was(before?.tokenizer.importMs)} | ${now.tokenizer.importMs} |`,
    `| RSS added by \`import("agentfold")\` (MiB) | ${was(before?.tokenizer.importRssMiB)} | ${now.tokenizer.importRssMiB} |`,
    `| the first \`countTokens()\` after the import (ms) | ${was(before?.tokenizer.firstCountMs)} | ${now.tokenizer.firstCountMs} |`,
    `| RSS added by the first \`countTokens()\` (MiB) | ${was(before?.tokenizer.firstCountRssMiB)} | ${now.tokenizer.firstCountRssMiB} |`,
    `| \`agentfold approve\` without Node's compile cache (ms) | ${was(before?.approve.javascriptAgent.withoutCompileCacheMedianMs ?? before?.approve.javascriptAgent.medianMs)} | ${was(now.approve.javascriptAgent.withoutCompileCacheMedianMs)} |`,
    `| of which, in one process: loading the CLI (ms) | ${was(before?.approve.javascriptAgent.loadCliMs)} | ${was(now.approve.javascriptAgent.loadCliMs)} |`,
    `| of which, in one process: the command (the agent module, the model, the store, the writes, the tool) (ms) | ${was(before?.approve.javascriptAgent.commandMs)} | ${was(now.approve.javascriptAgent.commandMs)} |`,
    `| \`agentfold approve\` with the agent module in TypeScript (Node strips its types) (ms) | ${was(before?.approve.typescriptAgent.medianMs)} | ${now.approve.typescriptAgent.medianMs} |`,
    `| fsync and fdatasync calls of one \`agentfold approve\` (strace) | ${was(before?.approve.fsyncs)} | ${now.approve.fsyncs ?? "strace missing"} |`,
    `| the very first step of a fresh process at K=100 (µs) | ${was(before?.steps.firstStepMicrosK100)} | ${now.steps.firstStepMicrosK100} |`,
    `| first run, after a full collection (\`--expose-gc\`) (µs per step) | ${was(before?.steps.firstRunAfterFullGcMicrosPerStepK100)} | ${was(now.steps.firstRunAfterFullGcMicrosPerStepK100)} |`,
    "",
    ...(before?.sameRun
      ? []
      : ["Before, the compile cache was not on, so the before value of the row without it is the before approve.", ""]),
    "Where `approve` still spends its time, in one process (the split rows): starting Node (the bare",
    "row); loading the CLI, zod's 95 modules about half of it (the agent module imports zod anyway),",
    "then commander (whose `child_process` brings in net, streams and fs/promises), core, the stores and",
    "the CLI's own modules; and the command. In the command: building the event and thread schemas on",
    "first use (zod's code runs for the first time), the first SHA-256 (loading node:crypto, for the",
    "approval's hash of the arguments), importing the agent module, opening the SQLite file, four",
    "durable commits (the approval, `tool_started`, `tool_result`, the decision with `done`) and the",
    "checkpoint when the file closes, and the garbage collections that loading about 190 modules sets",
    "off (a mark-compact lands in the command). See docs/decisions/2026-11-30-cold-start.md.",
    "",
    "## Counting tokens of long texts (issue #11)",
    "",
    "Before, the count was quadratic in the length of an unbroken piece: 100k characters 1.8 s, 200k",
    "7.5 s, 400k 29 s (issue #11); a 1 MiB unbroken string did not finish. Now each piece is cut into",
    "chunks of at most 256 characters (at a space where that is exact) before the byte-pair merge.",
    "",
    "| text | characters | tokens | ms |",
    "|---|---:|---:|---:|",
    ...Object.entries(now.tokenCounts ?? {}).map(([name, count]) => `| ${name} | ${count.characters} | ${count.tokens} | ${count.ms} |`),
    "",
    "Random letters cost more per character than prose: nearly every chunk is new to gpt-tokenizer's",
    "merge cache, and its merge costs about 2 µs per token; the time is linear in the length.",
    "",
    "## What each entry loads",
    "",
    ...loads(now),
    ...(before ? ["", "Before:", "", ...loads(before)] : []),
    "",
    "## How it is measured",
    "",
    "- Import times are wall times of whole `node -e` processes: each import right after a bare `node -e 0`,",
    "  the median of the 31 differences.",
    "- `approve` runs the real `agentfold` binary on a copy of a SQLite file holding a thread that",
    "  `agentfold run` paused at the calculator's divide approval (scripted model",
    "  `packages/cli/test/fixtures/divide.json`): it records the approval, runs the tool, asks the",
    "  scripted model once more and ends done. The agent module is examples/calculator/agent.ts with its",
    "  types stripped, as a compiled project ships it. The bin turns on Node's compile cache; runs with",
    "  it alternate with runs without it (`NODE_DISABLE_COMPILE_CACHE=1`).",
    "- Step overhead uses the zero-latency model and the K=100 thread of bench/core.bench.ts, from a",
    "  plain JavaScript child (the same code for both trees; the calculator agent with its types",
    "  stripped, as a compiled project runs it). Warm: the median of 40 batches of 100 steps after 500",
    "  warm-up steps, median over 7 processes. First run: a fresh process's first batch of 100 steps,",
    "  right after its very first step (reported separately), median over 15 processes. That batch pays",
    "  one-time work: V8 runs the step's code in its interpreter until it is hot (the first ten steps",
    "  cost several times the last fifty), and the process's first young-generation collection after",
    "  loading promotes what loading left (one step of a few milliseconds). The row after a full",
    "  collection (`--expose-gc`, `gc()` before the batch) leaves out the second. Until 2026-11-30 the",
    "  children were TypeScript that Node type-stripped, and the stripper's allocations set off a full",
    "  collection inside the batch, which a deployed agent never pays.",
    "- `--compare <dir>`: <dir> is a git worktree of the older commit (`git worktree add --detach",
    "  <dir> <commit>`) whose node_modules holds links to this repository's dependencies and copies of",
    "  the workspace links (agentfold, create-agentfold, @agentfold/*), so that it loads its own",
    "  packages; both trees are built before measuring unless `--no-build`.",
    "",
  ];
  return withRatios(lines).join("\n");
}

/**
 * Adds a now/before column to the two tables that compare the trees: the ratio of the medians, so a
 * run on a busy machine still says how much a change saved.
 */
function withRatios(lines: readonly string[]): string[] {
  let inComparison = false;
  return lines.map((line) => {
    if (line === "| measure | before | now | target | |" || line === "| measure | before | now |") {
      inComparison = true;
      return line.replace("| now |", "| now | now/before |");
    }
    if (!inComparison) return line;
    if (!line.startsWith("|")) {
      inComparison = false;
      return line;
    }
    const cells = line.split("|");
    if (line.startsWith("|---")) return [...cells.slice(0, 3), "---:", ...cells.slice(3)].join("|");
    const [before, now] = [Number(cells[2]), Number(cells[3])];
    const ratio = cells[2]!.trim() !== "" && Number.isFinite(before) && Number.isFinite(now) && before > 0 ? (now / before).toFixed(2) : "";
    return [...cells.slice(0, 4), ` ${ratio} `, ...cells.slice(4)].join("|");
  });
}

const childIndex = process.argv.indexOf("--child");
if (childIndex === -1) await main();
else {
  const mode = process.argv[childIndex + 1];
  if (mode === "tokenizer") await tokenizerChild();
  else if (mode === "token-counts") await tokenCountsChild();
  else if (mode === "approve-split")
    await approveSplitChild(process.argv[childIndex + 2]!, process.argv[childIndex + 3]!, process.argv[childIndex + 4]!);
  else if (mode === "probe") await probeChild(process.argv[childIndex + 2]!);
  else throw new Error(`Unknown child mode ${mode}`);
}
