/**
 * Child agents across two server processes on one Postgres: a child's request decided on the other
 * process runs the child with its own model and finishes the parent; a parent's cancel on the other
 * process cancels the waiting child, whose approval then gets 409 and whose tool never runs.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { get, post, urlFetcher, type Fetcher } from "./support/http.ts";
import { refunderDone } from "./support/test-agent.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_children_${process.pid}_${Date.now().toString(36)}`;
const directory = mkdtempSync(join(tmpdir(), "agentfold-children-"));
const log = join(directory, "runs.jsonl");
const servers: ChildServer[] = [];
let first: Fetcher;
let second: Fetcher;

/** The refunds the two processes ran, by idempotency key. */
function refunds(): string[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { key: string }).key);
}

before(async () => {
  const env = { TEST_DB: postgresUrl, TEST_SCHEMA: schema, TEST_RUN_LOG: log, TEST_FAMILY: "1" };
  servers.push(await startChildServer(env), await startChildServer(env));
  first = urlFetcher(servers[0]!.url);
  second = urlFetcher(servers[1]!.url);
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  rmSync(directory, { recursive: true, force: true });
});

describe("child agents across two server processes on Postgres", () => {
  it("a child approved on the other process runs with its own model and its parent finishes", async () => {
    const launched = await post(first, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    assert.equal(launched.body.status, "awaiting_approval", JSON.stringify(launched.body));
    const { childThreadId } = launched.body.pending[0];
    const child = await get(second, `/v1/threads/${childThreadId}`);
    assert.equal(child.body.parent.id, launched.body.id);
    const callId = child.body.pending[0].callId;

    const approved = await post(second, `/v1/threads/${childThreadId}/approvals/${callId}`, { approved: true });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");
    assert.equal(approved.body.events.at(-1).message, refunderDone);
    const parent = await get(first, `/v1/threads/${launched.body.id}`);
    assert.equal(parent.body.status, "done");
    assert.deepEqual(
      refunds().filter((key) => key.startsWith(childThreadId)),
      [`${childThreadId}:${callId}`],
    );
  });

  it("a parent canceled on the other process takes its waiting child with it", async () => {
    const launched = await post(first, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    const { childThreadId } = launched.body.pending[0];
    const callId = (await get(first, `/v1/threads/${childThreadId}`)).body.pending[0].callId;

    const canceled = await post(second, `/v1/threads/${launched.body.id}/cancel`, { reason: "customer withdrew" });
    assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
    const child = await get(first, `/v1/threads/${childThreadId}`);
    assert.equal(child.body.status, "canceled");
    assert.deepEqual(child.body.pending, []);
    const inbox = await get(first, "/v1/threads?status=awaiting_approval");
    assert.equal(
      inbox.body.threads.some((thread: { id: string }) => thread.id === childThreadId),
      false,
    );

    const decided = await post(first, `/v1/threads/${childThreadId}/approvals/${callId}`, { approved: true });
    assert.equal(decided.status, 409, JSON.stringify(decided.body));
    assert.deepEqual(
      refunds().filter((key) => key.startsWith(childThreadId)),
      [],
    );
  });
});
