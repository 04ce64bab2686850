/**
 * The inbox query at 1,000,000 threads: the lists a server runs against one Postgres, timed through
 * the store's own methods, with and without the indexes of migration 4 (tenant lists), side by side.
 *
 *   npm run bench:inbox            (node bench/inbox-query.bench.ts)
 *
 * Postgres comes from AGENTFOLD_BENCH_POSTGRES_URL, else AGENTFOLD_TEST_POSTGRES_URL, else the local
 * test database. The store's migrations create the tables in the schema `agentfold_inbox_bench`;
 * 1M thread rows are bulk-inserted (INSERT … SELECT generate_series), the queries timed, their plans
 * kept (EXPLAIN ANALYZE of the exact SQL and values the store sent), and the schema dropped at the
 * end. THREADS=100000 runs a smaller one. Results go to bench/results/inbox-query.json and .md.
 *
 * What is timed (each query RUNS times, median and p95):
 * - the inbox: `list({ status: "awaiting_approval" | "awaiting_human", tenant, limit: 200 })`, the
 *   first page and the last page (by its cursor), per tenant: what the web inbox asks every 3 s;
 * - recovery: `list({ status: "running", limit: 200 })`, first page and the whole sweep;
 * - the timer sweep: `listDue({ by: now, limit: 100 })`;
 * - the threads page: `list({ tenant, createdFrom, createdBefore, limit: 50 })` for one day;
 * - and what the indexes cost on writes: `create` and status-changing `append`s.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { cpus, totalmem, platform, release } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Thread, type ThreadListQuery, type ThreadStore } from "agentfold";
import { createPostgresStore, POSTGRES_MIGRATIONS, type PostgresPool } from "@agentfold/stores";
import pg from "pg";

const postgresUrl =
  process.env.AGENTFOLD_BENCH_POSTGRES_URL ?? process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = "agentfold_inbox_bench";
const THREADS = Number(process.env.THREADS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 50);

/**
 * Tenants and their share of threads, in percent: a big default tenant (threads without a tenant),
 * two large customers, a middle one and a small one, whose inbox is the hardest to find without an
 * index (1 row in 100 is theirs).
 */
const TENANTS: readonly [string, number][] = [
  ["default", 40],
  ["acme", 30],
  ["globex", 20],
  ["initech", 9],
  ["umbrella", 1],
];
/** Status of each thread, per mille: 2% awaiting approval, 1% awaiting an answer, 0.5% running, 0.5% waiting on a timer. */
const STATUSES: readonly [string, number][] = [
  ["awaiting_approval", 20],
  ["awaiting_human", 10],
  ["running", 5],
  ["waiting", 5],
  ["failed", 60],
  ["done", 900],
];
const AGENTS = ["support", "billing", "research", "ops", "triage"];
/** One thread created every 30 s: 1M threads span about 347 days, ending now. */
const SPACING_SECONDS = 30;

/** A CASE over a bucket 0..total-1 picking from weighted values (the SQL of the data generator). */
function weighted(bucket: string, choices: readonly [string, number][], total: number): string {
  let upTo = 0;
  const arms = choices.map(([value, weight]) => {
    upTo += weight;
    return `WHEN ${bucket} < ${upTo} THEN '${value}'`;
  });
  if (upTo !== total) throw new Error(`weights add up to ${upTo}, not ${total}`);
  return `CASE ${arms.join(" ")} END`;
}

/** A bucket 0..buckets-1 from a seeded hash of the row number `i`: one seed per column keeps them independent. */
const hashed = (seed: number, buckets: number) => `((hashint8extended(i, ${seed}) & 2147483647) % ${buckets})`;

/**
 * Fills the threads and events tables. Status, tenant and agent come from seeded hashes of the row
 * number, independent of each other and of creation order. Open threads
 * (and one done thread in 20) get three events; versions equal their event counts.
 */
