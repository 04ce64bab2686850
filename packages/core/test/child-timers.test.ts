/**
 * A child agent whose tool sleeps (`sleep`, a durable timer): its parent's call does not fail; the
 * parent waits with the child (`waiting`, the child pending), and once the child's time has come and
 * the parent is resumed, the parent's tool fires the child's timer under the child's lease, the child
 * finishes and the parent reads its answer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, sleep, type ModelRequest, type Thread } from "agentfold";
import { resumePausedChild } from "agentfold/runtime";
import { createFakeClock, createMemoryStore, ScriptedModel } from "agentfold/testing";

const NAP_MS = 10 * 60_000;
const isChild = (request: ModelRequest) => request.intents.some((intent) => intent.intent === "nap");

function family() {
  const naps: string[] = [];
  const nap = defineTool({
    intent: "nap",
    description: "wait before checking the deploy's health",
    args: z.object({}),
    run: (_args, { idempotencyKey }) => {
      naps.push(idempotencyKey);
      return sleep(NAP_MS, { reason: "let the deploy settle" });
    },
  });
  const napper = defineAgent({ name: "napper", tools: [nap, doneForNow()] });
  const releaser = defineAgent({ name: "releaser", tools: [napper.asTool({}), doneForNow()] });
  const model = new ScriptedModel([
    (request: ModelRequest) => (isChild(request) ? { intent: "nap" } : { intent: "napper", message: "deploy and check" }),
    (request: ModelRequest) => ({ intent: "done_for_now", message: isChild(request) ? "healthy after the nap" : "released" }),
  ]);
  return { releaser, model, naps };
}

describe("a child agent that sleeps", () => {
  it("its parent waits with it and goes on once the child's timer fires", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const threads = createMemoryStore({ clock });
    const { releaser, model, naps } = family();
    const start = releaser.start("release v1");
    await threads.create(start);
    const commit = (next: Thread, previous: Thread) => threads.append(next, { expectedVersion: previous.version });
    const options = { model, threads, commit, clock };
    /** What a runner does when a child can go on: store the parent's `child_resumed`, then run the parent. */
    const resume = async (parent: Thread, callId: string) => {
      const resumed = resumePausedChild(parent, callId, clock);
      await commit(resumed, parent);
      return releaser.run(resumed, options);
    };

    const waiting = await releaser.run(start, options);
    assert.equal(waiting.status, "waiting", "not failed, not awaiting a person");
    const item = waiting.pending[0];
    assert.ok(item?.kind === "child");
    assert.equal(item.childStatus, "waiting");
    assert.equal(
      waiting.events.some((event) => event.type === "error"),
      false,
    );
    const child = await threads.load(item.childThreadId);
    assert.equal(child?.status, "waiting");
    assert.equal(child?.state.timers[0]?.until, "2026-12-01T09:10:00.000Z");

    // Before the time: resuming runs the child, which still waits; the parent records it again.
    const early = await resume(waiting, item.callId);
    assert.equal(early.status, "waiting");
    assert.equal(
      (await threads.load(item.childThreadId))?.events.some((event) => event.type === "timer_fired"),
      false,
    );

    await clock.advance(NAP_MS);
    const done = await resume(early, item.callId);
    assert.equal(done.status, "done");
    const result = done.events.find((event) => event.type === "tool_result");
    assert.ok(result?.type === "tool_result");
    assert.deepEqual([result.result, result.childThreadId], ["healthy after the nap", item.childThreadId]);
    const finished = await threads.load(item.childThreadId);
    assert.equal(finished?.status, "done");
    assert.equal(finished?.events.filter((event) => event.type === "timer_fired").length, 1);
    assert.equal(naps.length, 1, "the nap ran once");
  });

  it("a stored thread with a child paused on a timer reads back the same (schema: childStatus waiting)", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const threads = createMemoryStore({ clock });
    const { releaser, model } = family();
    const start = releaser.start("release v1");
    await threads.create(start);
    const commit = (next: Thread, previous: Thread) => threads.append(next, { expectedVersion: previous.version });
    const waiting = await releaser.run(start, { model, threads, commit, clock });
    const loaded = await threads.load(waiting.id);
    assert.equal(loaded?.status, "waiting");
    const paused = loaded?.events.find((event) => event.type === "child_paused");
    assert.ok(paused?.type === "child_paused");
    assert.equal(paused.childStatus, "waiting");
  });
});
