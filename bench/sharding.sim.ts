/**
 * A simulation of threads sharded by id across several Postgres databases (docs/scale-out.md).
 *
 *   npm run sim:sharding            (node bench/sharding.sim.ts; SHARDS=4 THREADS=1000 by default)
 *
 * Each shard is a schema of its own on the local server, holding a whole Postgres store (made by
 * the store's migrations); one more schema holds the same threads in a single store, for
 * comparison. A small router — here, in the simulation only, not a product module — is itself a
 * `ThreadStore`:
 * - every operation of one thread (create, load, append, acquire/renew/release a lease) goes to the
 *   shard its id hashes to, and only there;
 * - the global queries (`list`: the inbox, recovery's running list, the threads page; `listDue`:
 *   the timer sweep) are asked of every shard and merged in the store's order. A page's cursor holds
 *   one position per shard.
 *
 * The workload launches threads, takes leases, appends (approvals, questions, timers, answers),
 * loads them back and lists them. It checks that every per-thread operation touched exactly one
 * shard, that each merged list (paged to its end, at several page sizes) equals the single store's
 * list of the same threads, and reports what each global query costs in shard queries and rows.
 * Results go to bench/results/sharding.json and .md; the schemas are dropped at the end.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Thread, type NewEvent, type ThreadListPage, type ThreadListQuery, type ThreadStore, type ThreadSummary } from "agentfold";
import { createPostgresStore } from "@agentfold/stores";
import pg from "pg";

const postgresUrl =
  process.env.AGENTFOLD_BENCH_POSTGRES_URL ?? process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SHARDS = Number(process.env.SHARDS ?? 4);
const THREADS = Number(process.env.THREADS ?? 1000);
const PREFIX = "agentfold_shard_sim";
const TENANTS = ["default", "acme", "globex", "umbrella"];
const AGENTS = ["support", "billing", "ops"];

/** The shard of a thread: the first 4 bytes of the SHA-1 of its id, modulo the shard count. */
function shardOf(threadId: string): number {
  return createHash("sha1").update(threadId).digest().readUInt32BE(0) % SHARDS;
}

/** One call a shard received: which method, for which thread (none for a global query). */
interface ShardCall {
  shard: number;
  method: string;
  threadId?: string;
  rows?: number;
}

/** A shard's store that writes down every call it receives. */
function counted(store: ThreadStore, shard: number, calls: ShardCall[]): ThreadStore {
  /** Writes the call down, then makes it. */
  const noted = <T>(method: string, threadId: string, call: () => T): T => {
    calls.push({ shard, method, threadId });
    return call();
  };
  return {
    create: (thread) => noted("create", thread.id, () => store.create(thread)),
    append: (thread, options) => noted("append", thread.id, () => store.append(thread, options)),
    load: (threadId) => noted("load", threadId, () => store.load(threadId)),
    acquireLease: (threadId, owner, ttlMs) => noted("acquireLease", threadId, () => store.acquireLease(threadId, owner, ttlMs)),
    renewLease: (lease, ttlMs) => noted("renewLease", lease.threadId, () => store.renewLease(lease, ttlMs)),
    releaseLease: (lease) => noted("releaseLease", lease.threadId, () => store.releaseLease(lease)),
    async list(query) {
      const page = await store.list(query);
      calls.push({ shard, method: "list", rows: page.threads.length });
      return page;
    },
    async listDue(query) {
      const due = await store.listDue(query);
      calls.push({ shard, method: "listDue", rows: due.length });
      return due;
    },
    close: () => store.close(),
  };
}

/** Where a merged list stands on one shard: the shard's own cursor, or finished. */
type ShardPosition = { cursor?: string } | "done";

const encodePositions = (positions: ShardPosition[]) => Buffer.from(JSON.stringify(positions)).toString("base64url");
function decodePositions(cursor: string): ShardPosition[] {
  const positions = JSON.parse(Buffer.from(cursor, "base64url").toString()) as ShardPosition[];
  if (!Array.isArray(positions) || positions.length !== SHARDS) throw new Error("This cursor was made for another number of shards.");
  return positions;
}

