/**
 * Crashes at the product's own fault points (AGENTFOLD_FAULT): a real server process on a SQLite file
 * kills itself with SIGKILL at a named point, a server without the variable is started on the same
 * file, and the thread must keep every acknowledged event, in contiguous order, and finish or ask a
 * person.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { get, post, urlFetcher } from "./support/http.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-fault-points-"));
const children: ChildServer[] = [];
after(async () => {
  for (const child of children) await child.stop("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(env: Record<string, string>): Promise<ChildServer> {
  // The test process's own AGENTFOLD_FAULT (if any) must not leak into a server meant to run clean.
  const server = await startChildServer({ AGENTFOLD_FAULT: "", TEST_LEASE_TTL_MS: "1000", ...env });
  children.push(server);
  return server;
}

/** Waits for the child to exit by itself and returns the signal that ended it. */
async function exitSignal(server: ChildServer, timeoutMs = 10_000): Promise<NodeJS.Signals | null> {
  const { child } = server;
  const deadline = Date.now() + timeoutMs;
  while (child.exitCode === null && child.signalCode === null) {
    if (Date.now() > deadline) throw new Error(`The server did not die within ${timeoutMs} ms. stderr:\n${server.stderr()}`);
    await sleep(20);
  }
  return child.signalCode;
}

async function waitForThread(server: ChildServer, id: string, done: (thread: any) => boolean): Promise<any> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const thread = (await get(urlFetcher(server.url), `/v1/threads/${id}`)).body;
    if (done(thread)) return thread;
    if (Date.now() > deadline)
      throw new Error(
        `Timed out; the thread is ${thread.status}: ${JSON.stringify(thread.events?.map((event: { type: string }) => event.type))}`,
      );
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

/** The stored event numbers of a thread, read from the file itself: they must be 0, 1, 2, … with no gap. */
function assertContiguous(db: string, id: string, version: number): void {
  const database = new DatabaseSync(db, { readOnly: true });
  try {
    const rows = database
      .prepare("SELECT seq FROM events JOIN threads ON threads.key = events.thread_key WHERE threads.id = ? ORDER BY seq")
      .all(id) as { seq: number }[];
    const first = rows[0]?.seq ?? 0;
    assert.deepEqual(
      rows.map((row) => row.seq),
      Array.from({ length: version }, (_, index) => first + index),
    );
  } finally {
    database.close();
  }
}

const types = (thread: { events: { type: string }[] }) => thread.events.map((event) => event.type);

