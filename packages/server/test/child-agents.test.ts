import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type ModelRequest } from "agentfold";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { appFetcher, get, post } from "./support/http.ts";

describe("child agents over HTTP", () => {
  it("approving what a child agent waits for lets its parent finish", async () => {
    const store = createMemoryStore();
    const refunds: number[] = [];
    const refund = defineTool({
      intent: "refund",
      description: "refund an amount",
      args: z.object({ amount: z.number() }),
      approval: "required",
      run: ({ amount }) => {
        refunds.push(amount);
        return `refunded ${amount}`;
      },
    });
    const refunder = defineAgent({ name: "refunder", description: "issues refunds", tools: [refund, doneForNow()] });
    const support = defineAgent({ name: "support", tools: [refunder.asTool({ threads: store }), doneForNow()] });
    const isChild = (request: ModelRequest) => request.messages.some((message) => message.content.includes("<user_input>\nrefund $20"));
    const model = new ScriptedModel([
      (request: ModelRequest) => (isChild(request) ? { intent: "refund", amount: 20 } : { intent: "refunder", message: "refund $20" }),
      (request: ModelRequest) => ({ intent: "done_for_now", message: isChild(request) ? "refund issued" : "your refund is on its way" }),
    ]);
    const { app, runner } = createServer({ store, agents: [support, refunder], model, apiKeys: false, onError: () => {} });
    const fetch = appFetcher(app);

    const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
    assert.equal(launched.body.status, "awaiting_approval");
    const waiting = launched.body.pending[0];
    assert.equal(waiting.kind, "child");

    const child = await get(fetch, `/v1/threads/${waiting.childThreadId}`);
    assert.equal(child.body.status, "awaiting_approval");
    const approved = await post(fetch, `/v1/threads/${waiting.childThreadId}/approvals/${child.body.pending[0].callId}`, {
      approved: true,
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");

    // The parent goes on by itself once its child can.
    let parent = await get(fetch, `/v1/threads/${launched.body.id}`);
    for (let tries = 0; tries < 100 && parent.body.status !== "done"; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      parent = await get(fetch, `/v1/threads/${launched.body.id}`);
    }
    assert.equal(parent.body.status, "done");
    const result = parent.body.events.find((event: { type: string }) => event.type === "tool_result");
    assert.equal(result.result, "refund issued");
    assert.deepEqual(refunds, [20]);
    await runner.close();
  });
});
