/**
 * One fault campaign: several server processes on one store (a SQLite file, or a Postgres schema
 * reached through a cuttable proxy per process), clients driving threads while the fault schedule
 * runs, then every fault healed, the processes restarted without faults, a quiet period, and the
 * invariants checked against the store and the witness ledger.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startTcpProxy, type TcpProxy } from "../../packages/stores/test/tcp-proxy.ts";
import { AcknowledgedLog } from "./acknowledged.ts";
import { checkInvariants, passed, readStore, type CheckResult, type StoreLocation, type StoredThread } from "./check.ts";
import { createDriver, type DriverStats } from "./driver.ts";
import { emptyFaultCounts, faultSpecs, runFaults, type FaultCounts } from "./faults.ts";
import { readLedger } from "./ledger.ts";
import { createServerSlot, type ServerSlot } from "./processes.ts";

export interface CampaignOptions {
  store: "sqlite" | "postgres";
  /** How long the clients and the faults run (the quiet period and the check come after). */
  durationMs: number;
  seed: number;
  processes?: number;
  /** Thread loops running at once. */
  concurrency?: number;
  /** Threads to drive at least: the faults and clients go on past durationMs until then (at most 3 × durationMs). */
  minThreads?: number;
  leaseTtlMs?: number;
  /** Mean milliseconds between faults of each kind. */
  killEveryMs?: number;
  stopEveryMs?: number;
  cutEveryMs?: number;
  /**
   * AGENTFOLD_FAULT of the processes after the first at the start (default: tool-ran and
   * tool-started, likely to fire within seconds), so even a short run meets fault points.
   */
  initialFaults?: readonly string[];
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface Liveness {
  /** After the quiet period, by status. */
  statuses: Record<string, number>;
  /** Threads still running that moved on during the last wait. */
  progressing: number;
  /** Threads still running that did not move at all during the last wait. */
  stuck: string[];
}

export interface CampaignResult {
  store: "sqlite" | "postgres";
  seed: number;
  /** Milliseconds the clients and faults actually ran; and the whole campaign. */
  faultedMs: number;
  totalMs: number;
  faults: FaultCounts;
  driver: DriverStats;
  check: CheckResult;
  liveness: Liveness;
  ok: boolean;
  /** Recent stderr of each slot, for a failure's report. */
  stderr: string[];
}

