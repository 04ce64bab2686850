/**
 * Store benchmark: durable append per step and bytes on disk per event, SQLite and Postgres, at
 * thread lengths 10, 100 and 1,000. Both stores are measured side by side in one run.
 *
 *   node bench/stores.bench.ts
 *
 * Postgres comes from AGENTFOLD_BENCH_POSTGRES_URL, else AGENTFOLD_TEST_POSTGRES_URL, else the local
 * test database; the benchmark works in a schema of its own and drops it at the end. Results go to
 * bench/results/stores.json and bench/results/stores.md.
 */
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, tmpdir, totalmem, platform, release } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Thread, type NewEvent, type ThreadStore } from "agentfold";
import { createPostgresStore, createSqliteStore } from "@agentfold/stores";
import pg from "pg";

const LENGTHS = [10, 100, 1000] as const;
/** Threads per length, and timed single-event appends on each: 3 × 60 = 180 samples per length. */
const THREADS_PER_LENGTH = 60;
const APPENDS_PER_THREAD = 3;
/** Events per database in the bytes-on-disk measurement: 1,000 threads of 10 … 10 threads of 1,000. */
const EVENTS_FOR_BYTES = 10_000;

const postgresUrl =
  process.env.AGENTFOLD_BENCH_POSTGRES_URL ?? process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A tool result of about 300 bytes of JSON: a typical step. */
function stepEvent(index: number): NewEvent {
  return {
    type: "tool_result",
    callId: `call_${index.toString().padStart(6, "0")}`,
    intent: "lookup_order",
    result: { orderId: 10_000 + index, status: "shipped", note: "parcel left the warehouse and is on its way ".repeat(4) },
  };
}

function threadOfLength(length: number): Thread {
  const thread = Thread.start("where is my order?", { agent: "bench" });
  return thread.append(Array.from({ length: length - 1 }, (_, i) => stepEvent(i)));
}

const median = (values: number[]) => quantile(values, 0.5);
function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

interface AppendResult {
  length: number;
  samples: number;
  medianMicros: number;
  p90Micros: number;
}

/** Median time of one durable append of one event to threads of each length. */
async function appendPerStep(store: ThreadStore): Promise<AppendResult[]> {
  // Warm up (prepared statements, pool connections, JIT) so the first length is not penalized.
  let warm = threadOfLength(10);
  await store.create(warm);
  for (let i = 0; i < 100; i++) {
    const next = warm.append([stepEvent(i)]);
    await store.append(next, { expectedVersion: warm.version });
    warm = next;
  }
  const results: AppendResult[] = [];
  for (const length of LENGTHS) {
    const threads: Thread[] = [];
    for (let i = 0; i < THREADS_PER_LENGTH; i++) {
      const thread = threadOfLength(length);
      await store.create(thread);
      threads.push(thread);
    }
    const micros: number[] = [];
    for (let round = 0; round < APPENDS_PER_THREAD; round++) {
      for (const [i, thread] of threads.entries()) {
        // Building the next thread is the caller's work, not the store's: keep it out of the timing.
        const next = thread.append([stepEvent(length + round)]);
        const started = performance.now();
        await store.append(next, { expectedVersion: thread.version });
        micros.push((performance.now() - started) * 1000);
        threads[i] = next;
      }
    }
    results.push({
      length,
      samples: micros.length,
      medianMicros: Math.round(median(micros)),
      p90Micros: Math.round(quantile(micros, 0.9)),
    });
  }
  return results;
}

interface BytesResult {
  length: number;
  threads: number;
  events: number;
  bytesPerEvent: number;
  jsonBytesPerEvent: number;
}

/** Bytes per event of SQLite files holding 10,000 events, in threads of each length, appended step by step. */
async function sqliteBytes(directory: string): Promise<BytesResult[]> {
  const results: BytesResult[] = [];
  for (const length of LENGTHS) {
    const path = join(directory, `bytes-${length}.db`);
    let store = createSqliteStore({ path });
    const threadCount = EVENTS_FOR_BYTES / length;
    let threads = Array.from({ length: threadCount }, () => Thread.start("where is my order?", { agent: "bench" }));
    for (const thread of threads) await store.create(thread);
    await store.close();
    const empty = statSync(path).size;
    store = createSqliteStore({ path });
    // Round-robin, one event per append: threads grow side by side, as on a busy server.
    for (let step = 1; step < length; step++) {
      const grown: Thread[] = [];
      for (const thread of threads) {
        const next = thread.append([stepEvent(step)]);
        await store.append(next, { expectedVersion: thread.version });
        grown.push(next);
      }
      threads = grown;
    }
    await store.close(); // checkpoints the WAL into the file
    const wal = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
    const appended = threadCount * (length - 1);
    const jsonBytes = threads.reduce(
      (sum, thread) => sum + thread.events.slice(1).reduce((bytes, event) => bytes + JSON.stringify(event).length, 0),
      0,
    );
    results.push({
      length,
      threads: threadCount,
      events: appended,
      bytesPerEvent: Math.round((statSync(path).size + wal - empty) / appended),
      jsonBytesPerEvent: Math.round(jsonBytes / appended),
    });
  }
  return results;
}

