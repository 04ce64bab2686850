/**
 * The real server on a real port: SQLite files, a server killed with SIGKILL mid-step, and two
 * server processes sharing one Postgres database.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import pg from "pg";
import { createSqliteStore } from "@agentfold/stores";
import { startServer } from "../src/index.ts";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { get, post, urlFetcher, type Fetcher } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-server-e2e-"));
const children: ChildServer[] = [];
after(async () => {
  for (const child of children) await child.stop("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(50);
  }
}

function runLog(path: string): { intent: string; key: string; pid: number }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/**
 * Every callId has one result, after its starts. A call re-run after a crash has one
 * `tool_started` per attempt (numbered 1, 2, …), all with the same idempotency key.
 */
function assertCallsSettledOnce(events: { type: string; callId?: string; attempt?: number; idempotencyKey?: string }[]): void {
  const started = new Map<string, number>();
  const attempts = new Map<string, { attempt: number; key: string | undefined }>();
  const settled = new Map<string, number>();
  events.forEach((event, index) => {
    if (event.type === "tool_started") {
      const previous = attempts.get(event.callId!);
      assert.equal(event.attempt ?? 1, (previous?.attempt ?? 0) + 1, `attempts of ${event.callId} are numbered in order`);
      if (previous) assert.equal(event.idempotencyKey, previous.key, `a re-run of ${event.callId} keeps its idempotency key`);
      attempts.set(event.callId!, { attempt: event.attempt ?? 1, key: event.idempotencyKey });
      started.set(event.callId!, index);
    }
    if (event.type === "tool_result" || (event.type === "error" && event.callId)) {
      assert.ok(!settled.has(event.callId!), `two results for ${event.callId}`);
      settled.set(event.callId!, index);
    }
  });
  for (const [callId, index] of started) {
    assert.ok((settled.get(callId) ?? -1) > index, `${callId} started at ${index} has no result after it`);
  }
}

describe("end to end: SQLite file, real port", () => {
  it("launch divide, approve edited args, done with the edited result; 20 concurrent approvals run the tool once", async () => {
    const agents = createTestAgents();
    const server = await startServer({
      store: join(directory, "single.db"),
      agents: [agents.calculator, agents.worker],
      model: createTestModel(),
      port: 0,
      apiKeys: false,
    });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const fetch: Fetcher = urlFetcher(server.url);
      const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
      assert.equal(launched.status, 200);
      assert.equal(launched.body.status, "awaiting_approval");
      const callId = launched.body.pending[0].callId;
      const approved = await post(fetch, `/v1/threads/${launched.body.id}/approvals/${callId}`, { approved: true, args: { a: 9, b: 2 } });
      assert.equal(approved.status, 200);
      assert.equal(approved.body.status, "done");
      const result = approved.body.events.find((event: { type: string }) => event.type === "tool_result");
      assert.equal(result.result, 4.5);

      const second = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
      const secondCall = second.body.pending[0].callId;
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => post(fetch, `/v1/threads/${second.body.id}/approvals/${secondCall}`, { approved: true })),
      );
      assert.deepEqual(responses.map((response) => response.status).sort(), [200, ...Array(19).fill(409)]);
      assert.equal(agents.divideRuns.get(`${second.body.id}:${secondCall}`), 1);
      const stored = await get(fetch, `/v1/threads/${second.body.id}`);
      assert.equal(stored.body.status, "done");
      assertCallsSettledOnce(stored.body.events);
    } finally {
      await server.close();
    }
  });
});