/**
 * The store's list order, newest first: creation time, then id. It equals one database's order
 * (its creation key) when ids grow with creation, as the simulation's do; a real sharded store
 * would carry its own creation key (a time-ordered id) in the summary instead.
 */
const newestFirst = (a: ThreadSummary, b: ThreadSummary) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1;
/** The due order: wake time, then id (creation). */
const earliestDue = (a: ThreadSummary, b: ThreadSummary) =>
  a.wakeAt === b.wakeAt ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : (a.wakeAt ?? "") < (b.wakeAt ?? "") ? -1 : 1;

/** The router: a `ThreadStore` over the shards. */
function shardedStore(shards: ThreadStore[]): ThreadStore {
  const of = (threadId: string) => shards[shardOf(threadId)]!;
  return {
    create: (thread) => of(thread.id).create(thread),
    append: (thread, options) => of(thread.id).append(thread, options),
    load: (threadId) => of(threadId).load(threadId),
    acquireLease: (threadId, owner, ttlMs) => of(threadId).acquireLease(threadId, owner, ttlMs),
    renewLease: (lease, ttlMs) => of(lease.threadId).renewLease(lease, ttlMs),
    releaseLease: (lease) => of(lease.threadId).releaseLease(lease),

    /**
     * Asks every unfinished shard for a page of `limit` from its position, merges them and keeps the
     * first `limit`. A shard whose page was taken whole moves to its next cursor; one whose page was
     * taken in part is asked once more for exactly the part taken, to get the cursor after it (the
     * stores' cursors are opaque; a store built for shards would put its key in each summary).
     */
    async list(query: ThreadListQuery = {}): Promise<ThreadListPage> {
      const limit = query.limit ?? 50;
      const { cursor, ...filters } = query;
      const positions: ShardPosition[] = cursor === undefined ? shards.map(() => ({})) : decodePositions(cursor);
      const pages = await Promise.all(
        shards.map((shard, index) => {
          const position = positions[index]!;
          return position === "done" ? undefined : shard.list({ ...filters, limit, ...position });
        }),
      );
      const merged = pages
        .flatMap((page, shard) => (page?.threads ?? []).map((summary) => ({ summary, shard })))
        .sort((a, b) => newestFirst(a.summary, b.summary))
        .slice(0, limit);
      const taken = shards.map((_, index) => merged.filter((entry) => entry.shard === index).length);
      const next = await Promise.all(
        shards.map(async (shard, index): Promise<ShardPosition> => {
          const page = pages[index];
          const position = positions[index]!;
          if (page === undefined || position === "done") return "done";
          if (taken[index] === page.threads.length) return page.nextCursor === undefined ? "done" : { cursor: page.nextCursor };
          if (taken[index] === 0) return position;
          const part = await shard.list({ ...filters, limit: taken[index]!, ...position });
          return { cursor: part.nextCursor! };
        }),
      );
      return {
        threads: merged.map((entry) => entry.summary),
        ...(next.every((position) => position === "done") ? {} : { nextCursor: encodePositions(next) }),
      };
    },

    /** Every shard's earliest `limit`, merged: the sweep's `limit` earliest of all. */
    async listDue(query) {
      const limit = query.limit ?? 50;
      const lists = await Promise.all(shards.map((shard) => shard.listDue(query)));
      return lists.flat().sort(earliestDue).slice(0, limit);
    },

    async close() {
      await Promise.all(shards.map((shard) => shard.close()));
    },
  };
}

