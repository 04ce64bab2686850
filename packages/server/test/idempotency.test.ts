import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ThreadStore } from "agentfold";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createPostgresStore, createSqliteStore } from "@agentfold/stores";
import pg from "pg";
import { createServer } from "../src/index.ts";
import { appFetcher, get, post, type Fetcher } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const keys = "alice:alice-secret-key,bob:bob-secret-key";
const alice = { authorization: "Bearer alice-secret-key" };
const bob = { authorization: "Bearer bob-secret-key" };

/**
 * A server over `store`. Each call is a new process as far as the API can tell: a new runner, no
 * memory shared with the servers before it, only the store.
 */
function serverOver(store: ThreadStore, model: ScriptedModel = createTestModel()) {
  const agents = createTestAgents();
  const { app } = createServer({ store, agents: [agents.calculator], model, apiKeys: keys, onError: () => {} });
  return { fetch: appFetcher(app), divideRuns: agents.divideRuns };
}

const countOf = (events: { type: string }[], type: string) => events.filter((event) => event.type === type).length;

async function launchDivide(fetch: Fetcher, key: string) {
  const launched = await post(
    fetch,
    "/v1/threads",
    { agent: "calculator", message: "divide 3 by 4" },
    { ...alice, "idempotency-key": key },
  );
  assert.equal(launched.status, 200, JSON.stringify(launched.body));
  return launched.body as { id: string; status: string; pending: { callId: string }[]; events: { type: string }[] };
}