async function postgresSettings(): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const settings: Record<string, string> = {};
    for (const name of ["server_version", "fsync", "synchronous_commit", "wal_sync_method"]) {
      settings[name] = String((await client.query(`SHOW ${name}`)).rows[0]?.[name]);
    }
    return settings;
  } finally {
    await client.end();
  }
}

async function main() {
  const directory = mkdtempSync(join(tmpdir(), "agentfold-bench-"));
  const schema = `agentfold_bench_${process.pid}`;
  try {
    const sqlite = createSqliteStore({ path: join(directory, "append.db") });
    const postgres = await createPostgresStore({ connectionString: postgresUrl, schema });
    console.log("append per step: sqlite");
    const sqliteAppend = await appendPerStep(sqlite);
    console.log("append per step: postgres");
    const postgresAppend = await appendPerStep(postgres);
    await sqlite.close();
    await postgres.close();
    console.log("bytes on disk: sqlite");
    const bytes = await sqliteBytes(directory);

    const cpu = cpus();
    const result = {
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        platform: `${platform()} ${release()}`,
        cpu: cpu[0]?.model ?? "unknown",
        cores: cpu.length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        tmpdir: tmpdir(),
      },
      settings: {
        sqlite: "WAL, synchronous=FULL (one fsync of the WAL per append)",
        postgres: await postgresSettings(),
        threadsPerLength: THREADS_PER_LENGTH,
        appendsPerThread: APPENDS_PER_THREAD,
      },
      appendPerStep: { sqlite: sqliteAppend, postgres: postgresAppend },
      sqliteBytesPerEvent: bytes,
    };
    mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
    writeFileSync(join(import.meta.dirname, "results", "stores.json"), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(import.meta.dirname, "results", "stores.md"), markdown(result));
    console.log(markdown(result));
  } finally {
    rmSync(directory, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

function markdown(result: {
  date: string;
  machine: { node: string; platform: string; cpu: string; cores: number; memoryGiB: number };
  settings: { postgres: Record<string, string> };
  appendPerStep: { sqlite: AppendResult[]; postgres: AppendResult[] };
  sqliteBytesPerEvent: BytesResult[];
}): string {
  const { machine, appendPerStep: append } = result;
  const ratio = (rows: AppendResult[]) => {
    const first = rows[0]?.medianMicros ?? Number.NaN;
    const last = rows[rows.length - 1]?.medianMicros ?? Number.NaN;
    return (last / first).toFixed(2);
  };
  const lines = [
    "# Store benchmark",
    "",
    `Run ${result.date} with \`node bench/stores.bench.ts\`: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}.`,
    `Postgres ${result.settings.postgres.server_version} (fsync=${result.settings.postgres.fsync}, synchronous_commit=${result.settings.postgres.synchronous_commit}) on loopback; SQLite in WAL mode with synchronous=FULL.`,
    "",
    "## Durable append per step (one ~300 B event per append), median µs",
    "",
    "| thread length | SQLite median | SQLite p90 | Postgres median | Postgres p90 |",
    "|---:|---:|---:|---:|---:|",
    ...LENGTHS.map((length, i) => {
      const s = append.sqlite[i];
      const p = append.postgres[i];
      return `| ${length} | ${s?.medianMicros} | ${s?.p90Micros} | ${p?.medianMicros} | ${p?.p90Micros} |`;
    }),
    "",
    `Median at 1,000 ÷ median at 10: SQLite ${ratio(append.sqlite)}, Postgres ${ratio(append.postgres)} (flat ≈ 1).`,
    "",
    "## SQLite bytes on disk per event (10,000 events per file, appended one per step)",
    "",
    "| thread length | threads | bytes on disk per event | event JSON bytes |",
    "|---:|---:|---:|---:|",
    ...result.sqliteBytesPerEvent.map((row) => `| ${row.length} | ${row.threads} | ${row.bytesPerEvent} | ${row.jsonBytesPerEvent} |`),
    "",
  ];
  return lines.join("\n");
}

await main();
