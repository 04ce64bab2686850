/**
 * A child agent's model pieces reach the step's `onModelDelta` once for the thread whose model wrote
 * them and once for each ancestor, marked with that thread (`childThreadId`) and placed after the
 * ancestor's events as its tool saw them — also two levels down.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineAgent, doneForNow, type Model, type ModelDelta, type ModelReply, type ModelRequest, type Thread } from "agentfold";
import { createMemoryStore } from "agentfold/testing";

/** Replies by the agent's tools, streaming each reply in two pieces. */
const model: Model = {
  specificationVersion: "v1",
  id: "test:pieces",
  defaultMode: "prompt",
  async generate(request: ModelRequest): Promise<ModelReply> {
    const has = (intent: string) => request.intents.some((spec) => spec.intent === intent);
    const child = has("middle") ? "middle" : has("bottom") ? "bottom" : undefined;
    const reply = JSON.stringify(
      request.turn === 0 && child
        ? { intent: child, message: "go on" }
        : { intent: "done_for_now", message: `done in ${request.threadId}` },
    );
    const half = Math.ceil(reply.length / 2);
    request.onDelta?.({ type: "text", attempt: 1, text: reply.slice(0, half) });
    request.onDelta?.({ type: "text", attempt: 1, text: reply.slice(half) });
    return { output: reply, finishReason: "stop" };
  },
};

describe("child agents' model deltas", () => {
  it("every ancestor hears each piece once, marked with the thread whose model wrote it", async () => {
    const bottom = defineAgent({ name: "bottom", tools: [doneForNow()] });
    const middle = defineAgent({ name: "middle", tools: [bottom.asTool({}), doneForNow()] });
    const top = defineAgent({ name: "top", tools: [middle.asTool({}), doneForNow()] });
    const threads = createMemoryStore();
    const start = top.start("go");
    await threads.create(start);
    const heard: { watcher: string; from: string; after: number; text: string }[] = [];
    const onModelDelta = (delta: ModelDelta, seen: Thread) => {
      if (delta.type === "text")
        heard.push({ watcher: seen.id, from: delta.childThreadId ?? seen.id, after: seen.version, text: delta.text });
    };
    const commit = (next: Thread, previous: Thread) => threads.append(next, { expectedVersion: previous.version });
    const done = await top.run(start, { model, threads, commit, onModelDelta });
    assert.equal(done.status, "done");

    const childOf = (thread: Thread) =>
      thread.events.flatMap((event) => (event.type === "tool_result" && event.childThreadId ? [event.childThreadId] : []))[0] ?? "";
    const middleId = childOf(done);
    const bottomId = childOf((await threads.load(middleId))!);
    assert.ok(middleId && bottomId);
    /** The pieces a watcher heard of one thread's model, joined. */
    const text = (watcher: string, from: string) =>
      heard
        .filter((piece) => piece.watcher === watcher && piece.from === from)
        .map((piece) => piece.text)
        .join("");
    const bottomReply = JSON.stringify({ intent: "done_for_now", message: `done in ${bottomId}` });
    // The bottom's reply, once for itself and once for each ancestor.
    assert.equal(text(bottomId, bottomId), bottomReply);
    assert.equal(text(middleId, bottomId), bottomReply);
    assert.equal(text(start.id, bottomId), bottomReply);
    // The middle's replies reach the top, marked; the top hears its own unmarked; no one else hears them.
    assert.ok(text(start.id, middleId).includes('"intent":"bottom"'));
    assert.equal(heard.filter((piece) => piece.watcher === bottomId && piece.from !== bottomId).length, 0);
    // On the top, a child's pieces come after its tool_started.
    const started = done.events.findIndex((event) => event.type === "tool_started") + 1;
    for (const piece of heard.filter((each) => each.watcher === start.id && each.from !== start.id)) assert.equal(piece.after, started);
  });
});
