/**
 * Postgres flow benchmark: how many statements (each one a transaction: the Postgres store makes
 * every write one statement) a launch → approve → done flow costs through the HTTP API, and resumes
 * per second with 1 and 4 server processes on one Postgres next to one process on a SQLite file, in
 * the same run, with a zero-latency scripted model.
 *
 *   node bench/postgres-flow.bench.ts            # AGENTFOLD_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test
 *   THREADS=300 node bench/postgres-flow.bench.ts  # a shorter run
 *
 * Servers run in child processes (this file with `--serve`); clients (32 at once) spread requests
 * over the processes round robin, so a thread launched on one is mostly approved on another, as
 * behind a load balancer. Results go to bench/results/postgres-flow.{json,md}. Not a test: nothing
 * here asserts timings.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { createStore } from "@agentfold/stores";
import { startServer } from "@agentfold/server";

const POSTGRES_URL = process.env.AGENTFOLD_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = "agentfold_flow_bench";
const THREADS = Number(process.env.THREADS ?? 1000);
const CLIENT_CONCURRENCY = 32;
const COUNTED_FLOWS = 20;

const divide = defineTool({
  intent: "divide",
  description: "divide a by b",
  args: z.object({ a: z.number(), b: z.number() }),
  approval: "required",
  run: ({ a, b }) => a / b,
});
const agent = defineAgent({ name: "calculator", tools: [divide, doneForNow()] });
const model = new ScriptedModel([
  { intent: "divide", a: 3, b: 4 },
  { intent: "done_for_now", message: "0.75" },
]);

/** `--serve <db>`: one server process; counts the statements its `pg` clients send, told over IPC. */
async function serve(db: string): Promise<void> {
  let statements = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  const store = await createStore(db, { schema: SCHEMA });
  const server = await startServer({ store, agents: [agent], model, port: 0, apiKeys: false });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.on("message", (message) => {
    if (message === "statements") process.send?.({ statements });
  });
}

function startChild(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve", db], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

const statementsOf = (child: ChildProcess) =>
  new Promise<number>((resolve) => {
    child.once("message", (message) => resolve((message as { statements: number }).statements));
    child.send("statements");
  });

async function call(url: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return response.json();
}

async function launch(url: string): Promise<{ id: string; callId: string }> {
  const body = await call(url, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
  if (body.status !== "awaiting_approval") throw new Error(`unexpected launch answer ${JSON.stringify(body)}`);
  return { id: body.id, callId: body.pending[0].callId };
}

async function approve(url: string, { id, callId }: { id: string; callId: string }): Promise<void> {
  const body = await call(url, `/v1/threads/${id}/approvals/${callId}`, { approved: true });
  if (body.status !== "done") throw new Error(`unexpected approval answer ${JSON.stringify(body)}`);
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** Launches, then approvals, over `urls` round robin (an approval goes to the process after its launch's). */
async function throughput(urls: string[]): Promise<{ launchesPerSecond: number; resumesPerSecond: number }> {
  const launched: { id: string; callId: string }[] = [];
  let started = performance.now();
  await pool(Array.from({ length: THREADS }), CLIENT_CONCURRENCY, async (_, index) => {
    launched[index] = await launch(urls[index % urls.length]!);
  });
  const launchSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await pool(launched, CLIENT_CONCURRENCY, (thread, index) => approve(urls[(index + 1) % urls.length]!, thread));
  const resumeSeconds = (performance.now() - started) / 1000;
  return { launchesPerSecond: round(THREADS / launchSeconds), resumesPerSecond: round(THREADS / resumeSeconds) };
}

async function resetSchema(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
}

/** Starts `count` servers on `db`, warms them up, runs `measure`, and stops them. */
async function withServers<T>(db: string, count: number, measure: (urls: string[], children: ChildProcess[]) => Promise<T>): Promise<T> {
  const servers = [];
  // One at a time: the first creates the schema.
  for (let index = 0; index < count; index++) servers.push(await startChild(db));
  try {
    const urls = servers.map((server) => server.url);
    for (let index = 0; index < 30; index++) await approve(urls[(index + 1) % urls.length]!, await launch(urls[index % urls.length]!));
    return await measure(
      urls,
      servers.map((server) => server.child),
    );
  } finally {
    for (const server of servers) server.child.kill();
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((value) => round(value, 2));
  const directory = mkdtempSync(join(tmpdir(), "agentfold-flow-bench-"));
  try {
    await resetSchema();
    // Statements per flow, launch and approval counted apart, one flow at a time on one process.
    const perFlow = await withServers(POSTGRES_URL, 1, async ([url], [child]) => {
      const before = await statementsOf(child!);
      const launchedFlows = [];
      for (let index = 0; index < COUNTED_FLOWS; index++) launchedFlows.push(await launch(url!));
      const afterLaunches = await statementsOf(child!);
      for (const thread of launchedFlows) await approve(url!, thread);
      const afterApprovals = await statementsOf(child!);
      const launchStatements = (afterLaunches - before) / COUNTED_FLOWS;
      const approveStatements = (afterApprovals - afterLaunches) / COUNTED_FLOWS;
      return { launch: launchStatements, approve: approveStatements, total: launchStatements + approveStatements };
    });
    await resetSchema();
    const postgresOne = await withServers(POSTGRES_URL, 1, (urls) => throughput(urls));
    await resetSchema();
    const postgresFour = await withServers(POSTGRES_URL, 4, (urls) => throughput(urls));
    const sqlite = await withServers(join(directory, "bench.db"), 1, (urls) => throughput(urls));
    await resetSchema();

    const results = {
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memoryGiB: round(totalmem() / 2 ** 30),
        os: `${platform()} ${release()}`,
        loadAverageAtStart: loadAtStart,
      },
      setup: { model: "scripted, zero latency", clientConcurrency: CLIENT_CONCURRENCY, threads: THREADS, postgres: "local, same machine" },
      statementsPerFlow: perFlow,
      throughput: { postgresOneProcess: postgresOne, postgresFourProcesses: postgresFour, sqliteFileOneProcess: sqlite },
      ratios: {
        resumesPostgresFourToSqlite: round(postgresFour.resumesPerSecond / sqlite.resumesPerSecond, 2),
        resumesPostgresFourToOne: round(postgresFour.resumesPerSecond / postgresOne.resumesPerSecond, 2),
      },
    };
    const dir = join(fileURLToPath(new URL(".", import.meta.url)), "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "postgres-flow.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--serve") await serve(process.argv[3]!);
else await main();
