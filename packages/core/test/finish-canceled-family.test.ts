/**
 * `finishCanceledFamily`: a cancel cascade cut short anywhere in a family (below the top, or below a
 * child the cascade already reached) is finished from any thread of the family, in the name of who
 * canceled; a whole family is left as it is.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Thread } from "agentfold";
import { finishCanceledFamily } from "agentfold/runtime";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";

const refund = defineTool({
  intent: "refund",
  description: "refund an amount",
  args: z.object({ amount: z.number() }),
  approval: "required",
  run: ({ amount }) => `refunded ${amount}`,
});
const refunder = defineAgent({ name: "refunder", tools: [refund, doneForNow()] });
const support = defineAgent({
  name: "support",
  tools: [refunder.asTool({ model: new ScriptedModel([{ intent: "refund", amount: 20 }]) }), doneForNow()],
});
const desk = defineAgent({
  name: "desk",
  tools: [support.asTool({ model: new ScriptedModel([{ intent: "refunder", message: "refund $20" }]) }), doneForNow()],
});

/** desk → support → refunder, the grandchild waiting for its approval. */
async function family() {
  const store = createMemoryStore();
  const start = desk.start("a customer wants $20 back");
  await store.create(start);
  const commit = (next: Thread, previous: Thread) => store.append(next, { expectedVersion: previous.version });
  const top = await desk.run(start, { model: new ScriptedModel([{ intent: "support", message: "refund $20" }]), threads: store, commit });
  const middleId = top.pending[0]?.kind === "child" ? top.pending[0].childThreadId : "";
  const middle = (await store.load(middleId))!;
  const bottomId = middle.pending[0]?.kind === "child" ? middle.pending[0].childThreadId : "";
  assert.equal((await store.load(bottomId))?.status, "awaiting_approval");
  const cancel = async (thread: Thread, actor: string) => {
    const stored = (await store.load(thread.id))!;
    await store.append(desk.cancel(stored, { actor }), { expectedVersion: stored.version });
  };
  return { store, top, middle, bottomId, cancel };
}

describe("finishCanceledFamily", () => {
  it("a whole family is left as it is", async () => {
    const { store, top, bottomId } = await family();
    assert.deepEqual(await finishCanceledFamily(store, top), []);
    assert.equal((await store.load(bottomId))?.status, "awaiting_approval");
  });

  it("cut short below the top: every unfinished descendant is canceled, found from the grandchild", async () => {
    const { store, top, middle, bottomId, cancel } = await family();
    await cancel(top, "alice");
    const repaired = await finishCanceledFamily(store, (await store.load(bottomId))!);
    assert.deepEqual(repaired.map((thread) => thread.id).sort(), [middle.id, bottomId].sort());
    const bottom = await store.load(bottomId);
    assert.equal(bottom?.status, "canceled");
    const last = bottom?.events.at(-1);
    assert.ok(last?.type === "cancel");
    assert.equal(last.actor, "alice");
    assert.deepEqual(await finishCanceledFamily(store, top), [], "once finished, nothing more");
  });

  it("cut short below a child the cascade reached: the grandchild is canceled from the top", async () => {
    const { store, top, middle, bottomId, cancel } = await family();
    await cancel(top, "alice");
    await cancel(middle, "alice");
    const repaired = await finishCanceledFamily(store, (await store.load(top.id))!);
    assert.deepEqual(
      repaired.map((thread) => thread.id),
      [bottomId],
    );
    assert.equal((await store.load(bottomId))?.status, "canceled");
  });
});
