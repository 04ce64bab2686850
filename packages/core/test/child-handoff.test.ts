/**
 * A child agent that hands off: the agent it hands to goes on as the child, in the child's thread,
 * with the child's model; a request of that agent pauses the parent like the child's own would, a
 * person's decision on it is made with that agent (found through the child's handoff tools), and its
 * final answer is the parent call's result.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type ModelRequest, type Thread } from "agentfold";
import { childThreadId, findThreadAgent, resumePausedChild } from "agentfold/runtime";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";

const has = (request: ModelRequest, intent: string) => request.intents.some((spec) => spec.intent === intent);

function family(options: { approval: boolean }) {
  const refunds: number[] = [];
  const refund = defineTool({
    intent: "refund",
    description: "refund an amount",
    args: z.object({ amount: z.number() }),
    ...(options.approval ? { approval: "required" as const } : {}),
    run: ({ amount }) => {
      refunds.push(amount);
      return `refunded ${amount}`;
    },
  });
  const billing = defineAgent({ name: "billing", description: "refunds and invoices", tools: [refund, doneForNow()] });
  const triage = defineAgent({ name: "triage", description: "sorts requests", tools: [billing.asHandoff(), doneForNow()] });
  const support = defineAgent({ name: "support", tools: [triage.asTool({}), doneForNow()] });
  // One reply per turn of each thread, chosen by the tools the asking agent has.
  const model = new ScriptedModel(
    Array.from({ length: 3 }, (_, turn) => (request: ModelRequest) => {
      if (has(request, "transfer_to_billing")) return { intent: "transfer_to_billing", reason: "a refund of $20" };
      if (has(request, "refund"))
        return turn === 1 ? { intent: "refund", amount: 20 } : { intent: "done_for_now", message: "billing refunded $20" };
      return turn === 0 ? { intent: "triage", message: "refund $20" } : { intent: "done_for_now", message: "your refund is on its way" };
    }),
  );
  return { support, triage, billing, model, refunds };
}

async function started(support: ReturnType<typeof family>["support"]) {
  const threads = createMemoryStore();
  const start = support.start("I want my $20 back");
  await threads.create(start);
  const commit = (next: Thread, previous: Thread) => threads.append(next, { expectedVersion: previous.version });
  return { threads, start, commit };
}

describe("a child agent that hands off", () => {
  it("the agent it hands to finishes the child's task, and its answer is the parent's result", async () => {
    const { support, model, refunds } = family({ approval: false });
    const { threads, start, commit } = await started(support);
    const done = await support.run(start, { model, threads, commit });
    assert.equal(done.status, "done", JSON.stringify(done.events.at(-1)));
    const result = done.events.find((event) => event.type === "tool_result");
    assert.ok(result?.type === "tool_result" && result.childThreadId);
    assert.equal(result.result, "billing refunded $20");
    const child = await threads.load(result.childThreadId);
    assert.equal(child?.status, "done");
    // The child's thread keeps the agent it was started for and records who drove it after the handoff.
    assert.deepEqual([child?.agent, child?.drivingAgent], ["triage", "billing"]);
    const handoff = child?.events.find((event) => event.type === "handoff");
    assert.ok(handoff?.type === "handoff");
    assert.deepEqual([handoff.from, handoff.to, handoff.reason], ["triage", "billing", "a refund of $20"]);
    assert.deepEqual(refunds, [20]);
  });

  it("a request of the agent handed to pauses the parent; deciding it uses that agent, and the parent goes on", async () => {
    const { support, billing, model, refunds } = family({ approval: true });
    const { threads, start, commit } = await started(support);
    const waiting = await support.run(start, { model, threads, commit });
    assert.equal(waiting.status, "awaiting_approval");
    const item = waiting.pending[0];
    assert.ok(item?.kind === "child");
    const child = (await threads.load(item.childThreadId))!;
    assert.equal(child.status, "awaiting_approval");

    // Only the parent is known by name: the child's agent is found through the parent's tool, then the handoff.
    const agent = await findThreadAgent(child, {
      byName: (name) => (name === "support" ? support : undefined),
      load: (id) => threads.load(id),
    });
    assert.equal(agent, billing);
    const approved = agent!.approve(child, child.pending[0]!.callId);
    await threads.append(approved, { expectedVersion: child.version });

    const resumed = resumePausedChild(waiting, item.callId);
    await commit(resumed, waiting);
    const done = await support.run(resumed, { model, threads, commit });
    assert.equal(done.status, "done");
    const result = done.events.find((event) => event.type === "tool_result");
    assert.ok(result?.type === "tool_result");
    assert.equal(result.result, "billing refunded $20");
    assert.deepEqual(refunds, [20]);
  });

  it("a child handed to an agent none of its handoff tools names fails with what to do", async () => {
    const stray = defineAgent({ name: "triage", tools: [doneForNow()] });
    const support = defineAgent({ name: "support", tools: [stray.asTool({}), doneForNow()] });
    const { threads, start, commit } = await started(support);
    // The child's thread, as a stale store could hold it, says an agent its tools do not know drives it.
    const child = stray.start("refund $20", {
      id: childThreadId(start.id, "call_1_0"),
      metadata: { parentThreadId: start.id, parentCallId: "call_1_0" },
    });
    await threads.create(child.append([{ type: "handoff", callId: "call_0", from: "triage", to: "ghost", reason: "elsewhere" }]));
    const model = new ScriptedModel([{ intent: "triage", message: "refund $20" }]);
    await assert.rejects(
      support.run(start, { model, threads, commit }),
      /handed to agent "ghost", which no handoff tool of agent "triage"/,
    );
  });
});
