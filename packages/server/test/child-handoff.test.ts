/**
 * A child agent that hands off, under the server over HTTP: only the parent's agent is registered;
 * the agent the child hands to goes on as the child, its approval is decided on the child's thread
 * (the server finds that agent through the child's handoff tools), and the parent finishes by itself
 * with that agent's answer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type ModelRequest } from "agentfold";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { appFetcher, get, post } from "./support/http.ts";

const has = (request: ModelRequest, intent: string) => request.intents.some((spec) => spec.intent === intent);

describe("a child agent that hands off, over HTTP", () => {
  it("the agent handed to asks for approval on the child's thread; once approved the parent finishes with its answer", async () => {
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
    const billing = defineAgent({ name: "billing", tools: [refund, doneForNow()] });
    const triage = defineAgent({ name: "triage", tools: [billing.asHandoff(), doneForNow()] });
    const support = defineAgent({ name: "support", tools: [triage.asTool({}), doneForNow()] });
    const model = new ScriptedModel(
      Array.from({ length: 3 }, (_, turn) => (request: ModelRequest) => {
        if (has(request, "transfer_to_billing")) return { intent: "transfer_to_billing", reason: "a refund of $20" };
        if (has(request, "refund"))
          return turn === 1 ? { intent: "refund", amount: 20 } : { intent: "done_for_now", message: "billing refunded $20" };
        return turn === 0 ? { intent: "triage", message: "refund $20" } : { intent: "done_for_now", message: "your refund is on its way" };
      }),
    );
    const { app, runner } = createServer({ store: createMemoryStore(), agents: [support], model, apiKeys: false, onError: () => {} });
    const fetch = appFetcher(app);
    try {
      const launched = await post(fetch, "/v1/threads", { agent: "support", message: "I want my $20 back" });
      assert.equal(launched.body.status, "awaiting_approval", JSON.stringify(launched.body));
      const { childThreadId } = launched.body.pending[0];

      const child = await get(fetch, `/v1/threads/${childThreadId}`);
      assert.equal(child.body.status, "awaiting_approval");
      // `agent` is who drives it now; the handoff is on the child's timeline.
      assert.equal(child.body.agent, "billing");
      assert.ok(child.body.events.some((event: { type: string; to?: string }) => event.type === "handoff" && event.to === "billing"));
      const approval = child.body.pending[0];
      assert.equal(approval.intent, "refund");

      const approved = await post(fetch, `/v1/threads/${childThreadId}/approvals/${approval.callId}`, { approved: true });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, "done");
      const parent = await get(fetch, `/v1/threads/${launched.body.id}`);
      assert.equal(parent.body.status, "done");
      assert.equal(parent.body.events.find((event: { type: string }) => event.type === "tool_result").result, "billing refunded $20");
      assert.deepEqual(refunds, [20]);
    } finally {
      await runner.close();
    }
  });
});
