import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type ModelRequest } from "agentfold";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createServer, type Runner } from "../src/index.ts";
import { appFetcher, get, post } from "./support/http.ts";
import { createFamilyAgents, createTestModel, refunderDone } from "./support/test-agent.ts";

describe("child agents over HTTP", () => {
  it("approving what a child agent waits for lets its parent finish", async () => {
    const store = createMemoryStore();
    const refunds: number[] = [];
    const refund = defineTool({
      intent: "refund",
      description: "refund an amount",
      args: z.object({ amount: z.number() }),
      approval: "required",
      run: ({ amount }) => {
        refunds.push(amount);
        return `refunded ${amount}`;
      },
    });
    const refunder = defineAgent({ name: "refunder", description: "issues refunds", tools: [refund, doneForNow()] });
    const support = defineAgent({ name: "support", tools: [refunder.asTool({ threads: store }), doneForNow()] });
    const isChild = (request: ModelRequest) => request.messages.some((message) => message.content.includes("<user_input>\nrefund $20"));
    const model = new ScriptedModel([
      (request: ModelRequest) => (isChild(request) ? { intent: "refund", amount: 20 } : { intent: "refunder", message: "refund $20" }),
      (request: ModelRequest) => ({ intent: "done_for_now", message: isChild(request) ? "refund issued" : "your refund is on its way" }),
    ]);
    const { app, runner } = createServer({ store, agents: [support, refunder], model, apiKeys: false, onError: () => {} });
    const fetch = appFetcher(app);

    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    assert.equal(launched.body.status, "awaiting_approval");
    const waiting = launched.body.pending[0];
    assert.equal(waiting.kind, "child");

    const child = await get(fetch, `/v1/threads/${waiting.childThreadId}`);
    assert.equal(child.body.status, "awaiting_approval");
    const approved = await post(fetch, `/v1/threads/${waiting.childThreadId}/approvals/${child.body.pending[0].callId}`, {
      approved: true,
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");

    // The parent goes on by itself once its child can.
    let parent = await get(fetch, `/v1/threads/${launched.body.id}`);
    for (let tries = 0; tries < 100 && parent.body.status !== "done"; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      parent = await get(fetch, `/v1/threads/${launched.body.id}`);
    }
    assert.equal(parent.body.status, "done");
    const result = parent.body.events.find((event: { type: string }) => event.type === "tool_result");
    assert.equal(result.result, "refund issued");
    assert.deepEqual(refunds, [20]);
    await runner.close();
  });
});

describe("child agents in the server's store", () => {
  const { support, refundRuns } = createFamilyAgents();

  function familyServer() {
    const store = createMemoryStore();
    // Only the parent is registered: the child is found through its parent's tool.
    const { app, runner } = createServer({ store, agents: [support], model: createTestModel(), apiKeys: false, onError: () => {} });
    return { store, runner, fetch: appFetcher(app) };
  }

  /** Resolves with the thread once this process appends an event that gives it `status`. */
  function statusReached(runner: Runner, threadId: string, status: string): Promise<unknown> {
    return new Promise((resolve) => {
      const unsubscribe = runner.subscribe(threadId, (thread) => {
        if (thread.status !== status) return;
        unsubscribe();
        resolve(thread);
      });
    });
  }

  it("a child lives in the server's store, shows its family, and keeps its own model after a pause", async () => {
    const { runner, fetch } = familyServer();
    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    assert.equal(launched.body.status, "awaiting_approval", JSON.stringify(launched.body));
    const { childThreadId, callId } = launched.body.pending[0];

    const child = await get(fetch, `/v1/threads/${childThreadId}`);
    assert.equal(child.status, 200);
    assert.equal(child.body.agent, "refunder");
    assert.deepEqual(child.body.parent, {
      id: launched.body.id,
      callId,
      agent: "support",
      status: "awaiting_approval",
      task: "I want my $20 back",
    });
    const parent = await get(fetch, `/v1/threads/${launched.body.id}`);
    assert.equal(parent.body.parent, null);
    assert.deepEqual(parent.body.children, [{ id: childThreadId, callId, agent: "refunder", status: "awaiting_approval" }]);

    const approved = await post(fetch, `/v1/threads/${childThreadId}/approvals/${child.body.pending[0].callId}`, { approved: true });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");
    assert.equal(approved.body.events.at(-1).message, refunderDone, "the child's next decision came from its own model");

    // The parent went on by itself: the answer to the child's approval waited for it.
    const finished = await get(fetch, `/v1/threads/${launched.body.id}`);
    assert.equal(finished.body.status, "done");
    assert.equal(finished.body.events.find((event: { type: string }) => event.type === "tool_result").result, refunderDone);
    assert.deepEqual(finished.body.children, [{ id: childThreadId, callId, agent: "refunder", status: "done" }]);
    assert.equal(refundRuns.get(`${childThreadId}:${child.body.pending[0].callId}`), 1);
    await runner.close();
  });

  it("canceling a parent cancels its waiting child: the approval leaves the inbox and deciding it is a 409", async () => {
    const { runner, fetch } = familyServer();
    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    const { childThreadId } = launched.body.pending[0];
    const childCallId = (await get(fetch, `/v1/threads/${childThreadId}`)).body.pending[0].callId;

    const canceled = await post(fetch, `/v1/threads/${launched.body.id}/cancel`, {});
    assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
    const child = await get(fetch, `/v1/threads/${childThreadId}`);
    assert.equal(child.body.status, "canceled");
    assert.deepEqual(child.body.pending, []);
    const waiting = await get(fetch, "/v1/threads?status=awaiting_approval");
    assert.deepEqual(waiting.body.threads, []);

    const decided = await post(fetch, `/v1/threads/${childThreadId}/approvals/${childCallId}`, { approved: true });
    assert.equal(decided.status, 409, JSON.stringify(decided.body));
    assert.equal(refundRuns.get(`${childThreadId}:${childCallId}`), undefined, "the refund never ran");
    await runner.close();
  });

  it("a child canceled by a person lets its parent go on by itself", async () => {
    const { runner, fetch } = familyServer();
    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    const { childThreadId } = launched.body.pending[0];
    const parentDone = statusReached(runner, launched.body.id, "done");

    const canceled = await post(fetch, `/v1/threads/${childThreadId}/cancel`, { reason: "not needed" });
    assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
    await parentDone;
    const parent = await get(fetch, `/v1/threads/${launched.body.id}`);
    assert.equal(parent.body.status, "done");
    const error = parent.body.events.find((event: { type: string }) => event.type === "error");
    assert.match(error.message, /canceled/);
    await runner.close();
  });

  it("a store that fails while a canceled child's parent goes on reaches onError, never an unhandled rejection", async () => {
    const base = createMemoryStore();
    let childId = "";
    // After the cancel, loading the child fails: the parent's continuation meets it after the route answered.
    const store = new Proxy(base, {
      get(target, property) {
        if (property === "load") {
          return async (id: string) => {
            const thread = await target.load(id);
            if (id === childId && thread?.status === "canceled") throw new Error("the store went away");
            return thread;
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    let reported!: () => void;
    const storeErrorReported = new Promise<void>((resolve) => (reported = resolve));
    const { app, runner } = createServer({
      store,
      agents: [support],
      model: createTestModel(),
      apiKeys: false,
      onError: (error) => {
        if (error instanceof Error && error.message.includes("the store went away")) reported();
      },
    });
    const fetch = appFetcher(app);
    try {
      const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
      childId = launched.body.pending[0].childThreadId;
      const canceled = await post(fetch, `/v1/threads/${childId}/cancel`, { reason: "not needed" });
      assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
      await storeErrorReported;
      await runner.close();
      // A rejection nobody handles is reported on a later turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a key limited to the child's agent reads the child, not its parent's agent, status or task", async () => {
    const keys = { admin: { key: "admin-key-0001" }, refunds: { key: "refunds-key-002", agents: ["refunder"] } };
    const family = createFamilyAgents();
    const { app, runner } = createServer({
      store: createMemoryStore(),
      agents: [family.support, family.refunder],
      model: createTestModel(),
      apiKeys: keys,
      onError: () => {},
    });
    const fetch = appFetcher(app);
    const admin = { authorization: `Bearer ${keys.admin.key}` };
    const refunds = { authorization: `Bearer ${keys.refunds.key}` };
    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" }, admin);
    const { childThreadId } = launched.body.pending[0];

    const asAdmin = await get(fetch, `/v1/threads/${childThreadId}`, admin);
    assert.deepEqual([asAdmin.body.parent.agent, asAdmin.body.parent.task], ["support", "I want my $20 back"]);
    const asRefunds = await get(fetch, `/v1/threads/${childThreadId}`, refunds);
    assert.equal(asRefunds.status, 200, JSON.stringify(asRefunds.body));
    assert.deepEqual(asRefunds.body.parent, {
      id: launched.body.id,
      callId: asAdmin.body.parent.callId,
      agent: null,
      status: null,
      task: null,
    });
    assert.equal((await get(fetch, `/v1/threads/${launched.body.id}`, refunds)).status, 403);
    await runner.close();
  });
});