async function fill(client: pg.Client): Promise<void> {
  const t = `"${SCHEMA}"`;
  const started = performance.now();
  const chunk = 100_000;
  for (let from = 1; from <= THREADS; from += chunk) {
    const to = Math.min(THREADS, from + chunk - 1);
    await client.query(
      `INSERT INTO ${t}.threads (id, agent, metadata, schema_version, status, version, created_at, updated_at, wake_at)
       SELECT 'thr_' || lpad(i::text, 8, '0'), agent, CASE WHEN tenant = 'default' THEN NULL ELSE '{"tenant":"' || tenant || '"}' END,
              2, status,
              CASE WHEN status IN ('done', 'failed') AND i % 20 <> 0 THEN 0 ELSE 3 END,
              created, created + interval '90 seconds',
              CASE WHEN status = 'waiting' THEN now() + ((i % 2000) - 1000) * interval '1 minute'
                   WHEN status = 'awaiting_approval' AND i % 10 = 0 THEN now() + (i % 500) * interval '1 minute' END
       FROM (
         SELECT i, now() - (${THREADS} - i) * interval '${SPACING_SECONDS} seconds' AS created,
                ${weighted(hashed(1, 1000), STATUSES, 1000)} AS status,
                ${weighted(hashed(2, 100), TENANTS, 100)} AS tenant,
                (ARRAY[${AGENTS.map((agent) => `'${agent}'`).join(", ")}])[1 + ${hashed(3, AGENTS.length)}] AS agent
         FROM generate_series($1::bigint, $2::bigint) AS i
       ) AS generated
       ORDER BY i`,
      [from, to],
    );
    process.stderr.write(`  ${to.toLocaleString("en")} threads\r`);
  }
  await client.query(
    `INSERT INTO ${t}.events (thread_key, seq, schema_version, body)
     SELECT key, seq, 2, '{"type":"user_input","text":"event ' || seq || '","at":"' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"}'
     FROM ${t}.threads, generate_series(0, version - 1) AS seq`,
  );
  await client.query(`VACUUM ANALYZE ${t}.threads`);
  await client.query(`VACUUM ANALYZE ${t}.events`);
  process.stderr.write(`\n  filled in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

/** A pool that remembers the last statement the store sent, so its plan can be shown. */
function recordingPool(pool: pg.Pool): PostgresPool & { last?: { text: string; values: unknown[] } } {
  const recording: PostgresPool & { last?: { text: string; values: unknown[] } } = {
    async query(text, values) {
      recording.last = { text, values: values ?? [] };
      return pool.query(text, values) as never;
    },
    connect: () => pool.connect() as never,
    end: () => pool.end(),
  };
  return recording;
}

const quantile = (values: number[], q: number) =>
  values.toSorted((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

interface Measured {
  query: string;
  indexes: "current" | "with migration 4";
  rows: number;
  medianMs: number;
  p95Ms: number;
  /** Shared buffers (8 kB pages) the last run's plan touched. */
  buffers: number;
  plan: string;
}

/** Runs `run` RUNS times after a warm-up, and the plan of the last statement it sent. */
async function measure(
  name: string,
  indexes: Measured["indexes"],
  recording: ReturnType<typeof recordingPool>,
  pool: pg.Pool,
  run: () => Promise<number>,
): Promise<Measured> {
  let rows = await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    rows = await run();
    times.push(performance.now() - started);
  }
  const last = recording.last!;
  const explained = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) ${last.text}`, last.values);
  const plan = explained.rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
  // Buffers touched: the same on every run, so a fair comparison on a busy machine where times are not.
  const touched = /Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?/.exec(plan);
  const buffers = Number(touched?.[1] ?? 0) + Number(touched?.[2] ?? 0);
  const result = { query: name, indexes, rows, medianMs: quantile(times, 0.5), p95Ms: quantile(times, 0.95), buffers, plan };
  process.stderr.write(
    `  ${indexes.padEnd(16)} ${name.padEnd(60)} ${result.medianMs.toFixed(2).padStart(8)} ms  p95 ${result.p95Ms.toFixed(2)} ms  ${buffers} buffers\n`,
  );
  return result;
}

