import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, ModelCallError, type Model, type ModelRequest } from "agentfold";
import { childLinksOf, findThreadAgent } from "agentfold/runtime";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";

const isChild = (request: ModelRequest) => request.messages.some((message) => message.content.includes("<user_input>\nship it"));

describe("child agents in the step's store", () => {
  it("a child made without a store lives in the store its parent's step was given", async () => {
    const threads = createMemoryStore();
    const child = defineAgent({ name: "shipper", tools: [doneForNow()] });
    const parent = defineAgent({ name: "orders", tools: [child.asTool({}), doneForNow()] });
    const model = new ScriptedModel([
      (request: ModelRequest) =>
        isChild(request) ? { intent: "done_for_now", message: "shipped" } : { intent: "shipper", message: "ship it" },
      { intent: "done_for_now", message: "on its way" },
    ]);
    const start = parent.start("send my order");
    await threads.create(start);
    const commit = (next: typeof start, previous: typeof start) => threads.append(next, { expectedVersion: previous.version });
    const thread = await parent.run(start, { model, threads, commit });
    assert.equal(thread.status, "done");
    const result = thread.events.find((event) => event.type === "tool_result");
    assert.ok(result?.type === "tool_result" && result.childThreadId);
    const stored = await threads.load(result.childThreadId);
    assert.equal(stored?.status, "done");
    // Found through the parent's tool: only the parent is known by name.
    const byName = (name: string) => (name === "orders" ? parent : undefined);
    assert.equal(await findThreadAgent(stored!, { byName, load: (id) => threads.load(id) }), child);
  });

  it("without any store, the child's call fails with what to pass", async () => {
    const child = defineAgent({ name: "shipper", tools: [doneForNow()] });
    const parent = defineAgent({ name: "orders", tools: [child.asTool({}), doneForNow()] });
    const model = new ScriptedModel([{ intent: "shipper", message: "ship it" }]);
    await assert.rejects(
      parent.run(parent.start("send my order"), { model }),
      /pass the parent's store as agent\.run\(thread, \{ model, threads \}\)/,
    );
  });

  it("once an ancestor's cancel is stored, no tool of the child starts", async () => {
    const threads = createMemoryStore();
    const shipped: string[] = [];
    const ship = defineTool({
      intent: "ship",
      description: "ship a parcel",
      args: z.object({ parcel: z.string() }),
      run: ({ parcel }) => {
        shipped.push(parcel);
        return "shipped";
      },
    });
    const child = defineAgent({ name: "shipper", tools: [ship, doneForNow()] });
    const parent = defineAgent({ name: "orders", tools: [child.asTool({}), doneForNow()] });
    let parentId = "";
    const model: Model = {
      specificationVersion: "v1",
      id: "test:cancel-while-deciding",
      async generate(request) {
        if (!isChild(request)) return { output: { intent: "shipper", message: "ship it" }, finishReason: "stop" };
        // A person cancels the parent (in another process) while the child decides.
        const stored = (await threads.load(parentId))!;
        await threads.append(parent.cancel(stored, { reason: "stop" }), { expectedVersion: stored.version });
        return { output: { intent: "ship", parcel: "p1" }, finishReason: "stop" };
      },
    };
    const start = parent.start("send my order");
    parentId = start.id;
    await threads.create(start);
    await parent
      .run(start, { model, threads, commit: (next, previous) => threads.append(next, { expectedVersion: previous.version }) })
      .catch(() => {
        // The parent's own run stops on the cancel (a version conflict), as any run does.
      });
    assert.deepEqual(shipped, [], "the child's tool never ran");
    const parentThread = (await threads.load(parentId))!;
    assert.equal(parentThread.status, "canceled");
    const [link] = childLinksOf(parentThread);
    const stored = (await threads.load(link!.threadId))!;
    assert.equal(stored.status, "canceled");
    const error = stored.events.find((event) => event.type === "error");
    assert.ok(error?.type === "error");
    assert.match(error.message, new RegExp(`Not run: Its ancestor thread ${parentId} was canceled`));
  });

  it("a child whose model is misconfigured fails its parent with the same code, once; resuming the parent goes on", async () => {
    const threads = createMemoryStore();
    let keyFixed = false;
    const childModel: Model = {
      specificationVersion: "v1",
      id: "child-model",
      async generate(request) {
        if (!keyFixed) throw new ModelCallError("Incorrect API key provided.", { retryable: false, status: 401 });
        return { output: { intent: "done_for_now", message: "shipped" }, usage: { inputTokens: 1, outputTokens: 1 }, request } as never;
      },
    };
    const child = defineAgent({ name: "shipper", tools: [doneForNow()] });
    const parent = defineAgent({ name: "orders", tools: [child.asTool({ model: childModel }), doneForNow()] });
    const parentModel = new ScriptedModel([
      { intent: "shipper", message: "ship it" },
      { intent: "shipper", message: "ship it" },
      { intent: "done_for_now", message: "on its way" },
    ]);
    const start = parent.start("send my order");
    await threads.create(start);
    const commit = (next: typeof start, previous: typeof start) => threads.append(next, { expectedVersion: previous.version });
    const failed = await parent.run(start, { model: parentModel, threads, commit });
    assert.equal(failed.status, "failed");
    assert.equal(failed.state.failureCode, "model_misconfigured");
    // One call of the child, one error: no rounds of the parent's model, no question for a person.
    assert.equal(failed.events.filter((event) => event.type === "model_decision").length, 1);
    assert.equal(failed.events.filter((event) => event.type === "human_request").length, 0);
    assert.match(
      failed.lastEvent?.type === "failed" ? failed.lastEvent.reason : "",
      /Child agent shipper failed in thread .*HTTP 401.*Resume this thread/,
    );

    keyFixed = true;
    const resumed = parent.resume(failed);
    await commit(resumed, failed);
    const done = await parent.run(resumed, { model: parentModel, threads, commit });
    assert.equal(done.status, "done");
  });
});
