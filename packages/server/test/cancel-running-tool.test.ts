/**
 * Issue #11: a cancel that comes while a tool runs must not lose the tool's outcome. A result that
 * comes after the cancel is stored; a tool that stopped without one leaves its call open, so a
 * message that reopens the thread asks a person whether it took effect.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Thread, type ThreadStore } from "agentfold";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createRunner } from "../src/index.ts";

function payer(run: (signal: AbortSignal) => Promise<string>) {
  let runs = 0;
  const send = defineTool({
    intent: "send_payment",
    description: "send a payment",
    args: z.object({ amount: z.number() }),
    idempotent: false,
    run: (_args, { signal }) => {
      runs += 1;
      return run(signal);
    },
  });
  const agent = defineAgent({ name: "payer", tools: [send, doneForNow()] });
  const model = new ScriptedModel([
    { intent: "send_payment", amount: 5 },
    { intent: "done_for_now", message: "paid" },
  ]);
  return { agent, model, runs: () => runs };
}

async function untilToolStarted(store: ThreadStore, threadId: string): Promise<void> {
  while ((await store.load(threadId))?.lastEvent?.type !== "tool_started") await new Promise((resolve) => setTimeout(resolve, 5));
}

const types = (thread: Thread | undefined) => thread?.events.map((event) => event.type);

describe("runner: cancel while a tool runs", () => {
  it("stores the result of a tool that finishes after the cancel, and a message goes on from it", async () => {
    let finish!: (value: string) => void;
    const finished = new Promise<string>((resolve) => (finish = resolve));
    // The tool ignores the abort: it was already past the point of no return.
    const { agent, model, runs } = payer(() => finished);
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [agent], model, onError: (error) => assert.fail(String(error)) });
    const thread = agent.start("pay 5");
    await store.create(thread);

    const advancing = runner.advance(thread.id);
    await untilToolStarted(store, thread.id);
    const canceled = await runner.cancel(thread.id, { actor: "ann" });
    assert.equal(canceled.status, "canceled");
    finish("sent 5");
    assert.equal((await advancing).result, "stopped");

    const stored = await store.load(thread.id);
    assert.deepEqual(types(stored), ["user_input", "model_decision", "tool_started", "cancel", "tool_result"]);
    assert.equal(stored?.status, "canceled", "the result does not undo the cancel");
    assert.equal(stored?.lastEvent?.type === "tool_result" && stored.lastEvent.result, "sent 5");
    assert.deepEqual(stored?.state.openCalls, [], "the call is settled");

    const { settled } = await runner.change(thread.id, (current, owner) => owner.message(current, "go on"));
    const after = (await settled).thread;
    assert.equal(after?.status, "done");
    assert.ok(!after?.events.some((event) => event.type === "human_request"), "nobody is asked about an outcome that is stored");
    assert.equal(runs(), 1);
    await runner.close();
  });

  it("keeps the call open when the tool stopped without a result, so a message asks whether it took effect", async () => {
    // The tool gives up on the abort: whether the payment went out is unknown.
    const { agent, model, runs } = payer(
      (signal) => new Promise<string>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
    );
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [agent], model, onError: (error) => assert.fail(String(error)) });
    const thread = agent.start("pay 5");
    await store.create(thread);

    const advancing = runner.advance(thread.id);
    await untilToolStarted(store, thread.id);
    await runner.cancel(thread.id);
    assert.equal((await advancing).result, "stopped");

    const stored = await store.load(thread.id);
    assert.deepEqual(types(stored), ["user_input", "model_decision", "tool_started", "cancel"]);
    assert.equal(stored?.status, "canceled");
    assert.equal(stored?.state.openCalls[0]?.phase, "started", "the outcome is unknown, not forgotten");

    const { settled } = await runner.change(thread.id, (current, owner) => owner.message(current, "go on"));
    const after = (await settled).thread;
    assert.equal(after?.status, "awaiting_human");
    assert.deepEqual(types(after)?.slice(-2), ["user_input", "human_request"]);
    const question = after?.pending[0];
    assert.ok(question?.kind === "question" && question.reason === "outcome_unknown" && question.intent === "send_payment");
    assert.equal(runs(), 1, "a non-idempotent tool is not run again");
    await runner.close();
  });
});