const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/** What thread `index` goes through after its launch: a mix like a working inbox. */
function workFor(index: number): { events: NewEvent[]; answer?: NewEvent[] } {
  const call = (intent: string): NewEvent => ({ type: "model_decision", calls: [{ callId: "c1", intent, args: { n: index } }] });
  switch (index % 10) {
    case 0:
    case 1:
      return {
        events: [call("refund"), { type: "approval_requested", callId: "c1", intent: "refund", args: { n: index }, argsHash: `h${index}` }],
      };
    case 2:
      return {
        events: [
          call("ask"),
          { type: "human_request", callId: "c1", reason: "question", question: "Which account?", urgency: "medium", format: "free_text" },
        ],
        // A third of the questions are answered later: the thread leaves the inbox.
        ...(Math.floor(index / 10) % 3 === 0
          ? { answer: [{ type: "human_response", callId: "c1", text: "the first one", actor: "ann" }] }
          : {}),
      };
    case 3:
      return { events: [{ type: "timer_set", timerId: "t1", until: at((index % 120) - 60), reason: "follow up" }] };
    case 4:
      return { events: [] };
    default:
      return { events: [{ type: "done", message: "all set" }] };
  }
}

/** Runs the same step on the sharded store and on the single one. */
async function both<T>(sharded: ThreadStore, single: ThreadStore, step: (store: ThreadStore) => Promise<T>): Promise<[T, T]> {
  return [await step(sharded), await step(single)];
}

/** Every page of `query` through one store, and how many pages it took. */
async function pageThrough(store: ThreadStore, query: ThreadListQuery): Promise<{ ids: string[]; pages: number; ms: number }> {
  const ids: string[] = [];
  let pages = 0;
  let cursor: string | undefined;
  const started = performance.now();
  do {
    const page = await store.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.threads.map((summary) => summary.id));
    pages++;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { ids, pages, ms: performance.now() - started };
}

interface GlobalResult {
  query: string;
  rows: number;
  pages: number;
  equal: boolean;
  shardQueries: number;
  shardQueriesPerPage: number;
  shardRowsRead: number;
  rowsReadPerRowReturned: number;
  shardedMs: number;
  singleMs: number;
}