describe("Idempotency-Key", () => {
  it("a launch retried with the same key and body returns the same thread, in another process too, on every store", async () => {
    const schema = `agentfold_server_idem_${process.pid}_${Date.now().toString(36)}`;
    const stores = [
      createMemoryStore(),
      createSqliteStore({ path: ":memory:" }),
      await createPostgresStore({ connectionString: postgresUrl, schema }),
    ];
    try {
      for (const store of stores) {
        const first = await launchDivide(serverOver(store).fetch, "launch-1");
        assert.equal(first.status, "awaiting_approval");
        // The first answer was lost; the client retries against a restarted server.
        const retried = await launchDivide(serverOver(store).fetch, "launch-1");
        assert.equal(retried.id, first.id);
        assert.equal(retried.status, "awaiting_approval");
        assert.equal(countOf(retried.events, "user_input"), 1);
        const listed = await get(serverOver(store).fetch, "/v1/threads", alice);
        assert.equal(listed.body.threads.length, 1, "one thread, whatever the retries");

        // Keys belong to their caller: bob's "launch-1" is another launch.
        const bobs = await post(
          serverOver(store).fetch,
          "/v1/threads",
          { agent: "calculator", message: "divide 3 by 4" },
          { ...bob, "idempotency-key": "launch-1" },
        );
        assert.equal(bobs.status, 200);
        assert.notEqual(bobs.body.id, first.id);

        const reused = await post(
          serverOver(store).fetch,
          "/v1/threads",
          { agent: "calculator", message: "divide 9 by 3" },
          { ...alice, "idempotency-key": "launch-1" },
        );
        assert.equal(reused.status, 422, JSON.stringify(reused.body));
        assert.equal(reused.body.error.code, "idempotency_key_reused");
        assert.match(reused.body.error.message, /Idempotency-Key "launch-1" was already used for a different request/);

        // A keyed message survives the store's round trip: a retry in another process finds it.
        const message = { ...alice, "idempotency-key": "message-1" };
        assert.equal(
          (await post(serverOver(store).fetch, `/v1/threads/${first.id}/messages`, { text: "and 3 by 5" }, message)).status,
          200,
        );
        const again = await post(serverOver(store).fetch, `/v1/threads/${first.id}/messages`, { text: "and 3 by 5" }, message);
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.equal(countOf(again.body.events, "user_input"), 2);
      }
    } finally {
      for (const store of stores) await store.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it("concurrent launches with one key create one thread", async () => {
    const store = createMemoryStore();
    const { fetch } = serverOver(store);
    const launched = await Promise.all(Array.from({ length: 5 }, () => launchDivide(fetch, "burst")));
    assert.equal(new Set(launched.map((thread) => thread.id)).size, 1);
    assert.equal((await store.list({})).threads.length, 1);
  });

  it("a message retried with the same key is stored once; the same key with other text is a 422", async () => {
    const store = createMemoryStore();
    const thread = await launchDivide(serverOver(store).fetch, "launch-m");
    const path = `/v1/threads/${thread.id}/messages`;
    const headers = { ...alice, "idempotency-key": "message-1" };
    const first = await post(serverOver(store).fetch, path, { text: "actually divide 3 by 5" }, headers);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const retried = await post(serverOver(store).fetch, path, { text: "actually divide 3 by 5" }, headers);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(countOf(retried.body.events, "user_input"), 2, "the launch's message and one copy of this one");
    assert.equal(retried.body.version, (await store.load(thread.id))!.version);
    const message = retried.body.events.filter((event: { type: string }) => event.type === "user_input")[1];
    assert.equal(message.idempotencyKey, "message-1");

    const reused = await post(serverOver(store).fetch, path, { text: "something else" }, headers);
    assert.equal(reused.status, 422);
    assert.match(reused.body.error.message, /already used for a different request.*event \d+ \(user_input\)/);
    // Another caller's key of the same name is its own.
    const bobs = await post(serverOver(store).fetch, path, { text: "actually divide 3 by 5" }, { ...bob, "idempotency-key": "message-1" });
    assert.equal(bobs.status, 200, JSON.stringify(bobs.body));
    assert.equal(countOf(bobs.body.events, "user_input"), 3);
  });

  it("an approval retried with the same key answers the thread (not 409) and runs the tool once", async () => {
    const store = createMemoryStore();
    const server = serverOver(store);
    const thread = await launchDivide(server.fetch, "launch-a");
    const path = `/v1/threads/${thread.id}/approvals/${thread.pending[0]!.callId}`;
    const headers = { ...alice, "idempotency-key": "approve-1" };
    const first = await post(server.fetch, path, { approved: true }, headers);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const retried = await post(serverOver(store).fetch, path, { approved: true }, headers);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(countOf(retried.body.events, "approval_decision"), 1);
    assert.equal(countOf(retried.body.events, "tool_started"), 1);
    const reused = await post(server.fetch, path, { approved: false, comment: "no" }, headers);
    assert.equal(reused.status, 422);
    // Without a key, a second decision is still a 409.
    assert.equal((await post(server.fetch, path, { approved: true }, alice)).status, 409);
  });

  it("an answer retried with the same key is stored once", async () => {
    const store = createMemoryStore();
    const model = () =>
      new ScriptedModel([
        { intent: "request_more_information", question: "Which numbers?" },
        { intent: "done_for_now", message: "thanks" },
      ]);
    const launched = await post(serverOver(store, model()).fetch, "/v1/threads", { agent: "calculator", message: "divide" }, alice);
    assert.equal(launched.body.status, "awaiting_human");
    const path = `/v1/threads/${launched.body.id}/responses/${launched.body.pending[0].callId}`;
    const headers = { ...alice, "idempotency-key": "answer-1" };
    assert.equal((await post(serverOver(store, model()).fetch, path, { text: "3 and 4" }, headers)).status, 200);
    const retried = await post(serverOver(store, model()).fetch, path, { text: "3 and 4" }, headers);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(countOf(retried.body.events, "human_response"), 1);
  });

  it("refuses a malformed key with a 400 that says what a key is", async () => {
    const { fetch } = serverOver(createMemoryStore());
    for (const key of ["x".repeat(256), "caf\u00e9"]) {
      const response = await post(
        fetch,
        "/v1/threads",
        { agent: "calculator", message: "divide 3 by 4" },
        { ...alice, "idempotency-key": key },
      );
      assert.equal(response.status, 400, key);
      assert.match(response.body.error.message, /Idempotency-Key.*1 to 255 printable ASCII/);
    }
  });
});
