/**
 * Model replies stream on a thread's event stream, over real HTTP: `model_delta` messages carry the
 * pieces as the model writes them, without an id and never stored; the decision that follows is the
 * stored event as without streaming, and a client that reconnects mid-step still gets it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Model, ModelReply, ModelRequest } from "agentfold";
import { createMemoryStore } from "agentfold/testing";
import { startServer, type RunningServer } from "../src/index.ts";
import { createTestAgents } from "./support/test-agent.ts";
import { frameReader, has } from "./support/sse-frames.ts";

const reply = '{"intent":"request_more_information","question":"Which numbers should I divide?"}';

/**
 * Waits for `begin(threadId)` (a client is watching), writes its reply in pieces, then waits for
 * `release(threadId)` before finishing it.
 */
function gatedModel() {
  type Gate = { begin: PromiseWithResolvers<void>; streamed: PromiseWithResolvers<void>; finish: PromiseWithResolvers<void> };
  const gates = new Map<string, Gate>();
  const gate = (threadId: string): Gate => {
    let entry = gates.get(threadId);
    if (!entry) {
      entry = { begin: Promise.withResolvers(), streamed: Promise.withResolvers(), finish: Promise.withResolvers() };
      gates.set(threadId, entry);
    }
    return entry;
  };
  const model: Model = {
    specificationVersion: "v1",
    id: "test:gated",
    defaultMode: "prompt",
    async generate(request: ModelRequest): Promise<ModelReply> {
      const entry = gate(request.threadId);
      await entry.begin.promise;
      for (let start = 0; start < reply.length; start += 10)
        request.onDelta?.({ type: "text", attempt: 1, text: reply.slice(start, start + 10) });
      entry.streamed.resolve();
      await entry.finish.promise;
      return { output: reply, finishReason: "stop" };
    },
  };
  return {
    model,
    begin: (threadId: string) => gate(threadId).begin.resolve(),
    /** Resolves once the model has written every piece for the thread. */
    streamed: (threadId: string) => gate(threadId).streamed.promise,
    release: (threadId: string) => gate(threadId).finish.resolve(),
  };
}

describe("model deltas on the thread stream", () => {
  let server: RunningServer;
  const gated = gatedModel();
  before(async () => {
    server = await startServer({
      store: createMemoryStore(),
      agents: [createTestAgents().calculator],
      model: gated.model,
      port: 0,
      apiKeys: false,
      onError: () => {},
    });
  });
  after(async () => {
    await server.close();
  });

  /** Launches a thread and opens its stream; the model begins once the stream has the user's message. */
  async function launchAndWatch(): Promise<{ threadId: string; stream: ReturnType<typeof frameReader> }> {
    const response = await fetch(`${server.url}/v1/threads?wait=0`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "divide some numbers" }),
    });
    const threadId = ((await response.json()) as { id: string }).id;
    const stream = frameReader(await fetch(`${server.url}/v1/threads/${threadId}/stream`));
    await stream.readUntil(has("user_input"));
    gated.begin(threadId);
    return { threadId, stream };
  }

  it("pieces arrive while the model writes, without ids, before the stored decision", async () => {
    const { threadId, stream } = await launchAndWatch();
    await gated.streamed(threadId);
    await stream.readUntil(has("model_delta"));
    gated.release(threadId);
    const frames = await stream.readUntil(has("model_decision"));
    await stream.close();
    const decisionAt = frames.findIndex((frame) => frame.event === "model_decision");
    const deltas = frames.filter((frame) => frame.event === "model_delta");
    assert.ok(deltas.length >= 2, JSON.stringify(frames));
    assert.equal(
      frames.slice(0, decisionAt).filter((frame) => frame.event === "model_delta").length,
      deltas.length,
      "every piece before the decision",
    );
    assert.ok(deltas.every((frame) => frame.id === undefined && frame.data.type === "model_delta" && frame.data.kind === "text"));
    assert.equal(deltas.map((frame) => frame.data.text).join(""), reply);
    const userInput = frames.find((frame) => frame.event === "user_input");
    assert.ok(
      deltas.every((frame) => frame.data.after === Number(userInput?.id)),
      "each piece names the events the model saw",
    );
    const stored = (await (await fetch(`${server.url}/v1/threads/${threadId}`)).json()) as { events: Array<{ type: string }> };
    assert.ok(!stored.events.some((event) => event.type === "model_delta"), "pieces are never stored");
  });

  it("a client that reconnects mid-step with Last-Event-ID gets the decision", async () => {
    const { threadId, stream } = await launchAndWatch();
    await gated.streamed(threadId);
    const before = await stream.readUntil(has("model_delta"));
    await stream.close();
    assert.ok(!before.some((frame) => frame.event === "model_decision"), "the step is still running");
    const lastId = before.filter((frame) => frame.id !== undefined).at(-1)?.id;
    assert.ok(lastId);
    gated.release(threadId);
    const again = frameReader(await fetch(`${server.url}/v1/threads/${threadId}/stream`, { headers: { "last-event-id": lastId } }));
    const frames = await again.readUntil(has("human_request"));
    await again.close();
    const decision = frames.find((frame) => frame.event === "model_decision");
    assert.ok(decision, JSON.stringify(frames));
    assert.equal(Number(decision.id), Number(lastId) + 1);
    assert.deepEqual(
      (decision.data.calls as Array<{ intent: string }>).map((call) => call.intent),
      ["request_more_information"],
    );
  });
});
