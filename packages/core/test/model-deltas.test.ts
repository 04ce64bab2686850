/**
 * Streaming is a port: a model tells `request.onDelta` about pieces of its reply, the step hands them
 * to `onModelDelta` with the thread, and nothing of them is stored: the decision is the whole reply,
 * parsed as without streaming.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type ModelDelta } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

function echoAgent(mode: "tools" | "prompt") {
  const echo = defineTool({ intent: "echo", description: "say it back", args: z.object({ text: z.string() }), run: ({ text }) => text });
  return defineAgent({ name: "echo", tools: [echo, doneForNow()], mode });
}

describe("model deltas", () => {
  it("a scripted tool call streams its arguments in pieces; the stored decision is the whole call", async () => {
    const agent = echoAgent("tools");
    const model = new ScriptedModel([{ intent: "echo", text: "a longer text than one piece" }], { chunkSize: 5 });
    const seen: Array<{ delta: ModelDelta; version: number }> = [];
    const start = agent.start("say it");
    const thread = await agent.decide(start, { model, onModelDelta: (delta, at) => seen.push({ delta, version: at.version }) });
    assert.ok(seen.length > 3);
    assert.ok(seen.every(({ delta, version }) => delta.type === "tool_call" && delta.toolName === "echo" && version === start.version));
    const args = seen.map(({ delta }) => (delta.type === "tool_call" ? delta.argsText : "")).join("");
    assert.deepEqual(JSON.parse(args), { text: "a longer text than one piece" });
    const decision = thread.events.at(-1);
    assert.equal(decision?.type, "model_decision");
    assert.deepEqual(
      decision?.type === "model_decision" ? decision.calls.map(({ intent, args: callArgs }) => ({ intent, ...callArgs })) : [],
      [{ intent: "echo", text: "a longer text than one piece" }],
    );
    assert.equal(JSON.stringify(thread.events).includes("argsText"), false, "deltas are never stored");
  });

  it("a reply in prompt mode streams as text", async () => {
    const agent = echoAgent("prompt");
    const reply = '{"intent":"done_for_now","message":"streamed"}';
    const model = new ScriptedModel([reply], { chunkSize: 7 });
    const texts: string[] = [];
    await agent.decide(agent.start("hi"), { model, onModelDelta: (delta) => texts.push(delta.type === "text" ? delta.text : "?") });
    assert.equal(texts.join(""), reply);
    assert.equal(texts.length, Math.ceil(reply.length / 7));
  });

  it("a watcher that throws does not stop the step", async () => {
    const agent = echoAgent("tools");
    const model = new ScriptedModel([{ intent: "done_for_now", message: "fine" }]);
    const thread = await agent.run(agent.start("hi"), {
      model,
      onModelDelta: () => {
        throw new Error("the watcher broke");
      },
    });
    assert.equal(thread.status, "done");
  });

  it("a chunk size that is not a whole positive number is refused with what to pass", () => {
    assert.throws(() => new ScriptedModel([], { chunkSize: 0 }), /chunkSize must be a whole number of characters, at least 1; got 0/);
  });
});
