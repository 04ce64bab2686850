/**
 * The report of bench/queues.bench.ts: the shapes of its results and the markdown written from them
 * (bench/results/queues.md). Kept apart so `node bench/queues.bench.ts --render` can write the page
 * again from queues.json without measuring.
 */
import { writeFileSync } from "node:fs";

/** How long a crashed job may take to run again before we call it "not within the bound". */
export const CRASH_BOUND_MS = Number(process.env.CRASH_BOUND_MS ?? 60_000);
/** Jobs for pg-boss worked one a fetch: few, as each poller then does about 2 a second. */
export const NAIVE_JOBS = 200;

export type Library = "pg-boss" | "graphile-worker";
export const LIBRARIES: Library[] = ["pg-boss", "graphile-worker"];

export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
export const median = (samples: number[]) => quantile(samples, 0.5);
export const p95 = (samples: number[]) => quantile(samples, 0.95);
export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export interface Spread {
  runs: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}
export function spread(samples: number[]): Spread {
  return {
    runs: samples.length,
    median: round(median(samples)),
    p95: round(p95(samples)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
  };
}

/** Jobs per second with one worker process and with four, for one library and setting. */
export interface Rate {
  library: Library;
  setting: string;
  jobs: number;
  single: number;
  four: number | null;
}

export interface Dedup {
  /** Handler runs after adding the same key twice while no worker was running. */
  runsAfterTwoQueuedAdds: number;
  /** Whether the third add, made while the key's job ran, was accepted. */
  acceptedWhileRunning: boolean;
  /** Whether that job ran, and whether it started before the running one ended. */
  ranAfter: boolean;
  overlapped: boolean;
}

export interface Crash {
  library: Library;
  setting: string;
  /** ms from SIGKILL to another process starting the job, per run; null = not within the bound. */
  samples: (number | null)[];
  /** Runs where attempt 2 started while attempt 1 still ran (an expiry that failed a live job). */
  rerunBeforeKill: number;
}

export interface Cron {
  minutes: number;
  /** Runs per observed minute tick, in order. */
  runsPerTick: number[];
  /** ms from the minute boundary to the handler starting, per run. */
  lateness: Spread;
}

export interface Results {
  startedAt: string;
  machine: string;
  loadAverage: string[];
  versions: Record<Library, string>;
  concurrency: number;
  jobs: number;
  wake: Record<Library, Spread>;
  rates: Rate[];
  late: Record<Library, Spread>;
  dedups: Record<string, Dedup>;
  crashes: Crash[];
  crons: Record<Library, Cron>;
}

export function render(r: Results): string {
  const ratio = (a: number, b: number) => `${round(a / b, 2)}×`;
  const ms = (value: number) => `${value} ms`;
  const crashRow = (crash: Crash) => {
    const values = crash.samples.filter((sample): sample is number => sample !== null);
    const missed = crash.samples.length - values.length;
    const duration = (value: number) => (value < 1000 ? `${Math.round(value)} ms` : `${round(value / 1000, 2)} s`);
    const text = values.length ? `${duration(median(values))} (${values.map(duration).join(", ")})` : "—";
    const early = crash.rerunBeforeKill ? `${crash.rerunBeforeKill} re-run before the kill (expiry failed the live attempt)` : "";
    const late = missed - crash.rerunBeforeKill ? `${missed - crash.rerunBeforeKill} not re-run within ${CRASH_BOUND_MS / 1000} s` : "";
    return `| ${crash.library} | ${crash.setting} | ${crash.samples.length} | ${text} | ${[early, late].filter(Boolean).join("; ") || "none"} |`;
  };
  const yes = (value: boolean) => (value ? "yes" : "no");
  const best = (library: Library, column: "single" | "four") =>
    Math.max(...r.rates.filter((rate) => rate.library === library).map((rate) => rate[column] ?? 0));
  return `# Postgres job queues: pg-boss and graphile-worker

Run ${r.startedAt} with \`npm run bench:queues\`: ${r.machine}; load average at start ${r.loadAverage.join(", ")}.
The machine has **2 cores shared** with other work: compare the two libraries within this run, not
with other runs. One run; medians (p95 where it says so). pg-boss ${r.versions["pg-boss"]}, graphile-worker
${r.versions["graphile-worker"]}, each in its own schema of a fresh database on the local Postgres; every
worker is a separate Node process. Settings: pg-boss with \`useListenNotify\` and \`notify: true\` queues,
polling 0.5 s (its minimum), supervision and cron passes every 1 s (their minimums); graphile-worker
with \`pollInterval\` 500 ms (it always LISTENs). See the header of bench/queues.bench.ts.

## 1. Wake-up latency (idle worker in another process)

Time from just before the add in the parent to the handler starting in the child (${r.wake["pg-boss"].runs} adds each, spaced 0.2–0.6 s).

| library | median | p95 | min | max |
|---|---:|---:|---:|---:|
${LIBRARIES.map((l) => `| ${l} | ${ms(r.wake[l].median)} | ${ms(r.wake[l].p95)} | ${ms(r.wake[l].min)} | ${ms(r.wake[l].max)} |`).join("\n")}

pg-boss / graphile-worker median: ${ratio(r.wake["pg-boss"].median, r.wake["graphile-worker"].median)}.

## 2. Throughput (trivial jobs added in one insert, to idle workers)

Jobs per second from the start of the insert to the last handler run; ${r.concurrency} jobs in flight per process.

| library | how it fetches | jobs | 1 process | 4 processes |
|---|---|---:|---:|---:|
${r.rates.map((rate) => `| ${rate.library} | ${rate.setting} | ${rate.jobs} | ${rate.single} jobs/s | ${rate.four === null ? "—" : `${rate.four} jobs/s`} |`).join("\n")}

Best of each, graphile-worker / pg-boss: ${ratio(best("graphile-worker", "single"), best("pg-boss", "single"))} with one process, ${ratio(best("graphile-worker", "four"), best("pg-boss", "four"))} with four.
pg-boss's pollers wait out the polling interval after every fetch that returns jobs unless a batch came
back full (worker.js), so one job a fetch caps each poller near 2 jobs/s; it was measured on ${NAIVE_JOBS} jobs for that reason.

## 3. Delayed jobs (due 1 s after the add)

Lateness: handler start − due time, ${r.late["pg-boss"].runs} jobs each.

| library | median | p95 | min | max |
|---|---:|---:|---:|---:|
${LIBRARIES.map((l) => `| ${l} | ${ms(r.late[l].median)} | ${ms(r.late[l].p95)} | ${ms(r.late[l].min)} | ${ms(r.late[l].max)} |`).join("\n")}

## 4. Deduplication by key

Two adds with the same key before any worker runs, then a third add while that key's job runs (a
4-wide worker, so a second job of the key could run beside the first).

| library (how keyed) | runs after two queued adds | third add accepted | third ran | ran while the first still ran |
|---|---:|---|---|---|
${Object.entries(r.dedups)
  .map(
    ([name, d]) => `| ${name} | ${d.runsAfterTwoQueuedAdds} | ${yes(d.acceptedWhileRunning)} | ${yes(d.ranAfter)} | ${yes(d.overlapped)} |`,
  )
  .join("\n")}

## 5. Crash recovery of a claimed job (kill -9 of the worker running it)

Two worker processes; the job never finishes on its first attempt; the process running it is
SIGKILLed 0.5–5 s after the start (0.2–1.5 s with a 2 s expiry); time from the kill to the other
process starting the work again: the job's attempt 2, or, where the key is added again at the kill
(what our lease sweep would do once the thread's lease expired), whichever of that and the new job
starts first. ${r.crashes.find((c) => c.library === "pg-boss")?.samples.length ?? 0} runs where it says so; each run's figure in brackets.

| library | setting | runs | median (each) | not recovered |
|---|---|---:|---|---|
${r.crashes.map(crashRow).join("\n")}

pg-boss fails a job whose heartbeat is older than \`heartbeatSeconds\` (at least 10) in its supervision
pass; the worker sends one every \`heartbeatSeconds / 2\`, so from the kill that is 5–10 s, plus up to a
supervision interval (1 s here) and a poll (0.5 s): 5–11.5 s. A job added again with the same key on a
stately queue waits for that too (a key's queued job does not start while its dead active one stands).
\`expireInSeconds\` bounds it lower but fails live jobs that run longer (the row with the kill at 3.5 s).

graphile-worker has no per-job timeout or heartbeat: a locked job is released only when its lock is
older than 4 hours (hard-coded in its get-job and reset-locked SQL), by a sweep every 8–10 minutes,
so the source-level bound is 4 h + up to 10 min. \`forceUnlockWorkers([workerId])\` releases a dead
worker's jobs at once, if the application knows the worker is dead (the row above calls it right
after the kill: the figure is what our own liveness check would add its detection time to).

## 6. Cron: one every-minute schedule in two processes

Both processes schedule the same every-minute item; each tick should run once.

| library | minutes watched | runs per tick | handler start after the minute (min–max) |
|---|---:|---|---|
${LIBRARIES.map((l) => `| ${l} | ${r.crons[l].minutes} | ${r.crons[l].runsPerTick.join(", ")} | ${ms(r.crons[l].lateness.min)}–${ms(r.crons[l].lateness.max)} |`).join("\n")}
`;
}

export function writeMarkdown(results: Results): void {
  const markdown = render(results);
  writeFileSync(new URL("./results/queues.md", import.meta.url), markdown);
  process.stdout.write(markdown);
}
