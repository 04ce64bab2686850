/**
 * Issue #11: a runner stopped after committing `tool_started`, taken over while stopped, must not
 * run the tool when it continues; the new holder's recovery asks a person instead.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "agentfold";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createRunner } from "../src/index.ts";

/** Blocks this thread's event loop: no timer, no renewal, no I/O callback runs, as under SIGSTOP. */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe("runner: a tool after the lease was lost", () => {
  it("does not run a tool when the process was frozen past its lease between tool_started and the run", async () => {
    let runs = 0;
    let frozen = false;
    const send = defineTool({
      intent: "send_payment",
      description: "send a payment",
      args: z.object({ amount: z.number() }),
      idempotent: false,
      run: ({ amount }) => {
        runs += 1;
        return `sent ${amount}`;
      },
    });
    const ttlMs = 200;
    const agent = defineAgent({
      name: "payer",
      tools: [send, doneForNow()],
      // Runs after tool_started is stored and right before the tool: the worst moment to be stopped.
      hooks: {
        beforeToolRun: () => {
          if (frozen) return;
          frozen = true;
          freeze(ttlMs * 2);
        },
      },
    });
    const model = new ScriptedModel([
      { intent: "send_payment", amount: 5 },
      { intent: "done_for_now", message: "paid" },
    ]);
    const store = createMemoryStore();
    const errors: unknown[] = [];
    const stopped = createRunner({
      store,
      agents: [agent],
      model,
      owner: "stopped",
      leaseTtlMs: ttlMs,
      onError: (error) => errors.push(error),
    });
    const thread = agent.start("pay 5");
    await store.create(thread);

    const outcome = await stopped.advance(thread.id);
    assert.equal(outcome.result, "stopped");
    assert.equal(runs, 0, "the tool did not run after the lease could no longer be counted on");
    const left = (await store.load(thread.id))!;
    assert.deepEqual(
      left.events.map((event) => event.type),
      ["user_input", "model_decision", "tool_started"],
    );

    // Another runner takes over once the lease expired and asks a person what happened.
    const next = createRunner({ store, agents: [agent], model, owner: "next", leaseTtlMs: ttlMs, onError: (error) => errors.push(error) });
    let taken = await next.advance(thread.id);
    while (taken.result === "leased_elsewhere") {
      await new Promise((resolve) => setTimeout(resolve, 20));
      taken = await next.advance(thread.id);
    }
    assert.equal(taken.thread?.status, "awaiting_human");
    const question = taken.thread?.pending[0];
    assert.ok(question?.kind === "question" && question.reason === "outcome_unknown");
    assert.equal(runs, 0);
    assert.deepEqual(errors, []);
    await stopped.close();
    await next.close();
  });
});
