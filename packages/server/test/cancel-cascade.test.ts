/**
 * A cancel cascade cut short (the process died, or the store failed, after the parent's cancel was
 * stored and before its children's): the recovery sweep finishes it. The child is canceled, its
 * approval leaves the inbox, deciding it is a 409, and its tool never runs. The same cascade through
 * a real SIGKILL is in cancel-cascade-processes.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineAgent, doneForNow, type Thread, type ThreadStore } from "agentfold";
import { StoreUnavailableError } from "agentfold/runtime";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { appFetcher, get, post, type Fetcher } from "./support/http.ts";
import { createFamilyAgents, createTestModel, familyScript } from "./support/test-agent.ts";

/** What a server had stored when it died at the `cancel` fault point: the parent's cancel, nothing else. */
async function storeCancelOnly(store: ThreadStore, agentCancel: (thread: Thread) => Thread, threadId: string): Promise<void> {
  const parent = (await store.load(threadId))!;
  await store.append(agentCancel(parent), { expectedVersion: parent.version });
}

async function statusOf(fetch: Fetcher, threadId: string): Promise<string> {
  return (await get(fetch, `/v1/threads/${threadId}`)).body.status;
}

describe("recovery finishes a cancel cascade cut short", () => {
  it("a child left waiting under a canceled parent is canceled by the sweep, once; its approval is then a 409 and never runs", async () => {
    const { support, refundRuns } = createFamilyAgents();
    const store = createMemoryStore();
    const { app, runner } = createServer({ store, agents: [support], model: createTestModel(), apiKeys: false, onError: () => {} });
    const fetch = appFetcher(app);
    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    const { childThreadId } = launched.body.pending[0];
    const callId = (await get(fetch, `/v1/threads/${childThreadId}`)).body.pending[0].callId;

    // A sweep leaves a family alone while no one in it is canceled.
    await runner.recover();
    assert.equal(await statusOf(fetch, childThreadId), "awaiting_approval");

    await storeCancelOnly(store, (thread) => support.cancel(thread, { actor: "alice", reason: "customer withdrew" }), launched.body.id);
    assert.equal(await statusOf(fetch, childThreadId), "awaiting_approval", "the crash left the child waiting");

    const notified: string[] = [];
    runner.subscribe(childThreadId, (thread) => notified.push(thread.status));
    await runner.recover();
    const child = await get(fetch, `/v1/threads/${childThreadId}`);
    assert.equal(child.body.status, "canceled");
    assert.deepEqual(child.body.pending, []);
    const cancel = child.body.events.at(-1);
    assert.equal(cancel.type, "cancel");
    assert.equal(cancel.actor, "alice", "the repaired cancel names who canceled the parent");
    assert.deepEqual(notified, ["canceled"], "subscribers hear of the repaired cancel");
    const inbox = await get(fetch, "/v1/threads?status=awaiting_approval");
    assert.deepEqual(inbox.body.threads, []);

    // Idempotent: another sweep appends nothing.
    const version = child.body.version;
    await runner.recover();
    assert.equal((await get(fetch, `/v1/threads/${childThreadId}`)).body.version, version);

    const decided = await post(fetch, `/v1/threads/${childThreadId}/approvals/${callId}`, { approved: true });
    assert.equal(decided.status, 409, JSON.stringify(decided.body));
    assert.equal(refundRuns.get(`${childThreadId}:${callId}`), undefined, "the refund never ran");
    await runner.close();
  });

  it("a cancel whose cascade the store refused is finished by the next sweep", async () => {
    const { support, refundRuns } = createFamilyAgents();
    const base = createMemoryStore();
    let refuseChild = "";
    // The child's cancel fails once, as a store going away right after the parent's cancel committed.
    const store = new Proxy(base, {
      get(target, property) {
        if (property === "append") {
          return async (thread: Thread, options: { expectedVersion: number }) => {
            if (thread.id === refuseChild) {
              refuseChild = "";
              throw new StoreUnavailableError("the store went away");
            }
            return target.append(thread, options);
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { app, runner } = createServer({ store, agents: [support], model: createTestModel(), apiKeys: false, onError: () => {} });
    const fetch = appFetcher(app);
    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    const { childThreadId } = launched.body.pending[0];
    const callId = (await get(fetch, `/v1/threads/${childThreadId}`)).body.pending[0].callId;

    refuseChild = childThreadId;
    const canceled = await post(fetch, `/v1/threads/${launched.body.id}/cancel`, {});
    assert.equal(canceled.status, 503, JSON.stringify(canceled.body));
    assert.equal(await statusOf(fetch, launched.body.id), "canceled");
    assert.equal(await statusOf(fetch, childThreadId), "awaiting_approval");

    await runner.recover();
    assert.equal(await statusOf(fetch, childThreadId), "canceled");
    const decided = await post(fetch, `/v1/threads/${childThreadId}/approvals/${callId}`, { approved: true });
    assert.equal(decided.status, 409, JSON.stringify(decided.body));
    assert.equal(refundRuns.get(`${childThreadId}:${callId}`), undefined, "the refund never ran");
    await runner.close();
  });

  it("reaches every generation: a grandchild and its parent under a canceled grandparent are both canceled", async () => {
    const { support, refundRuns } = createFamilyAgents();
    // desk → support (its own scripted model) → refunder: only desk is registered.
    const desk = defineAgent({ name: "desk", tools: [support.asTool({ model: new ScriptedModel(familyScript) }), doneForNow()] });
    const deskModel = new ScriptedModel([{ intent: "support", message: "I want my $20 back" }]);
    const store = createMemoryStore();
    const { app, runner } = createServer({ store, agents: [desk], model: deskModel, apiKeys: false, onError: () => {} });
    const fetch = appFetcher(app);
    const launched = await post(fetch, "/v1/threads", { agent: "desk", message: "a customer wants a refund" });
    assert.equal(launched.body.status, "awaiting_approval", JSON.stringify(launched.body));
    const supportId: string = launched.body.pending[0].childThreadId;
    const supportThread = await get(fetch, `/v1/threads/${supportId}`);
    const refunderId: string = supportThread.body.pending[0].childThreadId;
    const refunder = await get(fetch, `/v1/threads/${refunderId}`);
    assert.equal(refunder.body.status, "awaiting_approval");

    await storeCancelOnly(store, (thread) => desk.cancel(thread, {}), launched.body.id);
    await runner.recover();
    assert.equal(await statusOf(fetch, supportId), "canceled");
    assert.equal(await statusOf(fetch, refunderId), "canceled");
    const inbox = await get(fetch, "/v1/threads?status=awaiting_approval");
    assert.deepEqual(inbox.body.threads, []);
    const decided = await post(fetch, `/v1/threads/${refunderId}/approvals/${refunder.body.pending[0].callId}`, { approved: true });
    assert.equal(decided.status, 409, JSON.stringify(decided.body));
    assert.equal(refundRuns.size, 0, "the refund never ran");
    await runner.close();
  });
});
