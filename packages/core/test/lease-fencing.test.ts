/**
 * A process that lost (or can no longer be sure of) its thread's lease runs no tool, and another
 * owner takes a lease over only a margin after it expired (issue #11: a process stopped after
 * committing `tool_started` ran its tool anyway after it was continued).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Thread, type ToolContext } from "agentfold";
import { acquireLeaseBy, holdLease, keepLease, LeaseLostError } from "agentfold/runtime";
import { createFakeClock, createMemoryStore, ScriptedModel } from "agentfold/testing";

function sendAgent() {
  const runs: ToolContext[] = [];
  const send = defineTool({
    intent: "send_payment",
    description: "send a payment",
    args: z.object({ amount: z.number() }),
    run: ({ amount }, context) => {
      runs.push(context);
      return `sent ${amount}`;
    },
  });
  const agent = defineAgent({ name: "payer", tools: [send, doneForNow()] });
  const model = () =>
    new ScriptedModel([
      { intent: "send_payment", amount: 5 },
      { intent: "done_for_now", message: "paid" },
    ]);
  return { agent, model, runs };
}

describe("lease fencing before a tool runs", () => {
  it("does not run a tool when the lease's deadline passed after its tool_started was committed", async () => {
    const { agent, model, runs } = sendAgent();
    const store = createMemoryStore();
    const thread = agent.start("pay 5");
    await store.create(thread);
    // The monotonic clock jumps past the lease right after tool_started is stored: what a process
    // sees when it was stopped (SIGSTOP, a paused VM) between that commit and the tool run.
    let now = 0;
    const ttlMs = 1000;
    const run = holdLease(store, thread.id, { owner: "stopped", ttlMs, monotonic: () => now }, (fence, signal, guard) =>
      agent.run(thread, {
        model: model(),
        signal,
        lease: guard,
        commit: async (next: Thread, previous: Thread) => {
          await store.append(next, { expectedVersion: previous.version, fence });
          if (next.events.at(-1)?.type === "tool_started") now += ttlMs;
        },
      }),
    );
    await assert.rejects(run, LeaseLostError);
    assert.equal(runs.length, 0, "the tool never ran");
    const stored = (await store.load(thread.id))!;
    assert.deepEqual(
      stored.events.map((event) => event.type),
      ["user_input", "model_decision", "tool_started"],
      "tool_started stays without a result, for the next holder's recovery",
    );
    assert.equal(stored.state.openCalls[0]?.phase, "started");
  });

  it("runs the tool while the lease is held and gives it the fence and the lease's signal", async () => {
    const { agent, model, runs } = sendAgent();
    const store = createMemoryStore();
    const thread = agent.start("pay 5");
    await store.create(thread);
    let leaseSignal: AbortSignal | undefined;
    const finished = await holdLease(store, thread.id, { owner: "holder", ttlMs: 1000 }, (fence, signal, guard) => {
      leaseSignal = signal;
      return agent.run(thread, {
        model: model(),
        signal,
        lease: guard,
        commit: (next: Thread, previous: Thread) => store.append(next, { expectedVersion: previous.version, fence }),
      });
    });
    assert.equal(finished.status, "done");
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.fence, 1, "the first lease on a thread has fence 1");
    assert.equal(runs[0]!.signal, leaseSignal);
  });

  it("aborts the signal once the deadline passes while renewals fail", async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    const { agent } = sendAgent();
    const thread = agent.start("pay 5");
    await store.create(thread);
    const lease = (await acquireLeaseBy(store, thread.id, "holder", 300, 0, clock))!;
    // The store stops answering renewals (a network partition): the holder must stop on its own.
    let renewals = 0;
    const failing = {
      ...store,
      renewLease: () => {
        renewals++;
        return Promise.reject(new Error("connection refused"));
      },
    };
    let aborted = false;
    const kept = keepLease(failing, lease, { ttlMs: 300, clock, onError: () => {} }, (signal, guard) =>
      new Promise<unknown>((resolve) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          resolve(signal.reason);
        });
      }).then((value) => {
        assert.throws(() => guard.assertHeld());
        assert.equal(guard.remainingMs(), 0);
        return value;
      }),
    );
    // Counted on for ttl - margin = 270 ms after the request was sent; renewals every 100 ms fail.
    await clock.advance(269);
    assert.equal(aborted, false, "held until the deadline");
    assert.equal(renewals, 2);
    await clock.advance(1);
    assert.equal(aborted, true, "aborted at the deadline by the watchdog, not by a failed renewal");
    const reason = await kept;
    assert.ok(reason instanceof LeaseLostError, `aborted with a lost lease, got ${String(reason)}`);
    assert.equal(clock.pendingTimers, 0, "no renewal or watchdog left behind");
  });
});

describe("taking a lease over", () => {
  it("waits out the old holder's ttl plus a margin", async () => {
    const clock = createFakeClock();
    const store = createMemoryStore({ clock });
    const { agent } = sendAgent();
    const thread = agent.start("pay 5");
    await store.create(thread);
    const ttlMs = 1000;
    const old = await acquireLeaseBy(store, thread.id, "old-holder", ttlMs, 0);
    assert.ok(old);
    clock.advance(ttlMs);
    assert.equal(
      await acquireLeaseBy(store, thread.id, "new-holder", ttlMs, 0),
      undefined,
      "not at the ttl: the old holder may have counted on it until just before",
    );
    clock.advance(99);
    assert.equal(await store.acquireLease(thread.id, "new-holder", ttlMs), undefined, "not within the margin (10% of the ttl)");
    clock.advance(1);
    const taken = await store.acquireLease(thread.id, "new-holder", ttlMs);
    assert.ok(taken && taken.token > old.token, "taken once ttl and margin passed, with a higher fence");
  });
});