/** The cursor of the last page of `query`, found by paging through it. */
async function lastPageCursor(store: ThreadStore, query: ThreadListQuery): Promise<string | undefined> {
  let cursor: string | undefined;
  let previous: string | undefined;
  do {
    const page = await store.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    previous = cursor;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return previous;
}

async function measureAll(store: ThreadStore, recording: ReturnType<typeof recordingPool>, pool: pg.Pool, indexes: Measured["indexes"]) {
  const results: Measured[] = [];
  const size = async (query: ThreadListQuery) => (await store.list(query)).threads.length;
  for (const [tenant] of TENANTS) {
    for (const status of ["awaiting_approval", "awaiting_human"] as const) {
      const inbox: ThreadListQuery = { status, tenant, limit: 200 };
      results.push(await measure(`inbox ${status} tenant=${tenant}, first page`, indexes, recording, pool, () => size(inbox)));
      const cursor = await lastPageCursor(store, inbox);
      if (cursor !== undefined) {
        results.push(
          await measure(`inbox ${status} tenant=${tenant}, last page`, indexes, recording, pool, () => size({ ...inbox, cursor })),
        );
      }
    }
  }
  results.push(
    await measure("recovery: list running, first page of 200", indexes, recording, pool, () => size({ status: "running", limit: 200 })),
  );
  results.push(
    await measure("recovery: list running, every page of 200", indexes, recording, pool, async () => {
      let total = 0;
      let cursor: string | undefined;
      do {
        const page = await store.list({ status: "running", limit: 200, ...(cursor === undefined ? {} : { cursor }) });
        total += page.threads.length;
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return total;
    }),
  );
  results.push(
    await measure(
      "timer sweep: listDue(by now, limit 100)",
      indexes,
      recording,
      pool,
      async () => (await store.listDue({ by: new Date(), limit: 100 })).length,
    ),
  );
  // One day, half a year back: the threads page with 'Started from' and 'Started to' set.
  const day = new Date(Date.now() - 180 * 86_400_000);
  day.setUTCHours(0, 0, 0, 0);
  const range = { createdFrom: day, createdBefore: new Date(day.getTime() + 86_400_000), limit: 50 };
  results.push(await measure("threads page: one day, all tenants", indexes, recording, pool, () => size(range)));
  for (const tenant of ["acme", "umbrella"]) {
    results.push(await measure(`threads page: one day, tenant=${tenant}`, indexes, recording, pool, () => size({ ...range, tenant })));
  }
  for (const tenant of ["acme", "umbrella"]) {
    results.push(await measure(`threads page: newest, tenant=${tenant}`, indexes, recording, pool, () => size({ tenant, limit: 50 })));
  }
  return results;
}

/** The access path of a plan in a few words: the scans, whether it sorts, the rows it read and threw away. */
function planSummary(plan: string): string {
  const scans = [
    ...plan.matchAll(/(Seq Scan|Index Only Scan(?: Backward)?|Index Scan(?: Backward)?|Bitmap Index Scan) (?:using |on )?(\w+)/g),
  ].map((match) => `${match[1]} ${match[2]}`);
  const removed = [...plan.matchAll(/Rows Removed by Filter: (\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  return [scans.join(" + "), /Sort Key/.test(plan) ? "sort" : "", removed > 0 ? `${removed.toLocaleString("en")} rows filtered out` : ""]
    .filter(Boolean)
    .join(", ");
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));

/** bench/results/inbox-query.md: the two runs side by side, then every plan. */
function markdown(result: {
  date: string;
  machine: { cpu: string | undefined; cores: number; memoryGb: number; os: string };
  postgres: string;
  threads: number;
  events: number;
  runs: number;
  statuses: Record<string, number>;
  migration4: { sql: string; buildSeconds: number };
  tableBytes: number;
  indexBytes: Record<string, number>;
  results: Measured[];
  writes: WriteCost[];
}): string {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const lines = [
    "# The inbox query at 1M threads",
    "",
    `Written by \`npm run bench:inbox\` (bench/inbox-query.bench.ts) on ${result.date}. Machine: ${result.machine.cpu}, ` +
      `${result.machine.cores} cores shared with other work while it ran, ${result.machine.memoryGb} GB, ${result.machine.os}; ` +
      `Postgres ${result.postgres} on the same machine. Times are the median and p95 of ${result.runs} runs through the store's ` +
      "own methods; on shared cores they are noisy, so each row also gives the shared buffers (8 kB pages) the query touched, " +
      "which do not vary from run to run.",
    "",
    `Data: ${result.threads.toLocaleString("en")} threads (${Object.entries(result.statuses)
      .map(([status, count]) => `${status} ${count.toLocaleString("en")}`)
      .join(
        ", ",
      )}), ${result.events.toLocaleString("en")} events; tenants ${TENANTS.map(([tenant, share]) => `${tenant} ${share}%`).join(", ")}; ` +
      `${AGENTS.length} agents; one thread every ${SPACING_SECONDS} s over ${Math.round((result.threads * SPACING_SECONDS) / 86_400)} days. ` +
      `Table ${mb(result.tableBytes)}; indexes ${Object.entries(result.indexBytes)
        .map(([name, bytes]) => `${name} ${mb(bytes)}`)
        .join(", ")}. Migration 4's indexes took ${result.migration4.buildSeconds.toFixed(1)} s to build on these rows.`,
    "",
    "Migration 4 (tenant lists):",
    "",
    "```sql",
    ...result.migration4.sql.split("\n").map((line) => line.trim()),
    "```",
    "",
    "| query | rows | before: median / p95 ms | buffers | plan | with migration 4: median / p95 ms | buffers | plan |",
    "| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |",
  ];
  const before = result.results.filter((row) => row.indexes === "current");
  for (const row of before) {
    const after = result.results.find((candidate) => candidate.indexes !== "current" && candidate.query === row.query);
    lines.push(
      `| ${row.query} | ${row.rows} | ${ms(row.medianMs)} / ${ms(row.p95Ms)} | ${row.buffers} | ${planSummary(row.plan)} | ` +
        (after ? `${ms(after.medianMs)} / ${ms(after.p95Ms)} | ${after.buffers} | ${planSummary(after.plan)} |` : "| | |"),
    );
  }
  lines.push(
    "",
    `Writes, on the same table (${WRITE_THREADS} threads, each created then appended to three times, every append changing its status):`,
    "",
    "| indexes | create: median / p95 ms | append: median / p95 ms |",
    "| --- | ---: | ---: |",
    ...result.writes.map(
      (row) =>
        `| ${row.indexes} | ${ms(row.createMedianMs)} / ${ms(row.createP95Ms)} | ${ms(row.appendMedianMs)} / ${ms(row.appendP95Ms)} |`,
    ),
  );
  lines.push("", "## Plans", "", "EXPLAIN (ANALYZE, BUFFERS) of the statement and values the store sent on the last run.", "");
  for (const row of result.results) {
    lines.push(`<details><summary>${row.indexes}: ${row.query}</summary>`, "", "```", row.plan, "```", "", "</details>", "");
  }
  return `${lines.join("\n")}\n`;
}

/** Threads written per run of the write measurement. */
const WRITE_THREADS = 200;

interface WriteCost {
  indexes: Measured["indexes"];
  createMedianMs: number;
  createP95Ms: number;
  appendMedianMs: number;
  appendP95Ms: number;
}

/**
 * What the indexes cost on writes: `create`, then three appends that each change the status
 * (awaiting approval, running again, done), as a thread's life does. The threads are of a tenant of
 * their own, so the lists measured after this are not disturbed.
 */
async function measureWrites(store: ThreadStore, indexes: Measured["indexes"]): Promise<WriteCost> {
  const creates: number[] = [];
  const appends: number[] = [];
  for (let index = 0; index < WRITE_THREADS; index++) {
    const thread = Thread.start(`write ${index}`, { agent: "support", metadata: { tenant: `writes-${indexes === "current" ? 1 : 2}` } });
    let started = performance.now();
    await store.create(thread);
    creates.push(performance.now() - started);
    const asking = thread.append([
      { type: "model_decision", calls: [{ callId: "c1", intent: "refund", args: { index } }] },
      { type: "approval_requested", callId: "c1", intent: "refund", args: { index }, argsHash: `h${index}` },
    ]);
    const approved = asking.append([{ type: "approval_decision", callId: "c1", approved: true, argsHash: `h${index}`, actor: "ann" }]);
    const done = approved.append([{ type: "done", message: "refunded" }]);
    let previous = thread;
    for (const next of [asking, approved, done]) {
      started = performance.now();
      await store.append(next, { expectedVersion: previous.version });
      appends.push(performance.now() - started);
      previous = next;
    }
  }
  const cost = {
    indexes,
    createMedianMs: quantile(creates, 0.5),
    createP95Ms: quantile(creates, 0.95),
    appendMedianMs: quantile(appends, 0.5),
    appendP95Ms: quantile(appends, 0.95),
  };
  process.stderr.write(
    `  ${indexes.padEnd(16)} writes: create ${ms(cost.createMedianMs)} ms (p95 ${ms(cost.createP95Ms)}), append ${ms(cost.appendMedianMs)} ms (p95 ${ms(cost.appendP95Ms)})\n`,
  );
  return cost;
}

/** The index names migration 4 creates, read from its SQL. */
function migration4(): { sql: string; names: string[] } {
  const migration = POSTGRES_MIGRATIONS.find((candidate) => candidate.version === 4);
  if (!migration) throw new Error("POSTGRES_MIGRATIONS has no version 4: this benchmark compares its indexes with the ones before it.");
  const sql = migration.sql(`"${SCHEMA}"`);
  return { sql, names: [...sql.matchAll(/CREATE INDEX (\w+)/g)].map((match) => match[1]!) };
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 4 });
  pool.on("error", () => {});
  const recording = recordingPool(pool);
  const store = await createPostgresStore({ pool: recording, schema: SCHEMA });
  try {
    const { sql: indexSql, names } = migration4();
    // The store made every index; the 'current' run is without migration 4's, as before it.
    for (const name of names) await admin.query(`DROP INDEX "${SCHEMA}".${name}`);
    process.stderr.write(`filling ${THREADS.toLocaleString("en")} threads…\n`);
    await fill(admin);
    const counts = await admin.query(`SELECT status, count(*)::int AS n FROM "${SCHEMA}".threads GROUP BY status ORDER BY n DESC`);
    const eventCount = (await admin.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".events`)).rows[0].n as number;
    const before = await measureAll(store, recording, pool, "current");
    const writesBefore = await measureWrites(store, "current");
    const indexStarted = performance.now();
    await admin.query(indexSql);
    const indexBuildSeconds = (performance.now() - indexStarted) / 1000;
    await admin.query(`ANALYZE "${SCHEMA}".threads`);
    const after = await measureAll(store, recording, pool, "with migration 4");
    const writesAfter = await measureWrites(store, "with migration 4");
    const sizes = await admin.query(
      `SELECT indexrelname AS name, pg_relation_size(indexrelid) AS bytes FROM pg_stat_user_indexes WHERE schemaname = $1 AND relname = 'threads' ORDER BY indexrelname`,
      [SCHEMA],
    );
    const tableBytes = (await admin.query(`SELECT pg_relation_size('"${SCHEMA}".threads') AS bytes`)).rows[0].bytes as string;
    const cpu = cpus();
    const result = {
      date: new Date().toISOString(),
      machine: { cpu: cpu[0]?.model, cores: cpu.length, memoryGb: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}` },
      postgres: (await admin.query("SHOW server_version")).rows[0].server_version as string,
      threads: THREADS,
      events: eventCount,
      runs: RUNS,
      statuses: Object.fromEntries(counts.rows.map((row) => [row.status, row.n])),
      tenants: Object.fromEntries(TENANTS),
      migration4: { sql: indexSql.trim(), buildSeconds: indexBuildSeconds },
      tableBytes: Number(tableBytes),
      indexBytes: Object.fromEntries(sizes.rows.map((row) => [row.name, Number(row.bytes)])),
      results: [...before, ...after],
      writes: [writesBefore, writesAfter],
    };
    mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
    writeFileSync(join(import.meta.dirname, "results", "inbox-query.json"), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(import.meta.dirname, "results", "inbox-query.md"), markdown(result));
    process.stderr.write("wrote bench/results/inbox-query.json and .md\n");
  } finally {
    await store.close();
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin.end();
  }
}

await main();