describe("fault points: SIGKILL at a named point, restart on the same SQLite file", () => {
  it("after tool_started committed: the idempotent tool runs once, after the restart, with its key", async () => {
    const db = join(directory, "tool-started.db");
    const log = join(directory, "tool-started.jsonl");
    const first = await start({ TEST_DB: db, TEST_RUN_LOG: log, AGENTFOLD_FAULT: "tool-started" });
    const launched = await post(urlFetcher(first.url), "/v1/threads?wait=0", { agent: "worker", message: "work" });
    assert.equal(launched.status, 202);
    const acknowledged = launched.body.events;
    assert.equal(await exitSignal(first), "SIGKILL");
    assert.deepEqual(runLog(log), [], "killed before the tool ran");

    const second = await start({ TEST_DB: db, TEST_RUN_LOG: log });
    const done = await waitForThread(second, launched.body.id, (thread) => thread.status === "done");
    await second.stop();
    assert.deepEqual(done.events.slice(0, acknowledged.length), acknowledged, "the acknowledged launch is kept");
    assert.deepEqual(types(done), [
      "user_input",
      "model_decision",
      "tool_started",
      "tool_started",
      "tool_result",
      "model_decision",
      "done",
    ]);
    const [started, restarted] = done.events.filter((event: { type: string }) => event.type === "tool_started");
    assert.equal(restarted.attempt, 2);
    assert.equal(restarted.idempotencyKey, started.idempotencyKey);
    assert.deepEqual(
      runLog(log).map((run) => run.key),
      [started.idempotencyKey],
      "one run, by the second server",
    );
    assertContiguous(db, launched.body.id, done.version);
  });

  it("after the tool ran, before its result committed: a non-idempotent tool is not re-run, a person is asked", async () => {
    const db = join(directory, "tool-ran.db");
    const log = join(directory, "tool-ran.jsonl");
    const first = await start({ TEST_DB: db, TEST_RUN_LOG: log, AGENTFOLD_FAULT: "tool-ran" });
    const fetch = urlFetcher(first.url);
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
    assert.equal(launched.body.status, "awaiting_approval");
    const callId = launched.body.events.at(-1).callId as string;
    // wait=0: the approval is acknowledged once stored, before divide runs and the process dies.
    const approved = await post(fetch, `/v1/threads/${launched.body.id}/approvals/${callId}?wait=0`, { approved: true });
    assert.ok(approved.status === 200 || approved.status === 202, `approval answered ${approved.status}`);
    const acknowledged = approved.body.events;
    assert.equal(await exitSignal(first), "SIGKILL");
    assert.equal(runLog(log).length, 1, "divide ran once before the crash");

    const second = await start({ TEST_DB: db, TEST_RUN_LOG: log });
    const asking = await waitForThread(second, launched.body.id, (thread) => thread.status === "awaiting_human");
    await second.stop();
    assert.deepEqual(asking.events.slice(0, acknowledged.length), acknowledged, "the acknowledged approval is kept");
    assert.deepEqual(types(asking).slice(-2), ["tool_started", "human_request"]);
    assert.equal(asking.events.at(-1).reason, "outcome_unknown");
    assert.equal(runLog(log).length, 1, "divide, not idempotent, did not run again");
    assertContiguous(db, launched.body.id, asking.version);
  });

  it("inside a group commit, before COMMIT: the unacknowledged approval is absent and can be made again", async () => {
    const db = join(directory, "group-commit.db");
    const log = join(directory, "group-commit.jsonl");
    // A clean server brings the thread to its approval; the faulty one dies at its next write.
    const setup = await start({ TEST_DB: db, TEST_RUN_LOG: log });
    const launched = await post(urlFetcher(setup.url), "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
    assert.equal(launched.body.status, "awaiting_approval");
    const callId = launched.body.events.at(-1).callId as string;
    await setup.stop();

    const faulty = await start({ TEST_DB: db, TEST_RUN_LOG: log, AGENTFOLD_FAULT: "group-commit" });
    await assert.rejects(post(urlFetcher(faulty.url), `/v1/threads/${launched.body.id}/approvals/${callId}`, { approved: true }));
    assert.equal(await exitSignal(faulty), "SIGKILL");

    const second = await start({ TEST_DB: db, TEST_RUN_LOG: log });
    const fetch = urlFetcher(second.url);
    const after = (await get(fetch, `/v1/threads/${launched.body.id}`)).body;
    assert.deepEqual(after.events, launched.body.events, "nothing of the batch that died before COMMIT is stored");
    assert.equal(after.status, "awaiting_approval");
    const approved = await post(fetch, `/v1/threads/${launched.body.id}/approvals/${callId}`, { approved: true });
    await second.stop();
    assert.equal(approved.body.status, "done");
    assert.equal(runLog(log).length, 1);
    assertContiguous(db, launched.body.id, approved.body.version);
  });
});

/** The lease expiry (ms since the epoch) stored for a thread, read from the file itself. */
function storedLeaseExpiry(db: string, id: string): number | null {
  const database = new DatabaseSync(db, { readOnly: true });
  try {
    const row = database.prepare("SELECT lease_expires_at FROM threads WHERE id = ?").get(id) as
      | { lease_expires_at: number | null }
      | undefined;
    return row?.lease_expires_at ?? null;
  } finally {
    database.close();
  }
}

/** Polls over HTTP until `done(thread)`, for a server that may die meanwhile (then the last answer). */
async function watchUntil(server: ChildServer, id: string, done: (thread: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const thread = (await get(urlFetcher(server.url), `/v1/threads/${id}`)).body;
    if (done(thread)) return thread;
    if (Date.now() > deadline) throw new Error(`Timed out; the thread is ${thread.status}: ${JSON.stringify(types(thread))}`);
    await sleep(20);
  }
}

describe("fault points: the rest of a step's points", () => {
  it("after the model replied, before its decision committed: the restarted server asks the model again and runs the tool once", async () => {
    const db = join(directory, "model-replied.db");
    const log = join(directory, "model-replied.jsonl");
    const first = await start({ TEST_DB: db, TEST_RUN_LOG: log, AGENTFOLD_FAULT: "model-replied" });
    const launched = await post(urlFetcher(first.url), "/v1/threads?wait=0", { agent: "worker", message: "work" });
    assert.equal(launched.status, 202);
    assert.equal(await exitSignal(first), "SIGKILL");
    const afterCrash = new DatabaseSync(db, { readOnly: true });
    const storedTypes = afterCrash
      .prepare(
        "SELECT json_extract(body, '$.type') AS type FROM events JOIN threads ON threads.key = events.thread_key WHERE threads.id = ? ORDER BY seq",
      )
      .all(launched.body.id)
      .map((row) => (row as { type: string }).type);
    afterCrash.close();
    assert.deepEqual(storedTypes, ["user_input"], "the model's reply died with the process: no decision is stored");

    const second = await start({ TEST_DB: db, TEST_RUN_LOG: log });
    const done = await waitForThread(second, launched.body.id, (thread) => thread.status === "done");
    await second.stop();
    assert.deepEqual(done.events.slice(0, launched.body.events.length), launched.body.events);
    assert.deepEqual(types(done), ["user_input", "model_decision", "tool_started", "tool_result", "model_decision", "done"]);
    assert.deepEqual(
      runLog(log).map((run) => run.pid),
      [second.child.pid],
      "the tool ran once, in the second process",
    );
    assertContiguous(db, launched.body.id, done.version);
  });

  it("after a keyed launch committed, before the reply: the retry on a restarted server answers with the same thread", async () => {
    const db = join(directory, "before-reply.db");
    const log = join(directory, "before-reply.jsonl");
    const first = await start({ TEST_DB: db, TEST_RUN_LOG: log, AGENTFOLD_FAULT: "before-reply" });
    const request = () =>
      post(
        urlFetcher(first.url),
        "/v1/threads",
        { agent: "calculator", message: "divide 3 by 4" },
        { "idempotency-key": "launch-before-reply" },
      );
    await assert.rejects(request(), "the process died before it answered");
    assert.equal(await exitSignal(first), "SIGKILL");

    const second = await start({ TEST_DB: db, TEST_RUN_LOG: log });
    const retried = await post(
      urlFetcher(second.url),
      "/v1/threads",
      { agent: "calculator", message: "divide 3 by 4" },
      { "idempotency-key": "launch-before-reply" },
    );
    const listed = (await get(urlFetcher(second.url), "/v1/threads")).body;
    await second.stop();
    assert.equal(retried.status, 200);
    assert.equal(retried.body.status, "awaiting_approval", "the retry finds the launch made and brings it to its approval");
    assert.deepEqual(
      listed.threads.map((thread: { id: string }) => thread.id),
      [retried.body.id],
      "one thread, not two",
    );
    assertContiguous(db, retried.body.id, retried.body.version);
  });

  it("during a lease renewal: the next server waits out the renewed lease before it runs the tool again", async () => {
    const db = join(directory, "lease-renewal.db");
    const log = join(directory, "lease-renewal.jsonl");
    // The work outlasts a third of the lease, so the lease is renewed while the tool runs.
    const first = await start({ TEST_DB: db, TEST_RUN_LOG: log, AGENTFOLD_FAULT: "lease-renewal", TEST_WORK_MS: "3000" });
    const launched = await post(urlFetcher(first.url), "/v1/threads?wait=0", { agent: "worker", message: "work" });
    assert.equal(await exitSignal(first), "SIGKILL");
    const renewedUntil = storedLeaseExpiry(db, launched.body.id);
    assert.ok(renewedUntil !== null, "the killed process still holds the lease it renewed");

    const second = await start({ TEST_DB: db, TEST_RUN_LOG: log, TEST_WORK_MS: "0" });
    const done = await waitForThread(second, launched.body.id, (thread) => thread.status === "done");
    await second.stop();
    const started = done.events.filter((event: { type: string }) => event.type === "tool_started");
    assert.equal(started.length, 2, "the work started once in each process");
    assert.ok(
      Date.parse(started[1].at) >= renewedUntil!,
      `the second run (${started[1].at}) waited for the renewed lease (${new Date(renewedUntil!).toISOString()})`,
    );
    assert.equal(started[1].idempotencyKey, started[0].idempotencyKey);
    assert.deepEqual([...new Set(runLog(log).map((run) => run.key))], [started[0].idempotencyKey]);
    assertContiguous(db, launched.body.id, done.version);
  });

  it("after a cancel committed, before the running tool was aborted: the restarted server finds the thread canceled and runs nothing", async () => {
    const db = join(directory, "cancel.db");
    const log = join(directory, "cancel.jsonl");
    const first = await start({ TEST_DB: db, TEST_RUN_LOG: log, AGENTFOLD_FAULT: "cancel", TEST_WORK_MS: "5000" });
    const launched = await post(urlFetcher(first.url), "/v1/threads?wait=0", { agent: "worker", message: "work" });
    await watchUntil(first, launched.body.id, (thread) => types(thread).includes("tool_started"));
    await assert.rejects(
      post(urlFetcher(first.url), `/v1/threads/${launched.body.id}/cancel`, { reason: "stop" }),
      "the process died before it answered",
    );
    assert.equal(await exitSignal(first), "SIGKILL");

    const second = await start({ TEST_DB: db, TEST_RUN_LOG: log, TEST_WORK_MS: "0" });
    const thread = (await get(urlFetcher(second.url), `/v1/threads/${launched.body.id}`)).body;
    assert.equal(thread.status, "canceled");
    assert.equal(thread.events.at(-1).type, "cancel");
    // Give the second server's recovery sweeps (one per lease TTL, 1 s here) time to act, had it meant to.
    await sleep(2_500);
    const later = (await get(urlFetcher(second.url), `/v1/threads/${launched.body.id}`)).body;
    await second.stop();
    assert.deepEqual(later.events, thread.events, "nothing was appended to the canceled thread");
    assert.deepEqual(
      runLog(log).map((run) => run.pid),
      [first.child.pid],
      "the work ran only in the process that was canceled",
    );
    assertContiguous(db, launched.body.id, later.version);
  });
});
