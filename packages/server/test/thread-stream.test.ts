import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SSEStreamingApi } from "hono/streaming";
import { createMemoryStore } from "agentfold/testing";
import { createRunner } from "../src/index.ts";
import { pollDelay, streamThread } from "../src/thread-stream.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

/** A stream that records what is written and can be closed like a client going away. */
function fakeStream() {
  const ids: string[] = [];
  let abort = () => {};
  const stream = {
    write: async (frame: string) => {
      const id = /^id: (\d+)$/m.exec(frame)?.[1];
      if (id !== undefined) ids.push(id);
      return stream;
    },
    onAbort: (listener: () => void) => {
      abort = listener;
    },
  };
  return { stream: stream as unknown as SSEStreamingApi, ids, close: () => abort() };
}

describe("thread stream", () => {
  it("backs off polling for a finished thread and still sees a message appended by another process", async () => {
    const { calculator } = createTestAgents();
    const store = createMemoryStore();
    const runner = createRunner({ store, agents: [calculator], model: createTestModel() });
    const thread = calculator.start("divide 3 by 4");
    await store.create(thread);
    const waiting = (await runner.advance(thread.id)).thread!;
    const done = calculator.cancel(waiting, { actor: "ann" });
    await store.append(done, { expectedVersion: waiting.version });
    let loads = 0;
    const counted = {
      ...store,
      load: (id: string) => {
        loads += 1;
        return store.load(id);
      },
    };
    const { stream, ids, close } = fakeStream();
    const streaming = streamThread(stream, {
      store: counted,
      runner,
      threadId: thread.id,
      after: 0,
      pollIntervalMs: 20,
      keepAliveMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(ids.length, done.version);
    // 20, 40, 80, 160, 320 ms…: a handful of loads, not one every 20 ms (35).
    assert.ok(loads <= 7, `${loads} loads`);
    // Another process reopens it with a message (not through this process's runner).
    const reopened = calculator.message(done, "try again", { actor: "bob" });
    await store.append(reopened, { expectedVersion: done.version });
    const started = Date.now();
    while (ids.length < reopened.version && Date.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(ids.length, reopened.version, "the message was streamed");
    close();
    await streaming;
  });

  it("polls a running thread often, a waiting one less, a finished one least", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 10].map((idle) => pollDelay("running", idle, 250)),
      [250, 500, 1000, 1000, 1000],
    );
    assert.equal(pollDelay("awaiting_approval", 10, 250), 2000);
    assert.equal(pollDelay("done", 10, 250), 10_000);
    assert.equal(pollDelay("canceled", 0, 250), 250);
  });
});