/** bench/results/sharding.md. */
function markdown(result: {
  date: string;
  machine: { cpu: string | undefined; cores: number; memoryGb: number; os: string };
  threadsPerShard: number[];
  workloadSeconds: number;
  perThreadOperations: Record<string, number>;
  everyThreadOperationSingleShard: boolean;
  globalQueries: GlobalResult[];
  failures: string[];
}): string {
  const lines = [
    "# Sharding threads by id: the simulation",
    "",
    `Written by \`npm run sim:sharding\` (bench/sharding.sim.ts) on ${result.date}: ${THREADS} threads on ${SHARDS} shards ` +
      `(${result.threadsPerShard.join(" / ")} threads), each shard a Postgres schema with a whole store, beside one single store ` +
      `holding the same threads. Machine: ${result.machine.cpu}, ${result.machine.cores} cores shared with other work, ` +
      `${result.machine.memoryGb} GB; all schemas on one local Postgres, so the times show the router's overhead, not what ` +
      "separate servers would gain. See docs/scale-out.md.",
    "",
    `Per-thread operations (${Object.entries(result.perThreadOperations)
      .map(([method, count]) => `${method} ${count}`)
      .join(", ")}): ` +
      (result.everyThreadOperationSingleShard
        ? "every one went to exactly one shard, the one its thread's id hashes to."
        : "**some touched more than one shard**."),
    "",
    `Global queries, paged to the end through the router and through the single store: ${
      result.globalQueries.every((row) => row.equal) ? "every merged list equals the single store's" : "**some merged lists differ**"
    }. Shard queries include the second query a page needs on each shard it took only part of (to find that shard's cursor after the rows taken).`,
    "",
    "| query | rows | pages | equal | shard queries (per page) | shard rows read (per row returned) | sharded ms | single ms |",
    "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ...result.globalQueries.map(
      (row) =>
        `| ${row.query} | ${row.rows} | ${row.pages} | ${row.equal ? "yes" : "**no**"} | ${row.shardQueries} (${row.shardQueriesPerPage.toFixed(1)}) | ` +
        `${row.shardRowsRead} (${row.rowsReadPerRowReturned.toFixed(2)}) | ${row.shardedMs.toFixed(1)} | ${row.singleMs.toFixed(1)} |`,
    ),
    "",
    result.failures.length === 0
      ? "All checks passed."
      : `Failed checks:\n\n${result.failures.map((failure) => `- ${failure}`).join("\n")}`,
  ];
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  const schemas = [...Array.from({ length: SHARDS }, (_, index) => `${PREFIX}_${index}`), `${PREFIX}_single`];
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  const calls: ShardCall[] = [];
  const shardStores = await Promise.all(
    Array.from({ length: SHARDS }, async (_, index) =>
      counted(await createPostgresStore({ connectionString: postgresUrl, schema: `${PREFIX}_${index}` }), index, calls),
    ),
  );
  const sharded = shardedStore(shardStores);
  const single = await createPostgresStore({ connectionString: postgresUrl, schema: `${PREFIX}_single` });
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  try {
    // The workload: launch, lease, append, renew, release, answer, load. Ids grow with creation.
    const started = performance.now();
    const ids: string[] = [];
    for (let index = 0; index < THREADS; index++) {
      const tenant = TENANTS[(index + Math.floor(index / 10)) % TENANTS.length]!;
      const thread = Thread.start(`request ${index}`, {
        id: `thr_sim_${index.toString().padStart(7, "0")}`,
        agent: AGENTS[index % AGENTS.length]!,
        ...(tenant === "default" ? {} : { metadata: { tenant } }),
      });
      ids.push(thread.id);
      await both(sharded, single, (store) => store.create(thread));
      const work = workFor(index);
      if (work.events.length === 0) continue;
      // Built once, so both stores get the very same events (with the same times).
      const next = thread.append(work.events);
      const answered = work.answer ? next.append(work.answer) : undefined;
      for (const store of [sharded, single]) {
        const lease = await store.acquireLease(thread.id, "runner-1", 30_000);
        if (!lease) throw new Error(`no lease on ${thread.id}`);
        await store.append(next, { expectedVersion: thread.version, fence: lease.token });
        if (index % 50 === 0) await store.renewLease(lease, 30_000);
        await store.releaseLease(lease);
        if (answered) await store.append(answered, { expectedVersion: next.version });
      }
    }
    for (const id of ids) {
      const [fromShard, fromSingle] = await both(sharded, single, (store) => store.load(id));
      check(JSON.stringify(fromShard) === JSON.stringify(fromSingle), `load ${id}: the shard's thread differs from the single store's`);
    }
    const workloadMs = performance.now() - started;

    // Per-thread operations: one shard call per router call, always on the thread's own shard.
    const perThread = calls.filter((call) => call.threadId !== undefined);
    const shardsByThread = new Map<string, Set<number>>();
    for (const call of perThread) shardsByThread.set(call.threadId!, (shardsByThread.get(call.threadId!) ?? new Set()).add(call.shard));
    const singleShard = [...shardsByThread.values()].every((set) => set.size === 1);
    check(singleShard, "a thread's operations touched more than one shard");
    check(
      perThread.every((call) => call.shard === shardOf(call.threadId!)),
      "a thread's operation went to a shard other than its id's",
    );
    check(shardsByThread.size === THREADS, `operations named ${shardsByThread.size} threads, not ${THREADS}`);
    const operations = Object.fromEntries(
      ["create", "acquireLease", "append", "renewLease", "releaseLease", "load"].map((method) => [
        method,
        perThread.filter((call) => call.method === method).length,
      ]),
    );
    const threadsPerShard = Array.from({ length: SHARDS }, (_, shard) => ids.filter((id) => shardOf(id) === shard).length);

    // Global queries: scatter-gather, merged, paged to the end; equal to the single store's list.
    const globals: GlobalResult[] = [];
    const compare = async (name: string, query: ThreadListQuery) => {
      calls.length = 0;
      const merged = await pageThrough(sharded, query);
      const shardCalls = calls.filter((call) => call.method === "list");
      const alone = await pageThrough(single, query);
      const equal = JSON.stringify(merged.ids) === JSON.stringify(alone.ids);
      check(equal, `${name}: the merged list differs from the single store's`);
      const rowsRead = shardCalls.reduce((sum, call) => sum + (call.rows ?? 0), 0);
      globals.push({
        query: name,
        rows: merged.ids.length,
        pages: merged.pages,
        equal,
        shardQueries: shardCalls.length,
        shardQueriesPerPage: shardCalls.length / merged.pages,
        shardRowsRead: rowsRead,
        rowsReadPerRowReturned: merged.ids.length === 0 ? 0 : rowsRead / merged.ids.length,
        shardedMs: merged.ms,
        singleMs: alone.ms,
      });
    };
    for (const tenant of TENANTS) {
      for (const status of ["awaiting_approval", "awaiting_human"] as const) {
        await compare(`inbox ${status} tenant=${tenant}, pages of 20`, { status, tenant, limit: 20 });
      }
    }
    await compare("inbox awaiting_approval tenant=acme, pages of 7", { status: "awaiting_approval", tenant: "acme", limit: 7 });
    await compare("recovery: running, pages of 200", { status: "running", limit: 200 });
    await compare("all threads, pages of 100", { limit: 100 });
    await compare("all threads, pages of 13", { limit: 13 });
    await compare("threads page: agent=ops tenant=globex, pages of 50", { agent: "ops", tenant: "globex", limit: 50 });

    calls.length = 0;
    const dueBy = new Date(Date.now() + 30 * 60_000);
    const dueStarted = performance.now();
    const dueMerged = await sharded.listDue({ by: dueBy, limit: 100 });
    const dueShardedMs = performance.now() - dueStarted;
    const dueCalls = calls.filter((call) => call.method === "listDue");
    const singleStarted = performance.now();
    const dueAlone = await single.listDue({ by: dueBy, limit: 100 });
    const dueSingleMs = performance.now() - singleStarted;
    const dueEqual = JSON.stringify(dueMerged.map((s) => s.id)) === JSON.stringify(dueAlone.map((s) => s.id));
    check(dueEqual, "listDue: the merged list differs from the single store's");
    const dueRows = dueCalls.reduce((sum, call) => sum + (call.rows ?? 0), 0);
    globals.push({
      query: "timer sweep: listDue(by now + 30 min, limit 100)",
      rows: dueMerged.length,
      pages: 1,
      equal: dueEqual,
      shardQueries: dueCalls.length,
      shardQueriesPerPage: dueCalls.length,
      shardRowsRead: dueRows,
      rowsReadPerRowReturned: dueMerged.length === 0 ? 0 : dueRows / dueMerged.length,
      shardedMs: dueShardedMs,
      singleMs: dueSingleMs,
    });

    const cpu = cpus();
    const result = {
      date: new Date().toISOString(),
      machine: { cpu: cpu[0]?.model, cores: cpu.length, memoryGb: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}` },
      shards: SHARDS,
      threads: THREADS,
      threadsPerShard,
      workloadSeconds: workloadMs / 1000,
      perThreadOperations: operations,
      everyThreadOperationSingleShard: singleShard,
      globalQueries: globals,
      failures,
    };
    mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
    writeFileSync(join(import.meta.dirname, "results", "sharding.json"), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(import.meta.dirname, "results", "sharding.md"), markdown(result));
    console.log(`${THREADS} threads on ${SHARDS} shards (${threadsPerShard.join(" / ")}); workload ${(workloadMs / 1000).toFixed(1)} s`);
    console.log(`per-thread operations: ${JSON.stringify(operations)}; each on exactly one shard: ${singleShard}`);
    for (const row of globals) {
      console.log(
        `${row.query.padEnd(52)} rows ${String(row.rows).padStart(4)} pages ${String(row.pages).padStart(3)} equal ${row.equal} ` +
          `shard queries ${row.shardQueries} (${row.shardQueriesPerPage.toFixed(1)}/page), rows read ${row.shardRowsRead} ` +
          `(${row.rowsReadPerRowReturned.toFixed(2)}× returned), ${row.shardedMs.toFixed(1)} ms vs ${row.singleMs.toFixed(1)} ms`,
      );
    }
    if (failures.length > 0) {
      console.error(`FAILED:\n${failures.join("\n")}`);
      process.exitCode = 1;
    }
  } finally {
    await sharded.close();
    await single.close();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

await main();
