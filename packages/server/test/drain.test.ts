/**
 * Graceful shutdown in one process: `/readyz`, draining (no new work, reads go on, open event streams
 * end) and the runner's grace period (a step finishes within it; one still running at its end is
 * stopped and its lease released, so another runner goes on at once). The real `serve` process on
 * SIGTERM is tested in packages/cli/test/serve-drain.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createSqliteStore } from "@agentfold/stores";
import { createRunner, createServer } from "../src/index.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { appFetcher, get, post } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-drain-"));
after(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;

/** A server on a fresh SQLite file; the worker's tool takes `workMs`. */
function setup(workMs = 0) {
  const store = createSqliteStore({ path: join(directory, `drain-${databases++}.db`) });
  const agents = createTestAgents({ workMs });
  const runner = createRunner({ store, agents: [agents.calculator, agents.worker], model: createTestModel() });
  const server = createServer({ store, agents: [agents.calculator, agents.worker], model: createTestModel(), runner, apiKeys: false });
  return { store, agents, runner, server, fetch: appFetcher(server.app) };
}

/** Polls until the thread's newest event is a `tool_started`: its step is running the tool. */
async function untilToolStarted(store: ReturnType<typeof createSqliteStore>, id: string): Promise<void> {
  for (let waited = 0; (await store.load(id))?.events.at(-1)?.type !== "tool_started"; waited += 10) {
    if (waited > 20_000) throw new Error(`Thread ${id}'s tool did not start.`);
    await sleep(10);
  }
}

describe("readiness", () => {
  it("is ready while the store answers, and not once it fails, saying why", async () => {
    const { store, fetch } = setup();
    const ready = await get(fetch, "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { ready: true });
    await store.close();
    const down = await get(fetch, "/readyz");
    assert.equal(down.status, 503);
    assert.equal(down.body.ready, false);
    assert.match(down.body.reason, /^the store failed: /);
    // Liveness does not depend on the store: the process itself is fine.
    assert.equal((await get(fetch, "/healthz")).status, 200);
  });
});

describe("draining", () => {
  it("refuses new work with 503 draining, serves reads, and ends open event streams", async () => {
    const { server, store, runner, fetch } = setup();
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
    assert.equal(launched.body.status, "awaiting_approval");
    const id = launched.body.id as string;
    const stream = await fetch(`/v1/threads/${id}/stream`);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    assert.match((await reader.read()).value ?? "", /event: user_input/);

    assert.equal(server.draining, false);
    server.drain();
    assert.equal(server.draining, true);
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value;
    assert.doesNotMatch(rest, /event: done/, "the stream ended because of the drain, not because the thread finished");

    const ready = await get(fetch, "/readyz");
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { ready: false, reason: "draining" });
    const refused = [
      await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 1 by 2" }),
      await post(fetch, `/v1/threads/${id}/approvals/${launched.body.pending[0].callId}`, { approved: true }),
      await get(fetch, `/v1/threads/${id}/stream`).catch(() => undefined),
    ];
    for (const response of refused) {
      assert.equal(response?.status, 503);
      assert.equal(response?.body.error.code, "draining");
      assert.equal(response?.headers.get("retry-after"), "1");
    }
    const read = await get(fetch, `/v1/threads/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.status, "awaiting_approval", "the refused approval did not take effect");
    await runner.close();
    await store.close();
  });
});

describe("the runner's grace period on close", () => {
  it("lets a step that ends within it finish", async () => {
    const { store, runner, fetch } = setup(300);
    const launched = await post(fetch, "/v1/threads?wait=0", { agent: "worker", message: "work" });
    const id = launched.body.id as string;
    await untilToolStarted(store, id);
    await runner.close({ graceMs: 30_000 });
    assert.equal((await store.load(id))!.status, "done");
    await store.close();
  });

  it("stops a step still running at its end and releases the lease: another runner goes on at once", async () => {
    const { store, runner, fetch } = setup(600_000);
    const launched = await post(fetch, "/v1/threads?wait=0", { agent: "worker", message: "work" });
    const id = launched.body.id as string;
    await untilToolStarted(store, id);
    await runner.close({ graceMs: 100 });
    const left = (await store.load(id))!;
    assert.equal(left.status, "running");
    assert.equal(left.events.at(-1)!.type, "tool_started");

    // The lease was renewed moments ago and lasts 5 s more: only a released lease can be taken now.
    const next = createRunner({ store, agents: [createTestAgents().worker], model: createTestModel(), owner: "next" });
    const outcome = await next.advance(id);
    assert.equal(outcome.result, "settled");
    assert.equal(outcome.thread!.status, "done");
    assert.deepEqual(outcome.thread!.events.slice(0, left.version), left.events, "nothing stored before the drain is lost");
    await next.close();
    await store.close();
  });
});