describe("end to end: crash recovery", () => {
  it("a server killed with SIGKILL mid-step; after a restart the thread completes with no event lost or duplicated", async () => {
    const db = join(directory, "crash.db");
    const log = join(directory, "crash-runs.jsonl");
    const env = { TEST_DB: db, TEST_RUN_LOG: log, TEST_LEASE_TTL_MS: "1000" };
    const first = await startChildServer({ ...env, TEST_WORK_MS: "600000" });
    children.push(first);
    const launched = await post(urlFetcher(first.url), "/v1/threads?wait=0", { agent: "worker", message: "work" });
    assert.equal(launched.status, 202);
    const id = launched.body.id as string;
    await waitFor("the tool to start", async () => (runLog(log).length > 0 ? true : undefined));
    const before = await get(urlFetcher(first.url), `/v1/threads/${id}`);
    assert.equal(before.body.status, "running");
    assert.equal(before.body.events.at(-1).type, "tool_started");
    await first.stop("SIGKILL");

    const second = await startChildServer({ ...env, TEST_WORK_MS: "0" });
    children.push(second);
    const done = await waitFor("the thread to finish", async () => {
      const thread = await get(urlFetcher(second.url), `/v1/threads/${id}`);
      return thread.body.status === "done" ? thread.body : undefined;
    });
    await second.stop();

    assert.deepEqual(done.events.slice(0, before.body.version), before.body.events, "what was stored before the crash is kept");
    assert.deepEqual(
      done.events.map((event: { type: string }) => event.type),
      // The second tool_started is the re-run's attempt 2 after the crash.
      ["user_input", "model_decision", "tool_started", "tool_started", "tool_result", "model_decision", "done"],
    );
    assertCallsSettledOnce(done.events);
    // The idempotent tool ran again after the crash, with the same idempotency key.
    const runs = runLog(log);
    assert.equal(runs.length, 2);
    assert.equal(runs[0]!.key, runs[1]!.key);
    assert.notEqual(runs[0]!.pid, runs[1]!.pid);
    const database = new DatabaseSync(db, { readOnly: true });
    const rows = database
      .prepare(
        "SELECT events.seq AS seq FROM events JOIN threads ON threads.key = events.thread_key WHERE threads.id = ? ORDER BY events.seq",
      )
      .all(id) as { seq: number }[];
    database.close();
    const first0 = rows[0]!.seq;
    assert.deepEqual(
      rows.map((row) => row.seq),
      Array.from({ length: done.version }, (_, index) => first0 + index),
      "sequences have no gap and no duplicate",
    );
    const store = createSqliteStore({ path: db });
    assert.equal((await store.load(id))!.version, done.version);
    await store.close();
  });
});

describe("end to end: two server processes on one Postgres", () => {
  const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `agentfold_server_test_${process.pid}_${Date.now().toString(36)}`;
  after(async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it("each thread is advanced by one process: every tool runs once", async () => {
    const log = join(directory, "postgres-runs.jsonl");
    const env = { TEST_DB: postgresUrl, TEST_SCHEMA: schema, TEST_RUN_LOG: log, TEST_WORK_MS: "20", TEST_LEASE_TTL_MS: "1500" };
    const servers = [await startChildServer(env), await startChildServer(env)];
    children.push(...servers);
    const fetchers = servers.map((server) => urlFetcher(server.url));

    // 20 worker threads launched across both; the other process's sweep competes for them.
    const workers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        post(fetchers[index % 2]!, "/v1/threads?wait=0", { agent: "worker", message: `job ${index}` }),
      ),
    );
    // 10 divide threads, each approved 10 times through each process at once.
    const divides = await Promise.all(
      Array.from({ length: 10 }, (_, index) => post(fetchers[index % 2]!, "/v1/threads", { agent: "calculator", message: "divide" })),
    );
    for (const divide of divides) assert.equal(divide.body.status, "awaiting_approval", JSON.stringify(divide.body));
    const approvals = await Promise.all(
      divides.flatMap((divide) =>
        Array.from({ length: 20 }, (_, index) =>
          post(fetchers[index % 2]!, `/v1/threads/${divide.body.id}/approvals/${divide.body.pending[0].callId}`, { approved: true }),
        ),
      ),
    );
    for (let thread = 0; thread < divides.length; thread++) {
      const statuses = approvals.slice(thread * 20, thread * 20 + 20).map((response) => response.status);
      assert.equal(statuses.filter((status) => status === 200 || status === 202).length, 1, `thread ${thread}: ${statuses}`);
      assert.equal(statuses.filter((status) => status === 409).length, 19, `thread ${thread}: ${statuses}`);
    }
    const ids = [...workers, ...divides].map((response) => response.body.id as string);
    for (const id of ids) {
      const thread = await waitFor(`thread ${id} to finish`, async () => {
        const read = await get(fetchers[0]!, `/v1/threads/${id}`);
        return read.body.status === "done" ? read.body : undefined;
      });
      assertCallsSettledOnce(thread.events);
    }
    const runs = runLog(log);
    const keys = runs.map((run) => run.key);
    assert.equal(runs.length, 30, "20 work runs and 10 divide runs");
    assert.equal(new Set(keys).size, keys.length, "no tool ran twice");
    for (const server of servers) assert.doesNotMatch(server.stderr(), /lease_lost|version_conflict/i);
  });
});
