/**
 * A handoff across two server processes on one Postgres database: triage hands the conversation to
 * billing in one process; the other shows billing driving the thread, and billing's approval decided
 * there runs billing's tool with billing's own model and finishes. (own-flow.test.ts runs the same on
 * SQLite, with per-agent models and own plans.)
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { get, post, urlFetcher, type Fetcher } from "./support/http.ts";

const serverScript = fileURLToPath(new URL("./support/own-flow-server.ts", import.meta.url));
const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_handoff_${process.pid}_${Date.now().toString(36)}`;
const directory = mkdtempSync(join(tmpdir(), "agentfold-handoff-"));
const servers: ChildServer[] = [];
let first: Fetcher;
let second: Fetcher;

before(async () => {
  const scripts: Record<string, unknown[]> = {
    // The server's model: a thread that used it instead of its agent's would finish with this.
    server: [{ intent: "done_for_now", message: "from the server's model" }],
    modeled: [{ intent: "done_for_now", message: "from the agent's model" }],
    releaser: [{ intent: "done_for_now", message: "nothing to release" }],
    handoff: [
      { intent: "transfer_to_billing", reason: "a refund question" },
      { intent: "refund", amount: 20 },
      { intent: "done_for_now", message: "refunded 20" },
    ],
  };
  for (const [name, steps] of Object.entries(scripts)) writeFileSync(join(directory, `${name}.json`), JSON.stringify({ steps }));
  const env = { TEST_DB: postgresUrl, TEST_SCHEMA: schema, TEST_SCRIPTS: directory };
  // One at a time: the first creates the schema.
  servers.push(await startChildServer(env, serverScript));
  servers.push(await startChildServer(env, serverScript));
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

describe("a handoff across two server processes on Postgres", () => {
  it("is recorded in one process, drives the thread in the other, and billing's approval there finishes it", async () => {
    const launched = await post(first, "/v1/threads", { agent: "triage", message: "I want my $20 back" });
    assert.equal(launched.body.status, "awaiting_approval", JSON.stringify(launched.body));
    const handoff = launched.body.events.find((event: { type: string }) => event.type === "handoff");
    assert.deepEqual(
      { from: handoff.from, to: handoff.to, reason: handoff.reason },
      { from: "triage", to: "billing", reason: "a refund question" },
    );

    const seen = await get(second, `/v1/threads/${launched.body.id}`);
    assert.equal(seen.body.agent, "billing", "the other process sees billing driving the thread");
    assert.equal(seen.body.pending[0].intent, "refund");
    const inbox = await get(second, "/v1/threads?status=awaiting_approval");
    assert.ok(
      inbox.body.threads.some((thread: { id: string }) => thread.id === launched.body.id),
      "the handed-off thread's approval is in the inbox",
    );

    const approved = await post(second, `/v1/threads/${launched.body.id}/approvals/${seen.body.pending[0].callId}`, { approved: true });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");
    assert.equal(approved.body.events.at(-1).message, "refunded 20", "billing's own model finished it");
    const result = approved.body.events.find((event: { type: string }) => event.type === "tool_result");
    assert.deepEqual(result.result, { refunded: 20 });
    assert.equal(approved.body.events.filter((event: { type: string }) => event.type === "handoff").length, 1);
    const final = await get(first, `/v1/threads/${launched.body.id}`);
    assert.deepEqual(final.body.events, approved.body.events, "the first process reads what the second wrote");
  });
});
