/**
 * Postgres job queues side by side: pg-boss and graphile-worker, measured in one run on the local
 * Postgres, for the choice in docs/decisions/2026-12-01-postgres-queue.md (issue #15).
 *
 *   npm run bench:queues            # = node bench/queues.bench.ts
 *
 * Every worker runs in a child process of this file (`--worker <json>`) and reports what it does as
 * JSON lines on stdout; the parent adds jobs and reads those lines. Latencies compare Date.now()
 * stamped in the parent (sent in the payload) with Date.now() in the child: one machine, one clock.
 * Each library gets its own schema in a fresh database (AGENTFOLD_QUEUE_BENCH_DB, default
 * agentfold_queue_bench) on the server of AGENTFOLD_TEST_POSTGRES_URL, dropped at the end.
 *
 * Measured: wake-up latency of an idle worker in another process; throughput of 2,000 trivial jobs
 * (one process × 8, four processes × 8); lateness of jobs delayed by 1 s; deduplication by key
 * (twice while queued, once more while running); recovery of a job whose worker was SIGKILLed while
 * running it; how often one every-minute cron tick runs with two processes scheduling it.
 * Results go to bench/results/queues.json and queues.md. Not a test: nothing here asserts timings.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  CRASH_BOUND_MS,
  type Crash,
  type Cron,
  type Dedup,
  LIBRARIES,
  type Library,
  NAIVE_JOBS,
  type Rate,
  type Results,
  round,
  type Spread,
  spread,
  writeMarkdown,
} from "./queues-report.ts";
import { Logger, makeWorkerUtils, type Runner, run, runMigrations, type Task, type WorkerUtils } from "graphile-worker";
import pg from "pg";
import { PgBoss } from "pg-boss";

const baseUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const databaseName = process.env.AGENTFOLD_QUEUE_BENCH_DB ?? "agentfold_queue_bench";
const benchUrl = (() => {
  const url = new URL(baseUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();

const LATENCY_RUNS = Number(process.env.LATENCY_RUNS ?? 25);
const THROUGHPUT_JOBS = Number(process.env.THROUGHPUT_JOBS ?? 2000);
const DELAYED_RUNS = 10;
const CRASH_RUNS = Number(process.env.CRASH_RUNS ?? 5);
const CONCURRENCY = 8;
const PG_BOSS_SCHEMA = "pgboss_bench";
const GRAPHILE_SCHEMA = "graphile_worker_bench";

/**
 * pg-boss's lowest-latency documented settings (read in node_modules/pg-boss/dist/types.d.ts and
 * attorney.js): LISTEN/NOTIFY on, queues created with `notify: true`, polling at its 0.5 s minimum
 * (the backstop and the only way a delayed or retried job is noticed), supervision (which fails jobs
 * whose heartbeat or expiry lapsed) and the cron pass at their 1 s minimums.
 */
const pgBossOptions = {
  connectionString: benchUrl,
  schema: PG_BOSS_SCHEMA,
  useListenNotify: true,
  superviseIntervalSeconds: 1,
  monitorIntervalSeconds: 1,
  cronMonitorIntervalSeconds: 1,
  cronWorkerIntervalSeconds: 1,
  max: 20,
} as const;
const PG_BOSS_POLLING = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 } as const;

/** pg-boss queues: what each scenario needs, all woken by NOTIFY. */
const PG_BOSS_QUEUES = {
  probe: { notify: true, retryLimit: 3, retryDelay: 0 },
  trivial: { notify: true },
  // Stately: at most one job per key in each state, so one queued and one running per key.
  dedup: { notify: true, policy: "stately" },
  // Heartbeats at their minimum (10 s): the only setting that bounds a crashed long job.
  "hang-heartbeat": { notify: true, heartbeatSeconds: 10, retryLimit: 3, retryDelay: 0 },
  // Expiry at 2 s: bounds recovery but fails any job that honestly runs longer.
  "hang-expire": { notify: true, expireInSeconds: 2, retryLimit: 3, retryDelay: 0 },
  // A thread's queue as the runner would use it: keyed by thread id, heartbeats at their minimum.
  "hang-keyed": { notify: true, policy: "stately", heartbeatSeconds: 10, retryLimit: 3, retryDelay: 0 },
  tick: { notify: true },
} as const;

