import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Model } from "agentfold";
import { LeaseLostError } from "agentfold/runtime";
import { createFakeClock, createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createRunner } from "../src/index.ts";
import { advanceThrough, advanceUntil } from "./support/fake-time.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

describe("runner", () => {
  it("advances a thread until it waits, and holds nothing for it afterwards", async () => {
    const { calculator } = createTestAgents();
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [calculator], model: createTestModel() });
    const thread = calculator.start("divide 3 by 4");
    await store.create(thread);
    const outcome = await runner.advance(thread.id);
    assert.equal(outcome.result, "settled");
    assert.equal(outcome.thread?.status, "awaiting_approval");
    assert.equal((await store.load(thread.id))?.status, "awaiting_approval");
    assert.equal(runner.activeThreads, 0);
    assert.equal((await runner.advance("thr_missing")).result, "not_found");
  });

  it("does not advance a thread whose lease another runner holds", async () => {
    const { calculator } = createTestAgents();
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [calculator], model: createTestModel(), owner: "a" });
    const thread = calculator.start("divide 3 by 4");
    await store.create(thread);
    const lease = await store.acquireLease(thread.id, "b", 60_000);
    assert.ok(lease);
    const outcome = await runner.advance(thread.id);
    assert.equal(outcome.result, "leased_elsewhere");
    assert.equal((await store.load(thread.id))?.version, 1, "nothing was appended");
    await store.releaseLease(lease);
    assert.equal((await runner.advance(thread.id)).thread?.status, "awaiting_approval");
  });

  it("stops writing once its lease is taken over (fenced appends)", async () => {
    const clock = createFakeClock();
    const { worker } = createTestAgents({ workMs: 1000, clock });
    const store = createMemoryStore({ clock });
    const errors: unknown[] = [];
    const runner = createRunner({
      store,
      agents: [worker],
      model: createTestModel(),
      owner: "a",
      leaseTtlMs: 100,
      onError: (error) => errors.push(error),
      clock,
    });
    const thread = worker.start("work");
    await store.create(thread);
    const advancing = runner.advance(thread.id);
    // Once the tool runs, stop renewals and let another owner take the expired lease.
    await advanceUntil(clock, async () => (await store.load(thread.id))?.lastEvent?.type === "tool_started", { stepMs: 5 });
    const original = store.renewLease.bind(store);
    store.renewLease = async () => undefined;
    let stolen = await store.acquireLease(thread.id, "b", 60_000);
    await advanceUntil(clock, async () => (stolen ??= await store.acquireLease(thread.id, "b", 60_000)) !== undefined);
    assert.ok(stolen);
    // The tool goes on for the rest of its second; its outcome's append is refused.
    const outcome = await advanceThrough(clock, advancing);
    store.renewLease = original;
    assert.equal(outcome.result, "stopped");
    const stored = await store.load(thread.id);
    assert.equal(stored?.lastEvent?.type, "tool_started", "the old runner wrote nothing after losing the lease");
    await assert.rejects(
      store.append(stored!.append([{ type: "cancel" }]), { expectedVersion: stored!.version, fence: stolen.token - 1 }),
      LeaseLostError,
    );
  });

  it("serializes work on one thread in a process and shares queued advances", async () => {
    const { calculator } = createTestAgents();
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [calculator], model: createTestModel() });
    const thread = calculator.start("divide 3 by 4");
    await store.create(thread);
    const first = runner.advance(thread.id);
    const second = runner.advance(thread.id);
    const third = runner.advance(thread.id);
    assert.equal(second, third, "a queued advance is shared");
    const outcomes = await Promise.all([first, second, third]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.result),
      ["settled", "settled", "settled"],
    );
    assert.equal((await store.load(thread.id))?.version, 3);
  });

  it("recover() advances every thread left running, and only those of its agents", async () => {
    const { calculator, worker } = createTestAgents();
    const store = createMemoryStore();
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const thread = calculator.start(`divide ${index}`);
      ids.push(thread.id);
      await store.create(thread);
    }
    const other = worker.start("work");
    await store.create(other);
    const runner = createRunner({ store, agents: [calculator], model: createTestModel() });
    assert.equal(await runner.recover(), 5);
    for (const id of ids) assert.equal((await store.load(id))?.status, "awaiting_approval");
    assert.equal((await store.load(other.id))?.status, "running", "threads of other agents are left alone");
  });

  it("change() applies a person's change under the lease and reports its errors", async () => {
    const { calculator, divideRuns } = createTestAgents();
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [calculator], model: createTestModel() });
    const thread = calculator.start("divide 3 by 4");
    await store.create(thread);
    const paused = (await runner.advance(thread.id)).thread!;
    const callId = paused.pending[0]!.callId;
    const { applied, settled } = await runner.change(thread.id, (current, agent) => agent.approve(current, callId, { actor: "ann" }));
    assert.equal(applied.lastEvent?.type, "approval_decision");
    assert.equal((await settled).thread?.status, "done");
    assert.equal(divideRuns.size, 1);
    await assert.rejects(
      runner.change(thread.id, (current, agent) => agent.approve(current, callId)),
      /not pending/,
    );
  });

  it("change() that answered thread_busy never applies the change later", async () => {
    const clock = createFakeClock();
    const { calculator } = createTestAgents();
    const store = createMemoryStore({ clock });
    const inner = createTestModel();
    let slow = false;
    const model: Model = {
      specificationVersion: "v1",
      id: inner.id,
      generate: async (request) => {
        if (slow) await clock.sleep(200);
        return inner.generate(request);
      },
    };
    // Another process takes the lease the moment this one lets go of it after the approval's step, for 120 ms:
    // longer than what is left of the message's 300 ms wait, shorter than a fresh wait.
    // The lease is let go of by the step's last append (`releaseLease`) or by `releaseLease` itself.
    let steal = false;
    const stealNow = async (threadId: string) => {
      if (!steal) return;
      steal = false;
      await store.acquireLease(threadId, "other-process", 120);
    };
    const release = store.releaseLease.bind(store);
    store.releaseLease = async (lease) => {
      await release(lease);
      await stealNow(lease.threadId);
    };
    const append = store.append.bind(store);
    store.append = async (next, options) => {
      await append(next, options);
      if (options.releaseLease) await stealNow(next.id);
    };
    const runner = createRunner({ store, agents: [calculator], model, leaseWaitMs: 300, onError: () => {}, clock });
    const thread = calculator.start("divide");
    await store.create(thread);
    const callId = (await runner.advance(thread.id)).thread!.pending[0]!.callId;
    slow = true;
    steal = true;
    const approval = await runner.change(thread.id, (current, agent) => agent.approve(current, callId, { actor: "alice" }));
    const message = runner.change(thread.id, (current, agent) => agent.message(current, "and now 6 by 2", { actor: "bob" }));
    await assert.rejects(advanceThrough(clock, message), (error: Error & { code?: string }) => error.code === "thread_busy");
    await advanceThrough(clock, approval.settled);
    // Nothing happens later either: the stolen lease expires, and no task applies the message.
    await clock.advance(500);
    const stored = (await store.load(thread.id))!;
    assert.equal(stored.status, "done");
    assert.ok(!stored.events.some((event) => event.type === "user_input" && event.actor === "bob"), "the refused message was not applied");
    await runner.close();
  });

  it("recover() advances at most 8 threads at once; a sweep does not wait for a long step", async () => {
    const clock = createFakeClock();
    let active = 0;
    let peak = 0;
    const slowWork = defineTool({
      intent: "work",
      description: "slow work",
      args: z.object({ ms: z.number() }),
      idempotent: true,
      run: async ({ ms }) => {
        active += 1;
        peak = Math.max(peak, active);
        await clock.sleep(ms);
        active -= 1;
        return "ok";
      },
    });
    const worker = defineAgent({ name: "worker", tools: [slowWork, doneForNow()] });
    const model = new ScriptedModel([
      (request: { messages: readonly { content: string }[] }) => ({
        intent: "work",
        ms: request.messages.some((message) => message.content.includes("long job")) ? 1500 : 30,
      }),
      { intent: "done_for_now", message: "done" },
    ]);
    const store = createMemoryStore({ clock });
    const ids: string[] = [];
    for (let index = 0; index < 20; index++) {
      const thread = worker.start(`short ${index}`);
      ids.push(thread.id);
      await store.create(thread);
    }
    const runner = createRunner({ store, agents: [worker], model, onError: () => {}, clock });
    assert.equal(await advanceThrough(clock, runner.recover()), 20);
    assert.equal(peak, 8);
    for (const id of ids) assert.equal((await store.load(id))?.status, "done");

    const long = worker.start("long job");
    await store.create(long);
    const sweeping = createRunner({ store, agents: [worker], model, sweepIntervalMs: 50, onError: () => {}, clock });
    await sweeping.start();
    await advanceUntil(clock, async () => (await store.load(long.id))?.lastEvent?.type === "tool_started");
    const later = worker.start("short, started after the slow one");
    await store.create(later);
    // Within two sweep intervals and the short job's 30 ms, well before the long step's 1500 ms end.
    await advanceUntil(clock, async () => (await store.load(later.id))?.status === "done", { limitMs: 200 });
    assert.equal((await store.load(long.id))?.status, "running");
    await advanceThrough(clock, sweeping.close());
  });

  it("records a failed event when the runner cannot go on (a model script ran out)", async () => {
    const { calculator } = createTestAgents();
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [calculator], model: new ScriptedModel([]), onError: () => {} });
    const thread = calculator.start("divide 3 by 4");
    await store.create(thread);
    const outcome = await runner.advance(thread.id);
    assert.equal(outcome.thread?.status, "failed");
    const last = outcome.thread?.lastEvent;
    assert.ok(last?.type === "failed" && /Add a step to the script/.test(last.reason));
  });

  it("start() recovers in the background and close() stops it", async () => {
    const { calculator } = createTestAgents();
    const store = createMemoryStore();
    const thread = calculator.start("divide 3 by 4");
    await store.create(thread);
    const runner = createRunner({ store, agents: [calculator], model: createTestModel(), leaseTtlMs: 200 });
    await runner.start();
    for (let attempt = 0; attempt < 50 && (await store.load(thread.id))?.status === "running"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await store.load(thread.id))?.status, "awaiting_approval");
    await runner.close();
  });
});
