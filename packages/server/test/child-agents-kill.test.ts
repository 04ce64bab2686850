/**
 * Child agents through a real SIGKILL, on Postgres: a server killed during a parent's cancel cascade
 * (after the parent's cancel is stored, before its child's) leaves the child waiting; the restarted
 * server's recovery cancels it, its approval leaves the inbox, and its tool never runs. A server
 * killed while a child's tool runs: the other server process takes the family over and finishes it,
 * with every event seen before the kill kept and no tool run again under a new key.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import type { ThreadStore } from "agentfold";
import { createPostgresStore } from "@agentfold/stores";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { get, post, urlFetcher } from "./support/http.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_kill_${process.pid}_${Date.now().toString(36)}`;
const directory = mkdtempSync(join(tmpdir(), "agentfold-children-kill-"));
const log = join(directory, "runs.jsonl");
const servers: ChildServer[] = [];
let store: ThreadStore;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(env: Record<string, string> = {}): Promise<ChildServer> {
  const server = await startChildServer({
    // The test process's own AGENTFOLD_FAULT (if any) must not leak into a server meant to run clean.
    AGENTFOLD_FAULT: "",
    TEST_DB: postgresUrl,
    TEST_SCHEMA: schema,
    TEST_RUN_LOG: log,
    TEST_FAMILY: "1",
    TEST_LEASE_TTL_MS: "1000",
    ...env,
  });
  servers.push(server);
  return server;
}

/** Tool runs so far, in order: which tool, its idempotency key, and the process that ran it. */
function runs(): { intent: string; key: string; pid: number }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Polls over HTTP until `done(thread)`; fails after 20 s with what the thread is. */
async function waitFor(server: ChildServer, id: string, done: (thread: any) => boolean): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const thread = (await get(urlFetcher(server.url), `/v1/threads/${id}`)).body;
    if (done(thread)) return thread;
    if (Date.now() > deadline) throw new Error(`Timed out; thread ${id} is ${thread.status}: ${JSON.stringify(types(thread))}`);
    await sleep(50);
  }
}

/** Waits for the process to exit by itself; returns the signal that ended it. */
async function exitSignal(server: ChildServer): Promise<NodeJS.Signals | null> {
  const { child } = server;
  const deadline = Date.now() + 10_000;
  while (child.exitCode === null && child.signalCode === null) {
    if (Date.now() > deadline) throw new Error(`The server did not die within 10 s. stderr:\n${server.stderr()}`);
    await sleep(20);
  }
  return child.signalCode;
}

const types = (thread: { events?: { type: string }[] }) => (thread.events ?? []).map((event) => event.type);

before(async () => {
  store = await createPostgresStore({ connectionString: postgresUrl, schema });
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop("SIGKILL")));
  await store.close();
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  rmSync(directory, { recursive: true, force: true });
});

describe("child agents through kill -9, on Postgres", () => {
  it("killed between a parent's cancel and its child's: after a restart the child is canceled, out of the inbox, and its tool never runs", async () => {
    const faulty = await start({ AGENTFOLD_FAULT: "cancel" });
    const launched = await post(urlFetcher(faulty.url), "/v1/threads", { agent: "support", message: "I want my $20 back" });
    assert.equal(launched.body.status, "awaiting_approval", JSON.stringify(launched.body));
    const { childThreadId } = launched.body.pending[0];
    const callId = (await get(urlFetcher(faulty.url), `/v1/threads/${childThreadId}`)).body.pending[0].callId;

    await assert.rejects(post(urlFetcher(faulty.url), `/v1/threads/${launched.body.id}/cancel`, { reason: "customer withdrew" }));
    assert.equal(await exitSignal(faulty), "SIGKILL");
    assert.equal((await store.load(launched.body.id))?.status, "canceled", "the parent's cancel was stored");
    assert.equal((await store.load(childThreadId))?.status, "awaiting_approval", "the cascade died with the process");

    const restarted = await start();
    const fetch = urlFetcher(restarted.url);
    const child = await waitFor(restarted, childThreadId, (thread) => thread.status === "canceled");
    assert.deepEqual(child.pending, []);
    assert.equal(child.events.filter((event: { type: string }) => event.type === "cancel").length, 1);
    const inbox = await get(fetch, "/v1/threads?status=awaiting_approval");
    assert.equal(
      inbox.body.threads.some((thread: { id: string }) => thread.id === childThreadId),
      false,
    );
    const decided = await post(fetch, `/v1/threads/${childThreadId}/approvals/${callId}`, { approved: true });
    assert.equal(decided.status, 409, JSON.stringify(decided.body));
    assert.deepEqual(
      runs().filter((run) => run.key.startsWith(childThreadId)),
      [],
      "the refund never ran",
    );
    await restarted.stop();
  });

  it("killed while a child's tool runs: the other server finishes the family, keeping every event and the tool's key", async () => {
    // The first process's work takes a minute (it is killed long before); the second's is instant.
    const first = await start({ TEST_WORK_MS: "60000" });
    const second = await start({ TEST_WORK_MS: "0" });
    const launched = await post(urlFetcher(first.url), "/v1/threads?wait=0", { agent: "foreman", message: "get the job done" });
    assert.equal(launched.status, 202, JSON.stringify(launched.body));
    const parentId: string = launched.body.id;
    const parentBefore = await waitFor(first, parentId, (thread) => (thread.children ?? []).length > 0);
    const childId: string = parentBefore.children[0].id;
    const childBefore = await waitFor(first, childId, (thread) => types(thread).includes("tool_started"));
    const seen = { parent: (await get(urlFetcher(first.url), `/v1/threads/${parentId}`)).body, child: childBefore };
    await first.stop("SIGKILL");

    const parent = await waitFor(second, parentId, (thread) => thread.status === "done");
    const child = (await get(urlFetcher(second.url), `/v1/threads/${childId}`)).body;
    assert.equal(child.status, "done");
    assert.deepEqual(parent.events.slice(0, seen.parent.events.length), seen.parent.events, "the parent's events before the kill are kept");
    assert.deepEqual(child.events.slice(0, seen.child.events.length), seen.child.events, "the child's events before the kill are kept");
    assert.equal(parent.events.at(-1).message, "the job is done");
    const childResults = parent.events.filter((event: { type: string }) => event.type === "tool_result");
    assert.deepEqual(
      childResults.map((event: { childThreadId?: string }) => event.childThreadId),
      [childId],
      "one child, one result",
    );
    const started = child.events.filter((event: { type: string }) => event.type === "tool_started");
    assert.deepEqual(
      started.map((event: { attempt: number }) => event.attempt),
      [1, 2],
      "the work cut off by the kill ran again, once",
    );
    assert.equal(started[1].idempotencyKey, started[0].idempotencyKey);
    assert.deepEqual(child.events.filter((event: { type: string }) => event.type === "tool_result").length, 1);
    const work = runs().filter((run) => run.intent === "work");
    assert.deepEqual(
      work.map((run) => [run.key, run.pid]),
      [
        [started[0].idempotencyKey, first.child.pid],
        [started[0].idempotencyKey, second.child.pid],
      ],
      "the killed process started the work; the other ran it with the same key",
    );
  });
});