/** graphile-worker: LISTEN/NOTIFY is always on; pollInterval only matters for future and retried jobs. */
const GRAPHILE_POLL_MS = 500;

// ---------------------------------------------------------------------------------------------------
// The worker process

interface WorkerSettings {
  library: Library;
  /** Which queues (pg-boss) or tasks (graphile-worker) this process works. */
  queues: string[];
  concurrency: number;
  /** Schedule `tick` every minute from this process too. */
  cron?: boolean;
  /**
   * Fetch trivial jobs several at a time: pg-boss `batchSize` 4 with `burstWhenBatchFull`,
   * graphile-worker a `localQueue` as large as the concurrency. Otherwise one job a fetch (both defaults).
   */
  batched?: boolean;
}

/** What a worker process reports, one JSON object a line. */
type Report =
  | { type: "ready"; pid: number }
  | { type: "start"; pid: number; queue: string; tag: string; attempt: number; at: number; lockedBy?: string }
  | { type: "end"; pid: number; queue: string; tag: string; at: number }
  | { type: "done"; pid: number; at: number }
  | { type: "tick"; pid: number; at: number; scheduledFor?: number };

interface Payload {
  tag?: string;
  sleepMs?: number;
  /** Never finish the first attempt (the crash scenario). */
  hang?: boolean;
}

function report(value: Report): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * One job's work, the same for both libraries: `trivial` counts, `probe` and `dedup` report when they
 * start and end (sleeping `sleepMs` between); a job with `hang` never finishes its first attempt.
 */
async function handle(queue: string, payload: Payload, attempt: number, lockedBy?: string): Promise<void> {
  const at = Date.now();
  if (queue === "trivial") return report({ type: "done", pid: process.pid, at });
  const tag = payload.tag ?? "";
  report({ type: "start", pid: process.pid, queue, tag, attempt, at, ...(lockedBy ? { lockedBy } : {}) });
  if (payload.hang && attempt === 1) await new Promise(() => {});
  if (payload.sleepMs) await sleep(payload.sleepMs);
  report({ type: "end", pid: process.pid, queue, tag, at: Date.now() });
}

async function workPgBoss(settings: WorkerSettings): Promise<() => Promise<void>> {
  const boss = new PgBoss({ ...pgBossOptions, max: settings.concurrency * settings.queues.length + 4 });
  boss.on("error", (error: Error) => process.stderr.write(`pg-boss worker: ${error.message}\n`));
  await boss.start();
  for (const queue of settings.queues) {
    if (queue === "trivial" && !settings.batched) {
      await boss.work(queue, { ...PG_BOSS_POLLING, localConcurrency: settings.concurrency }, async () => {
        report({ type: "done", pid: process.pid, at: Date.now() });
      });
    } else if (queue === "trivial") {
      // A fetch that returns jobs is followed by the polling wait unless the batch came back full
      // (worker.js): trivial jobs are fetched 4 at a time and fetched again at once while batches are full.
      const options = { ...PG_BOSS_POLLING, localConcurrency: settings.concurrency / 4, batchSize: 4, burstWhenBatchFull: true };
      await boss.work<Payload>(queue, options, async (jobs) => {
        for (const _ of jobs) report({ type: "done", pid: process.pid, at: Date.now() });
      });
    } else if (queue === "tick") {
      // pg-boss delivers a cron tick as a job on the queue named by the schedule.
      await boss.work(queue, { ...PG_BOSS_POLLING, localConcurrency: settings.concurrency }, async () => {
        report({ type: "tick", pid: process.pid, at: Date.now() });
      });
    } else {
      const options = { ...PG_BOSS_POLLING, localConcurrency: settings.concurrency, includeMetadata: true } as const;
      await boss.work<Payload>(queue, options, async ([job]) => {
        if (job) await handle(queue, job.data ?? {}, job.retryCount + 1);
      });
    }
  }
  if (settings.cron) await boss.schedule("tick", "* * * * *");
  return () => boss.stop({ graceful: false, timeout: 1000 });
}