export const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A small seeded generator (mulberry32): the same seed makes the same choices in the harness. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function postgresAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `The chaos campaign on Postgres needs a database at ${postgresUrl} (set AGENTFOLD_TEST_POSTGRES_URL); connecting failed: ${(error as Error).message}`,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Waits until no thread is running, or `timeoutMs`; returns the last read. */
async function quiesce(location: StoreLocation, timeoutMs: number): Promise<StoredThread[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const threads = await readStore(location);
    if (threads.every((thread) => thread.status !== "running") || Date.now() > deadline) return threads;
    await sleep(250);
  }
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const random = seededRandom(options.seed);
  const leaseTtlMs = options.leaseTtlMs ?? 1_000;
  const directory = mkdtempSync(join(tmpdir(), `agentfold-chaos-${options.store}-`));
  const ledger = join(directory, "ledger.db");
  const schema = `agentfold_chaos_${process.pid}_${Date.now().toString(36)}`;
  const proxies: TcpProxy[] = [];
  const slots: ServerSlot[] = [];
  const counts = emptyFaultCounts();
  let location: StoreLocation;
  try {
    const base = { CHAOS_LEDGER: ledger, CHAOS_LEASE_TTL_MS: String(leaseTtlMs), CHAOS_WORK_MS: "200" };
    const envs: Record<string, string>[] = [];
    const count = options.processes ?? 3;
    if (options.store === "sqlite") {
      location = { kind: "sqlite", path: join(directory, "store.db") };
      for (let index = 0; index < count; index++) envs.push({ ...base, CHAOS_DB: location.path });
    } else {
      await postgresAdmin(async () => {});
      location = { kind: "postgres", url: postgresUrl, schema };
      const target = new URL(postgresUrl);
      for (let index = 0; index < count; index++) {
        const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
        proxies.push(proxy);
        const url = new URL(postgresUrl);
        url.hostname = "127.0.0.1";
        url.port = String(proxy.port);
        envs.push({ ...base, CHAOS_DB: url.toString(), CHAOS_SCHEMA: schema });
      }
    }
    const events = {
      onFaultKill: (point: string) => (counts.faultPointKills[point] = (counts.faultPointKills[point] ?? 0) + 1),
      onFailedStart: () => (counts.failedStarts += 1),
      onUnexpectedExit: (description: string) => counts.unexpectedExits.push(description),
    };
    for (const [index, env] of envs.entries()) slots.push(createServerSlot(index, env, events));
    const specs = faultSpecs(options.store);
    // The first process creates the schema alone; the others start armed, side by side.
    await slots[0]!.start("");
    const initialFaults = options.initialFaults ?? ["tool-ran:0.2", "tool-started:0.2"];
    await Promise.all(
      slots.slice(1).map((slot, index) => {
        const fault = initialFaults[index % initialFaults.length] ?? "";
        counts.armed[fault] = (counts.armed[fault] ?? 0) + 1;
        return slot.start(fault);
      }),
    );
    log(`${options.store}: ${slots.length} processes up after ${Date.now() - started} ms`);

    const acknowledged = new AcknowledgedLog();
    const driver = createDriver(slots, acknowledged, random);
    const faultStart = Date.now();
    const round = (stopAt: number) =>
      Promise.all([
        driver.run(Number.POSITIVE_INFINITY, options.concurrency ?? 12, stopAt),
        runFaults(
          {
            slots,
            proxies,
            specs,
            random,
            leaseTtlMs,
            counts,
            killEveryMs: options.killEveryMs ?? 2_500,
            stopEveryMs: options.stopEveryMs ?? 6_000,
            cutEveryMs: options.store === "postgres" ? (options.cutEveryMs ?? 4_000) : 0,
          },
          stopAt,
        ),
      ]);
    await round(faultStart + options.durationMs);
    // A busy machine drives fewer threads in the same time: shorter rounds follow until the campaign
    // drove minThreads, for at most three times durationMs in all.
    while (driver.threadIds.length < (options.minThreads ?? 0) && Date.now() < faultStart + 3 * options.durationMs) {
      await round(Date.now() + options.durationMs / 2);
    }
    const faultedMs = Date.now() - faultStart;
    log(`${options.store}: faults over after ${faultedMs} ms; ${driver.threadIds.length} threads; healing`);

    // Healed: every process restarted without a fault point, so the quiet period has no faults.
    for (const slot of slots) await slot.kill();
    await Promise.all(slots.map((slot) => slot.start("")));
    const quietMs = Math.max(10_000, leaseTtlMs * 10);
    const settled = await quiesce(location, quietMs);
    const running = settled.filter((thread) => thread.status === "running");
    let progressing = 0;
    const stuck: string[] = [];
    if (running.length > 0) {
      // Still running after the quiet period: each must at least move during one more wait.
      await sleep(leaseTtlMs * 5);
      const later = new Map((await readStore(location)).map((thread) => [thread.id, thread]));
      for (const thread of running) {
        const now = later.get(thread.id);
        if (now && (now.version > thread.version || now.status !== "running")) progressing += 1;
        else stuck.push(`${thread.id} (version ${thread.version}, last event ${thread.events.at(-1)})`);
      }
    }
    for (const slot of slots) await slot.close();
    const stored = await readStore(location);
    const check = checkInvariants(stored, acknowledged, readLedger(ledger));
    const statuses: Record<string, number> = {};
    for (const thread of settled) statuses[thread.status] = (statuses[thread.status] ?? 0) + 1;
    const liveness: Liveness = { statuses, progressing, stuck };
    for (const thread of stuck) check.problems.push(`stuck: ${thread}`);
    for (const exit of counts.unexpectedExits) check.problems.push(`unexpected exit: ${exit}`);
    // A server error is expected only from a process armed to throw after a commit.
    const serverErrors = Object.keys(driver.stats.unexpected).filter(
      (label) => label.startsWith("5") && !label.includes("commit-then-throw"),
    );
    for (const label of serverErrors)
      check.problems.push(`server error: ${driver.stats.unexpected[label]} × ${label}, e.g. ${driver.stats.unexpectedMessages[label]}`);
    const ok = passed(check) && stuck.length === 0 && counts.unexpectedExits.length === 0 && serverErrors.length === 0;
    return {
      store: options.store,
      seed: options.seed,
      faultedMs,
      totalMs: Date.now() - started,
      faults: counts,
      driver: driver.stats,
      check,
      liveness,
      ok,
      stderr: slots.map((slot) => slot.stderr()),
    };
  } finally {
    for (const slot of slots) await slot.kill().catch(() => {});
    for (const proxy of proxies) await proxy.close();
    if (options.store === "postgres")
      await postgresAdmin(async (client) => {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.query(`DROP SCHEMA IF EXISTS "${schema}_q" CASCADE`);
      }).catch(() => {});
    rmSync(directory, { recursive: true, force: true });
  }
}
