/**
 * Postgres goes away under a running server and comes back: the server answers 503 with
 * Retry-After meanwhile (never a crash, nothing half-decided), serves again after, and the runner
 * resumes a thread whose step the outage cut off.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { createPostgresStore } from "@agentfold/stores";
import { createServer } from "../src/index.ts";
import { dropSchemas, freshSchema, postgresUrl } from "../../stores/test/postgres-test-database.ts";
import { startTcpProxy, type TcpProxy } from "../../stores/test/tcp-proxy.ts";
import { appFetcher, get, post } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

after(dropSchemas);

async function storeBehind(proxy: TcpProxy) {
  const url = new URL(postgresUrl);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  return createPostgresStore({ connectionString: url.toString(), schema: freshSchema() });
}

async function proxyToPostgres(): Promise<TcpProxy> {
  const target = new URL(postgresUrl);
  return startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
}

describe("the server through a Postgres outage", () => {
  it("answers 503 with Retry-After while the database is away, decides nothing, and serves again after", async () => {
    const proxy = await proxyToPostgres();
    const store = await storeBehind(proxy);
    const agents = createTestAgents();
    const { app, runner } = createServer({
      store,
      agents: [agents.calculator],
      model: createTestModel(),
      apiKeys: false,
      onError: () => {},
    });
    const fetch = appFetcher(app);
    try {
      const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
      assert.equal(launched.body.status, "awaiting_approval");
      const { id } = launched.body as { id: string };
      const callId = launched.body.pending[0].callId as string;

      proxy.cut();
      const read = await get(fetch, `/v1/threads/${id}`);
      assert.equal(read.status, 503, JSON.stringify(read.body));
      assert.equal(read.body.error.code, "store_unavailable");
      assert.match(read.headers.get("retry-after") ?? "", /^\d+$/);
      const approval = await post(fetch, `/v1/threads/${id}/approvals/${callId}?wait=2`, { approved: true });
      assert.equal(approval.status, 503, JSON.stringify(approval.body));
      assert.equal((await get(fetch, "/v1/threads")).status, 503);
      assert.equal((await fetch("/healthz")).status, 200, "the process is alive; only the database is away");

      proxy.restore();
      const after = await get(fetch, `/v1/threads/${id}`);
      assert.equal(after.status, 200);
      assert.equal(after.body.status, "awaiting_approval", "the approval sent during the outage decided nothing");
      assert.equal(agents.divideRuns.size, 0);
      const approved = await post(fetch, `/v1/threads/${id}/approvals/${callId}`, { approved: true });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, "done");
    } finally {
      await runner.close();
      await store.close();
      await proxy.close();
    }
  });

  it("keeps a thread's event stream open through the outage and goes on after it", async () => {
    const proxy = await proxyToPostgres();
    const store = await storeBehind(proxy);
    const agents = createTestAgents();
    const { app, runner } = createServer({
      store,
      agents: [agents.calculator],
      model: createTestModel(),
      apiKeys: false,
      pollIntervalMs: 10,
      onError: () => {},
    });
    const fetch = appFetcher(app);
    try {
      const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
      const { id } = launched.body as { id: string };
      const callId = launched.body.pending[0].callId as string;
      const response = await fetch(`/v1/threads/${id}/stream`);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const readUntil = async (pattern: RegExp) => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) return false;
          text += value;
        }
        return true;
      };
      assert.ok(await readUntil(/event: approval_requested/));

      proxy.cut();
      // Several polls of the store fail while the link is down.
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.restore();

      const approved = await post(fetch, `/v1/threads/${id}/approvals/${callId}`, { approved: true });
      assert.equal(approved.body.status, "done");
      assert.ok(await readUntil(/event: done/), `the stream ended early:\n${text}`);
      await reader.cancel();
    } finally {
      await runner.close();
      await store.close();
      await proxy.close();
    }
  });

  it("resumes a thread whose step the outage cut off once the database is back", async () => {
    const proxy = await proxyToPostgres();
    const store = await storeBehind(proxy);
    let runs = 0;
    // The database drops while the tool runs: its result cannot be stored.
    const save = defineTool({
      intent: "save",
      description: "save a note",
      args: z.object({ text: z.string() }),
      idempotent: true,
      run: ({ text }) => {
        runs += 1;
        if (runs === 1) proxy.cut();
        return `saved ${text}`;
      },
    });
    const agent = defineAgent({ name: "notes", tools: [save, doneForNow()] });
    const model = new ScriptedModel([
      { intent: "save", text: "hello" },
      { intent: "done_for_now", message: "saved" },
    ]);
    const { app, runner } = createServer({ store, agents: [agent], model, apiKeys: false, leaseTtlMs: 300, onError: () => {} });
    const fetch = appFetcher(app);
    try {
      const launched = await post(fetch, "/v1/threads?wait=0", { agent: "notes", message: "save hello" });
      assert.equal(launched.status, 202, JSON.stringify(launched.body));
      const { id } = launched.body as { id: string };
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(runs, 1);
      proxy.restore();
      // The cut-off step's lease runs out; the runner's recovery picks the thread up again.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await runner.recover();
      const thread = await get(fetch, `/v1/threads/${id}`);
      assert.equal(thread.body.status, "done", JSON.stringify(thread.body.events.map((event: { type: string }) => event.type)));
      assert.equal(runs, 2, "the idempotent tool ran again with the same key; nothing else did");
    } finally {
      await runner.close();
      await store.close();
      await proxy.close();
    }
  });
});