async function workGraphile(settings: WorkerSettings): Promise<() => Promise<void>> {
  const taskList: Record<string, Task> = {};
  for (const queue of settings.queues) {
    taskList[queue] = async (payload, helpers) => {
      if (queue === "tick") {
        const cron = (payload as { _cron?: { ts: string } })._cron;
        return report({ type: "tick", pid: process.pid, at: Date.now(), ...(cron ? { scheduledFor: Date.parse(cron.ts) } : {}) });
      }
      await handle(queue, (payload ?? {}) as Payload, helpers.job.attempts, helpers.job.locked_by ?? undefined);
    };
  }
  const runner: Runner = await run({
    connectionString: benchUrl,
    schema: GRAPHILE_SCHEMA,
    concurrency: settings.concurrency,
    maxPoolSize: settings.concurrency + 4,
    pollInterval: GRAPHILE_POLL_MS,
    noHandleSignals: true,
    taskList,
    ...(settings.cron ? { crontab: "* * * * * tick" } : {}),
    ...(settings.batched ? { preset: { worker: { localQueue: { size: settings.concurrency } } } } : {}),
    logger: quietGraphileLogger,
  });
  return () => runner.stop();
}

async function worker(settings: WorkerSettings): Promise<void> {
  const stop = settings.library === "pg-boss" ? await workPgBoss(settings) : await workGraphile(settings);
  process.once("SIGTERM", () => {
    void stop().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  });
  report({ type: "ready", pid: process.pid });
}

/** graphile-worker logs every job at info; keep warnings and errors (on stderr, as stdout carries reports). */
const quietGraphileLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") process.stderr.write(`graphile-worker: ${message}\n`);
});

// ---------------------------------------------------------------------------------------------------
// The parent: children, reports, and the two libraries behind one small producer interface

class WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<number>;
  private readonly exited: Promise<void>;
  constructor(settings: WorkerSettings, onReport: (report: Report) => void) {
    this.child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--worker", JSON.stringify(settings)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      let buffer = "";
      this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf("\n");
          if (!line.startsWith("{")) continue;
          const parsed = JSON.parse(line) as Report;
          if (parsed.type === "ready") resolve(parsed.pid);
          onReport(parsed);
        }
      });
      this.child.once("exit", (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  kill(): Promise<void> {
    this.child.kill("SIGKILL");
    return this.exited;
  }
  async stop(): Promise<void> {
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Every report from every child, and waiting for one that matches. */
class Reports {
  readonly all: Report[] = [];
  private waiters: { match: (report: Report) => boolean; resolve: (report: Report) => void }[] = [];
  readonly add = (report: Report): void => {
    this.all.push(report);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(report)) {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        waiter.resolve(report);
      }
    }
  };
  /** The first report (already seen or coming) that matches, or undefined after `timeoutMs`. */
  next<T extends Report>(match: (report: Report) => report is T, timeoutMs: number, seen = false): Promise<T | undefined> {
    if (seen) {
      const found = this.all.find(match);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other.resolve !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (report: Report) => {
        clearTimeout(timer);
        resolve(report as T);
      };
      this.waiters.push({ match, resolve: done });
    });
  }
  clear(): void {
    this.all.length = 0;
  }
}

interface AddOptions {
  runAt?: Date;
  key?: string;
  /** graphile-worker only: also put the job in a named (serial) queue of this name. */
  serialQueue?: string;
}

/** The producer side of one library, as the scenarios use it. */
interface Producer {
  library: Library;
  /** Adds one job; false when the library refused it as a duplicate. */
  add(queue: string, payload: Payload, options?: AddOptions): Promise<boolean>;
  addMany(queue: string, count: number): Promise<void>;
  /** graphile-worker: releases the jobs a dead worker had locked (what our own liveness check would call). */
  unlock?(lockedBy: string): Promise<void>;
  close(): Promise<void>;
}

async function pgBossProducer(): Promise<Producer> {
  // The parent neither supervises nor schedules: the worker processes do, as a deployment would.
  const boss = new PgBoss({ ...pgBossOptions, max: 4, supervise: false, schedule: false });
  boss.on("error", (error: Error) => process.stderr.write(`pg-boss producer: ${error.message}\n`));
  await boss.start();
  for (const [name, options] of Object.entries(PG_BOSS_QUEUES)) await boss.createQueue(name, { ...options });
  return {
    library: "pg-boss",
    async add(queue, payload, options = {}) {
      const id = await boss.send(queue, payload, {
        ...(options.runAt ? { startAfter: options.runAt } : {}),
        ...(options.key ? { singletonKey: options.key } : {}),
      });
      return id !== null;
    },
    async addMany(queue, count) {
      await boss.insert(
        queue,
        Array.from({ length: count }, () => ({ data: {} })),
      );
    },
    close: () => boss.stop({ graceful: false, timeout: 1000 }),
  };
}

