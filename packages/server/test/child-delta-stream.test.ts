/**
 * A child agent's model reply streams to its parent's event stream, over real HTTP: while the
 * parent's tool runs the child, `model_delta` messages marked with the child's thread id
 * (`childThreadId`) come after the parent's `tool_started` and before the call's result; the
 * parent's own pieces are not marked. Nothing of it is stored.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineAgent, doneForNow, type Model, type ModelReply, type ModelRequest } from "agentfold";
import { childThreadId } from "agentfold/runtime";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { startServer, type RunningServer } from "../src/index.ts";
import { frameReader } from "./support/sse-frames.ts";

const childReply = '{"intent":"done_for_now","message":"all checks passed"}';

/** The child's model: waits until the test watches, then writes its reply in pieces of 10 characters. */
function gatedChildModel() {
  const begin = Promise.withResolvers<void>();
  const model: Model = {
    specificationVersion: "v1",
    id: "test:child",
    defaultMode: "prompt",
    async generate(request: ModelRequest): Promise<ModelReply> {
      await begin.promise;
      for (let start = 0; start < childReply.length; start += 10)
        request.onDelta?.({ type: "text", attempt: 1, text: childReply.slice(start, start + 10) });
      return { output: childReply, finishReason: "stop" };
    },
  };
  return { model, begin: () => begin.resolve() };
}

describe("a child agent's model deltas on its parent's stream", () => {
  let server: RunningServer;
  const child = gatedChildModel();
  const checker = defineAgent({ name: "checker", description: "runs the checks", tools: [doneForNow()] });
  const desk = defineAgent({ name: "desk", tools: [checker.asTool({ model: child.model }), doneForNow()] });
  before(async () => {
    server = await startServer({
      store: createMemoryStore(),
      agents: [desk],
      model: new ScriptedModel([
        { intent: "checker", message: "run the checks" },
        { intent: "done_for_now", message: "the checks passed" },
      ]),
      port: 0,
      apiKeys: false,
      onError: () => {},
    });
  });
  after(async () => {
    await server.close();
  });

  it("come marked with the child's thread id, between the parent's tool_started and its result", async () => {
    const response = await fetch(`${server.url}/v1/threads?wait=0`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "desk", message: "check the release" }),
    });
    const parentId = ((await response.json()) as { id: string }).id;
    const stream = frameReader(await fetch(`${server.url}/v1/threads/${parentId}/stream`));
    try {
      const started = await stream.readUntil((frames) => frames.some((frame) => frame.event === "tool_started"));
      const toolStarted = started.find((frame) => frame.event === "tool_started")!;
      child.begin();
      const frames = await stream.readUntil((all) => all.some((frame) => frame.event === "done"));

      const childId = childThreadId(parentId, String(toolStarted.data.callId));
      const childDeltas = frames.filter((frame) => frame.event === "model_delta" && frame.data.childThreadId !== undefined);
      assert.ok(childDeltas.length > 0, JSON.stringify(frames.map((frame) => frame.event)));
      for (const frame of childDeltas) {
        assert.equal(frame.id, undefined, "deltas have no id: they are not stored");
        assert.equal(frame.data.childThreadId, childId);
        // After the parent's events as its tool saw them: the tool_started.
        assert.equal(frame.data.after, Number(toolStarted.id));
      }
      assert.equal(childDeltas.map((frame) => frame.data.text).join(""), childReply);
      const order = frames.map((frame) => (frame.event === "model_delta" && frame.data.childThreadId ? "child_delta" : frame.event));
      const firstChild = order.indexOf("child_delta");
      assert.ok(
        firstChild > order.indexOf("tool_started") && order.lastIndexOf("child_delta") < order.indexOf("tool_result"),
        order.join(" "),
      );
      // The parent's own pieces (its scripted model streams too) are not marked.
      const own = frames.filter((frame) => frame.event === "model_delta" && frame.data.childThreadId === undefined);
      assert.ok(own.length > 0);
      const result = frames.find((frame) => frame.event === "tool_result");
      assert.equal(result?.data.result, "all checks passed");
      const stored = (await (await fetch(`${server.url}/v1/threads/${parentId}`)).json()) as { events: { type: string }[] };
      assert.equal(
        stored.events.some((event) => event.type === "model_delta"),
        false,
      );
    } finally {
      await stream.close();
    }
  });
});
