/**
 * Server benchmark over loopback with a zero-latency scripted model and a SQLite file:
 * launches and approvals per second, resume latency p50/p99 with 10,000 paused threads stored, and
 * the server's RSS idle vs with 10,000 paused threads.
 *
 *   node --expose-gc bench/server.bench.ts
 *
 * The server runs in a child process (this file with `--serve`), so its RSS is its own. Results go
 * to bench/results/server.json and bench/results/server.md. Not a test: nothing here asserts timings.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, Thread } from "agentfold";
import { newId } from "agentfold/runtime";
import { ScriptedModel } from "agentfold/testing";
import { createSqliteStore } from "@agentfold/stores";
import { startServer } from "@agentfold/server";

const THROUGHPUT_THREADS = 1000;
const CLIENT_CONCURRENCY = 32;
const PAUSED_THREADS = 10_000;
const LATENCY_SAMPLES = 1000;

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

async function serve(db: string): Promise<void> {
  const server = await startServer({ store: db, agents: [agent], model, port: 0, apiKeys: false });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.on("message", (message) => {
    if (message === "gc") {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ rss: process.memoryUsage().rss, activeThreads: server.runner.activeThreads });
    }
  });
}

function startChild(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--serve", db], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
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

function rssOf(child: ChildProcess): Promise<{ rss: number; activeThreads: number }> {
  return new Promise((resolve) => {
    child.once("message", (message) => resolve(message as { rss: number; activeThreads: number }));
    child.send("gc");
  });
}

async function call(url: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const quantile = (values: number[], q: number) =>
  values.toSorted((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

interface Throughput {
  launchesPerSecond: number;
  resumesPerSecond: number;
}

/** Launches, then approvals (resumes), each as fast as CLIENT_CONCURRENCY clients can go. */
async function throughput(url: string): Promise<Throughput> {
  const launched: { id: string; callId: string }[] = [];
  let started = performance.now();
  await pool(
    Array.from({ length: THROUGHPUT_THREADS }, (_, index) => index),
    CLIENT_CONCURRENCY,
    async () => {
      const response = await call(url, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
      if (response.body.status !== "awaiting_approval") throw new Error(`unexpected ${JSON.stringify(response.body)}`);
      launched.push({ id: response.body.id, callId: response.body.pending[0].callId });
    },
  );
  const launchSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await pool(launched, CLIENT_CONCURRENCY, async ({ id, callId }) => {
    const response = await call(url, `/v1/threads/${id}/approvals/${callId}`, { approved: true });
    if (response.body.status !== "done") throw new Error(`unexpected ${JSON.stringify(response.body)}`);
  });
  const resumeSeconds = (performance.now() - started) / 1000;
  return { launchesPerSecond: round(THROUGHPUT_THREADS / launchSeconds), resumesPerSecond: round(THROUGHPUT_THREADS / resumeSeconds) };
}

async function warmUp(url: string): Promise<void> {
  for (let index = 0; index < 50; index++) {
    const launched = await call(url, "/v1/threads", { agent: "calculator", message: "warm up" });
    await call(url, `/v1/threads/${launched.body.id}/approvals/${launched.body.pending[0].callId}`, { approved: true });
  }
}

async function main(): Promise<void> {
  // Other work on the machine (and its disk) shows in the numbers: record how busy it was.
  const loadAtStart = loadavg().map((value) => round(value, 2));
  const directory = mkdtempSync(join(tmpdir(), "agentfold-server-bench-"));
  const db = join(directory, "bench.db");

  // The same run on an in-memory SQLite database: what the server costs without durable commits.
  const memory = await startChild(":memory:");
  let inMemory: Throughput;
  try {
    await warmUp(memory.url);
    inMemory = await throughput(memory.url);
  } finally {
    memory.child.kill();
  }

  const { child, url } = await startChild(db);
  try {
    await warmUp(url);
    const idle = await rssOf(child);
    const onFile = await throughput(url);
    const afterThroughput = await rssOf(child);

    // 10,000 paused threads written straight to the file (as if launched earlier), then the server's RSS.
    const template = await agent.run(agent.start("divide 3 by 4"), { model });
    const json = template.toJSON();
    const store = createSqliteStore({ path: db });
    const paused: { id: string; callId: string }[] = [];
    for (let index = 0; index < PAUSED_THREADS; index++) {
      const thread = Thread.fromJSON({ ...json, id: newId("thr") });
      await store.create(thread);
      paused.push({ id: thread.id, callId: thread.pending[0]!.callId });
    }
    await store.close();
    const withPaused = await rssOf(child);

    // Resume latency: one approval at a time, random paused threads.
    const latencies: number[] = [];
    const order = paused.toSorted(() => Math.random() - 0.5).slice(0, LATENCY_SAMPLES);
    for (const { id, callId } of order) {
      const before = performance.now();
      const response = await call(url, `/v1/threads/${id}/approvals/${callId}`, { approved: true });
      latencies.push(performance.now() - before);
      if (response.body.status !== "done") throw new Error(`unexpected ${JSON.stringify(response.body)}`);
    }
    const afterResumes = await rssOf(child);

    const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
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
      setup: {
        model: "scripted, zero latency",
        transport: "HTTP over loopback, server in its own process",
        clientConcurrency: CLIENT_CONCURRENCY,
        threads: THROUGHPUT_THREADS,
      },
      throughput: {
        sqliteFile: onFile,
        sqliteInMemory: inMemory,
        note: "a launch runs to the approval pause; a resume (approval) runs the tool and the next model step to done",
      },
      resumeLatencyMs: {
        pausedThreadsStored: PAUSED_THREADS + THROUGHPUT_THREADS + 50,
        samples: LATENCY_SAMPLES,
        p50: round(quantile(latencies, 0.5), 2),
        p99: round(quantile(latencies, 0.99), 2),
      },
      rssMiB: {
        idle: mib(idle.rss),
        afterThroughputRun: mib(afterThroughput.rss),
        with10000MorePaused: mib(withPaused.rss),
        after1000Resumes: mib(afterResumes.rss),
        runnerActiveThreadsWhenIdle: withPaused.activeThreads,
      },
    };
    const out = fileURLToPath(new URL("./results/", import.meta.url));
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "server.json"), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(
      join(out, "server.md"),
      `# Server benchmark

Run ${results.date} with \`node --expose-gc bench/server.bench.ts\`: node ${results.machine.node}, ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, ${results.machine.os}; load average at start ${loadAtStart.join(", ")}.
Scripted model with zero latency; HTTP over loopback; the server in its own process; ${CLIENT_CONCURRENCY} concurrent clients in the benchmark process (sharing the ${results.machine.cores} cores); ${THROUGHPUT_THREADS} threads.

| throughput | SQLite file (WAL, synchronous=FULL) | SQLite \`:memory:\` (no durable commit) |
|---|---:|---:|
| launches per second (launch → awaiting approval) | ${onFile.launchesPerSecond} | ${inMemory.launchesPerSecond} |
| resumes per second (approve → tool runs → done) | ${onFile.resumesPerSecond} | ${inMemory.resumesPerSecond} |

| SQLite file | value |
|---|---:|
| resume latency p50, ${LATENCY_SAMPLES} sequential approvals, ${results.resumeLatencyMs.pausedThreadsStored} threads stored | ${results.resumeLatencyMs.p50} ms |
| resume latency p99 | ${results.resumeLatencyMs.p99} ms |
| server RSS idle (after warm-up, after GC) | ${results.rssMiB.idle} MiB |
| server RSS after the throughput run | ${results.rssMiB.afterThroughputRun} MiB |
| server RSS with ${PAUSED_THREADS} more paused threads stored | ${results.rssMiB.with10000MorePaused} MiB |
| server RSS after ${LATENCY_SAMPLES} of them were resumed | ${results.rssMiB.after1000Resumes} MiB |
| threads the runner holds in memory while idle | ${results.rssMiB.runnerActiveThreadsWhenIdle} |

A resume is seven durable writes: the lease taken, the approval, \`tool_started\`, \`tool_result\`,
the model's decision, \`done\`, the lease released. The SQLite store commits the writes queued in one
turn of the event loop together (group commit), so under concurrency one fsync covers many of them;
the \`:memory:\` column shows the server's own cost. The server's RSS grows during the throughput run
partly because the scripted model records every request it receives (a test double); paused threads
add nothing: the runner holds no per-thread state between tasks. The machine is shared: runs of this
benchmark minutes apart have differed by up to 2×; compare columns within one run.
`,
    );
    console.log(JSON.stringify(results, null, 2));
  } finally {
    child.kill();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--serve") await serve(process.argv[3]!);
else await main();