async function graphileProducer(): Promise<Producer> {
  // Our own pool, so closing it is ours to wait for and an error on an idle connection is ours to
  // take (graphile-worker's own pool would crash the process on one).
  const pgPool = new pg.Pool({ connectionString: benchUrl, max: 4 });
  const onError = (error: Error) => process.stderr.write(`graphile-worker producer pool: ${error.message}\n`);
  pgPool.on("error", onError);
  pgPool.on("connect", (client) => client.on("error", onError));
  await runMigrations({ pgPool, schema: GRAPHILE_SCHEMA, logger: quietGraphileLogger });
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool, schema: GRAPHILE_SCHEMA, logger: quietGraphileLogger });
  return {
    library: "graphile-worker",
    async add(queue, payload, options = {}) {
      const job = await utils.addJob(queue, payload, {
        ...(options.runAt ? { runAt: options.runAt } : {}),
        ...(options.key ? { jobKey: options.key } : {}),
        ...(options.serialQueue ? { queueName: options.serialQueue } : {}),
      });
      // A job key replaces the queued job (same id, revision + 1) instead of refusing the add.
      return job.revision === 0;
    },
    async addMany(queue, count) {
      await utils.addJobs(Array.from({ length: count }, () => ({ identifier: queue, payload: {} })));
    },
    unlock: (lockedBy) => utils.forceUnlockWorkers([lockedBy]),
    close: async () => {
      await utils.release();
      await pgPool.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Statistics

const isStart =
  (queue: string, tag: string, attempt?: number) =>
  (report: Report): report is Extract<Report, { type: "start" }> =>
    report.type === "start" && report.queue === queue && report.tag === tag && (attempt === undefined || report.attempt === attempt);
const isEnd =
  (queue: string, tag: string) =>
  (report: Report): report is Extract<Report, { type: "end" }> =>
    report.type === "end" && report.queue === queue && report.tag === tag;

// ---------------------------------------------------------------------------------------------------
// Scenarios

/** 1. An idle worker in another process: ms from just before the add to the handler starting. */
async function wakeUp(producer: Producer, reports: Reports): Promise<Spread> {
  const child = new WorkerProcess({ library: producer.library, queues: ["probe"], concurrency: 1 }, reports.add);
  await child.ready;
  await sleep(1500); // let the listener connect and the first polls pass
  const samples: number[] = [];
  try {
    for (let index = 0; index < LATENCY_RUNS; index++) {
      // Spaced irregularly so the adds fall at every phase of the workers' polling.
      await sleep(200 + Math.random() * 400);
      const tag = `wake-${index}`;
      const sentAt = Date.now();
      await producer.add("probe", { tag });
      const started = await reports.next(isStart("probe", tag), 10_000);
      if (started) samples.push(started.at - sentAt);
    }
  } finally {
    await child.stop();
  }
  return spread(samples);
}

/** 2. Jobs per second for `THROUGHPUT_JOBS` trivial jobs added at once to idle workers. */
async function throughput(
  producer: Producer,
  reports: Reports,
  processes: number,
  batched: boolean,
  jobs = THROUGHPUT_JOBS,
): Promise<number> {
  const settings: WorkerSettings = { library: producer.library, queues: ["trivial"], concurrency: CONCURRENCY, batched };
  const children = Array.from({ length: processes }, () => new WorkerProcess(settings, reports.add));
  await Promise.all(children.map((child) => child.ready));
  await sleep(1500);
  reports.clear();
  try {
    const startedAt = Date.now();
    await producer.addMany("trivial", jobs);
    for (let waited = 0; reports.all.filter((report) => report.type === "done").length < jobs; waited += 20) {
      if (waited > 180_000) throw new Error(`${producer.library}: ${jobs} trivial jobs did not finish in 180 s`);
      await sleep(20);
    }
    const lastAt = Math.max(...reports.all.map((report) => (report.type === "done" ? report.at : 0)));
    return round(jobs / ((lastAt - startedAt) / 1000), 0);
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    reports.clear();
  }
}

/** 3. Jobs due 1 s after they are added: ms from the due time to the handler starting. */
async function delayed(producer: Producer, reports: Reports): Promise<Spread> {
  const child = new WorkerProcess({ library: producer.library, queues: ["probe"], concurrency: CONCURRENCY }, reports.add);
  await child.ready;
  await sleep(1500);
  const due: Promise<number | undefined>[] = [];
  try {
    for (let index = 0; index < DELAYED_RUNS; index++) {
      const tag = `delayed-${index}`;
      const runAt = new Date(Date.now() + 1000);
      const started = reports.next(isStart("probe", tag), 15_000);
      await producer.add("probe", { tag }, { runAt });
      due.push(started.then((report) => (report ? report.at - runAt.getTime() : undefined)));
      await sleep(150 + Math.random() * 300);
    }
    const samples = (await Promise.all(due)).filter((sample): sample is number => sample !== undefined);
    return spread(samples);
  } finally {
    await child.stop();
  }
}

/** 4. The same key twice while queued, then once more while its job runs (in a 4-wide worker). */
async function dedup(producer: Producer, reports: Reports, serialQueue = false): Promise<Dedup> {
  const queue = producer.library === "pg-boss" ? "dedup" : "probe";
  const key = `thread-${producer.library}-${serialQueue ? "serial" : "plain"}`;
  const options = { key, ...(serialQueue ? { serialQueue: key } : {}) };
  await producer.add(queue, { tag: `${key}-a`, sleepMs: 2000 }, options);
  await producer.add(queue, { tag: `${key}-b`, sleepMs: 2000 }, options);
  const child = new WorkerProcess({ library: producer.library, queues: [queue], concurrency: 4 }, reports.add);
  try {
    await child.ready;
    const first = await reports.next(
      (report): report is Extract<Report, { type: "start" }> =>
        report.type === "start" && report.queue === queue && report.tag.startsWith(`${key}-`),
      10_000,
      true,
    );
    if (!first) throw new Error(`${producer.library}: the keyed job never ran`);
    const acceptedWhileRunning = await producer.add(queue, { tag: `${key}-c`, sleepMs: 500 }, options);
    const firstEnd = await reports.next(isEnd(queue, first.tag), 10_000, true);
    const third = await reports.next(isStart(queue, `${key}-c`), 6000, true);
    await sleep(2500);
    const runs = reports.all.filter(
      (report) => report.type === "start" && report.queue === queue && (report.tag === `${key}-a` || report.tag === `${key}-b`),
    ).length;
    return {
      runsAfterTwoQueuedAdds: runs,
      acceptedWhileRunning,
      ranAfter: third !== undefined,
      overlapped: third !== undefined && firstEnd !== undefined ? third.at < firstEnd.at : third !== undefined && !firstEnd,
    };
  } finally {
    await child.stop();
  }
}

interface CrashSetup {
  queue: string;
  setting: string;
  runs: number;
  /** The kill falls this long after the job's start, uniformly (within a heartbeat period, say). */
  killWithinMs: [number, number];
  /**
   * What the parent does right after the kill, as our own lease sweep would once it saw the
   * thread's lease expire: nothing; release the dead worker's locks (graphile-worker's
   * forceUnlockWorkers); or add a job with the same key again. Jobs carry a key only for "re-add".
   */
  after?: "unlock" | "re-add";
}

/**
 * 5. Two worker processes; a job that never finishes on its first attempt; SIGKILL whichever took it
 * and time until the other starts it again (its attempt 2, or after "re-add" the new job of the key,
 * whichever comes first). The killed process is replaced for the next run.
 */
async function crash(producer: Producer, reports: Reports, setup: CrashSetup): Promise<Crash> {
  const { queue, setting, runs, killWithinMs, after } = setup;
  const settings: WorkerSettings = { library: producer.library, queues: [queue], concurrency: 2 };
  let workers = [new WorkerProcess(settings, reports.add), new WorkerProcess(settings, reports.add)];
  await Promise.all(workers.map((child) => child.ready));
  await sleep(1500);
  const samples: (number | null)[] = [];
  let rerunBeforeKill = 0;
  try {
    for (let index = 0; index < runs; index++) {
      const tag = `${queue}-${setting}-${index}`;
      const key = after === "re-add" ? { key: tag } : {};
      await producer.add(queue, { tag, hang: true }, key);
      const first = await reports.next(isStart(queue, tag, 1), 10_000, true);
      if (!first) throw new Error(`${producer.library}: the ${queue} job never started`);
      await sleep(killWithinMs[0] + Math.random() * (killWithinMs[1] - killWithinMs[0]));
      const victim = workers.find((child) => child.pid === first.pid)!;
      const rerun = reports.next(
        (report): report is Extract<Report, { type: "start" }> =>
          report.type === "start" &&
          report.queue === queue &&
          ((report.tag === tag && report.attempt === 2) || report.tag === `${tag}-again`),
        CRASH_BOUND_MS,
        true,
      );
      const killedAt = Date.now();
      await victim.kill();
      if (after === "unlock" && first.lockedBy && producer.unlock) await producer.unlock(first.lockedBy);
      if (after === "re-add") await producer.add(queue, { tag: `${tag}-again` }, key);
      const second = await rerun;
      if (second && second.at < killedAt) rerunBeforeKill++;
      samples.push(second && second.at >= killedAt ? second.at - killedAt : null);
      process.stderr.write(
        `  ${producer.library} ${setting} run ${index + 1}: ${second ? `${second.at - killedAt} ms (${second.tag})` : "not re-run"}\n`,
      );
      const replacement = new WorkerProcess(settings, reports.add);
      workers = [...workers.filter((child) => child !== victim), replacement];
      await replacement.ready;
      await sleep(1000);
    }
  } finally {
    await Promise.all(workers.map((child) => child.stop()));
  }
  return { library: producer.library, setting, samples, rerunBeforeKill };
}

/** 6. Two processes both scheduling `tick` every minute; how many runs does each minute get? */
async function cron(library: Library, reports: Reports, minutes: number): Promise<Cron> {
  const settings: WorkerSettings = { library, queues: ["tick"], concurrency: 2, cron: true };
  const children = [new WorkerProcess(settings, reports.add), new WorkerProcess(settings, reports.add)];
  await Promise.all(children.map((child) => child.ready));
  const startedAt = Date.now();
  // The first whole minute after both are up, then `minutes` ticks, and 15 s for late runs.
  const firstTick = Math.ceil((startedAt + 1000) / 60_000) * 60_000;
  const lastTick = firstTick + (minutes - 1) * 60_000;
  await sleep(lastTick + 15_000 - Date.now());
  await Promise.all(children.map((child) => child.stop()));
  const ticks = reports.all.filter((report): report is Extract<Report, { type: "tick" }> => report.type === "tick");
  const minuteOf = (tick: Extract<Report, { type: "tick" }>) => tick.scheduledFor ?? Math.floor((tick.at - 0) / 60_000) * 60_000;
  const runsPerTick: number[] = [];
  for (let tick = firstTick; tick <= lastTick; tick += 60_000) {
    runsPerTick.push(ticks.filter((report) => minuteOf(report) === tick).length);
  }
  const observed = ticks.filter((report) => minuteOf(report) >= firstTick && minuteOf(report) <= lastTick);
  return { minutes, runsPerTick, lateness: spread(observed.map((report) => report.at - minuteOf(report))) };
}

// ---------------------------------------------------------------------------------------------------

async function withDatabase<T>(body: () => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${databaseName}"`);
  try {
    return await body();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const load = loadavg().map((value) => value.toFixed(2));
  const machine = `node ${process.version}, ${cpus()[0]?.model.split(" ").slice(0, 2).join(" ")}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`;
  const versions = {
    "pg-boss": installedVersion("pg-boss"),
    "graphile-worker": installedVersion("graphile-worker"),
  };
  const cronMinutes = Number(process.env.CRON_MINUTES ?? 2);
  const results = await withDatabase(async () => {
    const reports = new Reports();
    const producers: Record<Library, Producer> = {
      "pg-boss": await pgBossProducer(),
      "graphile-worker": await graphileProducer(),
    };
    const log = (line: string) => process.stderr.write(`${line}\n`);
    try {
      const wake = {} as Record<Library, Spread>;
      const late = {} as Record<Library, Spread>;
      for (const library of LIBRARIES) {
        wake[library] = await wakeUp(producers[library], reports);
        log(`wake-up ${library}: median ${wake[library].median} ms, p95 ${wake[library].p95} ms`);
      }
      const rates: Rate[] = [];
      const measureRate = async (library: Library, setting: string, batched: boolean, processes: number[], jobs?: number) => {
        const rate: Rate = { library, setting, jobs: jobs ?? THROUGHPUT_JOBS, single: 0, four: null };
        for (const count of processes) {
          const value = await throughput(producers[library], reports, count, batched, jobs);
          if (count === 1) rate.single = value;
          else rate.four = value;
        }
        log(`throughput ${library}, ${setting}: ${rate.single} jobs/s (1 × ${CONCURRENCY}), ${rate.four} jobs/s (4 × ${CONCURRENCY})`);
        rates.push(rate);
      };
      await measureRate("pg-boss", "one job a fetch (the default)", false, [1], NAIVE_JOBS);
      await measureRate("pg-boss", "batchSize 4, burstWhenBatchFull (2 pollers × 4)", true, [1, 4]);
      await measureRate("graphile-worker", "one job a fetch (the default)", false, [1, 4]);
      await measureRate("graphile-worker", `localQueue size ${CONCURRENCY}`, true, [1, 4]);
      for (const library of LIBRARIES) {
        late[library] = await delayed(producers[library], reports);
        log(`delayed ${library}: median ${late[library].median} ms late, p95 ${late[library].p95} ms`);
      }
      const dedups = {
        "pg-boss (stately queue, singletonKey)": await dedup(producers["pg-boss"], reports),
        "graphile-worker (jobKey)": await dedup(producers["graphile-worker"], reports),
        "graphile-worker (jobKey + queueName = key)": await dedup(producers["graphile-worker"], reports, true),
      };
      log(`dedup: ${JSON.stringify(dedups)}`);
      // The cron scenario mostly waits: run it beside the crash runs, which mostly wait too.
      const cronRuns = Promise.all(LIBRARIES.map(async (library) => [library, await cron(library, new Reports(), cronMinutes)] as const));
      const crashes = [
        await crash(producers["pg-boss"], reports, {
          queue: "hang-heartbeat",
          setting: "heartbeatSeconds 10 (minimum)",
          runs: CRASH_RUNS,
          killWithinMs: [500, 5000],
        }),
        await crash(producers["pg-boss"], reports, {
          queue: "hang-keyed",
          setting: "stately, heartbeatSeconds 10; the key added again at the kill",
          runs: CRASH_RUNS,
          killWithinMs: [500, 5000],
          after: "re-add",
        }),
        await crash(producers["pg-boss"], reports, {
          queue: "hang-expire",
          setting: "expireInSeconds 2",
          runs: CRASH_RUNS,
          killWithinMs: [200, 1500],
        }),
        await crash(producers["pg-boss"], reports, {
          queue: "hang-expire",
          setting: "expireInSeconds 2, kill 3.5 s after the start",
          runs: 1,
          killWithinMs: [3500, 3600],
        }),
        await crash(producers["graphile-worker"], reports, {
          queue: "hang",
          setting: "defaults (locks kept 4 h)",
          runs: 1,
          killWithinMs: [500, 5000],
        }),
        await crash(producers["graphile-worker"], reports, {
          queue: "hang",
          setting: "forceUnlockWorkers at the kill",
          runs: CRASH_RUNS,
          killWithinMs: [500, 5000],
          after: "unlock",
        }),
        await crash(producers["graphile-worker"], reports, {
          queue: "hang",
          setting: "jobKey; the key added again at the kill",
          runs: CRASH_RUNS,
          killWithinMs: [500, 5000],
          after: "re-add",
        }),
      ];
      const crons = Object.fromEntries(await cronRuns) as Record<Library, Cron>;
      log(`cron: ${JSON.stringify(crons)}`);
      return { wake, rates, late, dedups, crashes, crons };
    } finally {
      for (const producer of Object.values(producers)) await producer.close();
    }
  });
  const out: Results = { startedAt, machine, loadAverage: load, versions, concurrency: CONCURRENCY, jobs: THROUGHPUT_JOBS, ...results };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/queues.json", import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  writeMarkdown(out);
}

function installedVersion(name: Library): string {
  const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

if (process.argv[2] === "--worker") await worker(JSON.parse(process.argv[3]!) as WorkerSettings);
// `--render`: write queues.md again from queues.json (after a change to the wording, say).
else if (process.argv[2] === "--render")
  writeMarkdown(JSON.parse(readFileSync(new URL("./results/queues.json", import.meta.url), "utf8")) as Results);
else await main();
