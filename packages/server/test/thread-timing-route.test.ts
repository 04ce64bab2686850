/** `GET /v1/threads/:id/timing`: core's `timingRows` of a stored thread, as the CLI prints them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Thread } from "agentfold";
import { hashArgs, timingRows } from "agentfold/runtime";
import { createFakeClock, createMemoryStore } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { appFetcher, get } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

describe("GET /v1/threads/:id/timing", () => {
  it("answers the thread's waterfall rows: the model call with tokens, cost and retries, the wait, the tool run", async () => {
    const clock = createFakeClock("2026-11-30T12:00:00.000Z");
    const args = { a: 3, b: 4 };
    let thread = Thread.start("divide 3 by 4", { agent: "calculator", clock });
    const after = (ms: number, events: Parameters<Thread["append"]>[0]) => {
      clock.advance(ms);
      thread = thread.append(events, clock);
    };
    after(200, [{ type: "model_call_retried", model: "script:test", attempt: 1, waitMs: 100, message: "overloaded", status: 529 }]);
    after(600, [
      {
        type: "model_decision",
        calls: [{ callId: "call-1", intent: "divide", args }],
        model: "script:test",
        latencyMs: 800,
        usage: { inputTokens: 412, outputTokens: 18, cost: 0.00021 },
      },
      { type: "approval_requested", callId: "call-1", intent: "divide", args, argsHash: hashArgs(args) },
    ]);
    after(3000, [
      { type: "approval_decision", callId: "call-1", approved: true, argsHash: hashArgs(args), actor: "ann" },
      { type: "tool_started", callId: "call-1", intent: "divide", args, idempotencyKey: "k" },
    ]);
    after(12, [{ type: "tool_result", callId: "call-1", intent: "divide", result: 0.75 }]);
    const store = createMemoryStore();
    await store.create(thread);
    const agents = createTestAgents();
    const { app } = createServer({ store, agents: [agents.calculator], model: createTestModel(), apiKeys: false, onError: () => {} });
    const fetch = appFetcher(app);

    const response = await get(fetch, `/v1/threads/${thread.id}/timing`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, { id: thread.id, status: "running", timing: JSON.parse(JSON.stringify(timingRows(thread.events))) });
    assert.deepEqual(
      response.body.timing.map((row: { kind: string; step: number; durationMs: number }) => [row.kind, row.step, row.durationMs]),
      [
        ["model", 1, 800],
        ["wait", 1, 3000],
        ["tool", 1, 12],
      ],
    );
    assert.deepEqual(response.body.timing[0].tokens, { input: 412, output: 18 });
    assert.equal(response.body.timing[0].cost, 0.00021);
    assert.equal(response.body.timing[0].retries, 1);

    const missing = await get(fetch, "/v1/threads/thr_missing/timing");
    assert.equal(missing.status, 404);
    const document = await get(fetch, "/openapi.json");
    assert.ok(document.body.paths["/v1/threads/{id}/timing"].get, "documented in /openapi.json");
    assert.ok(document.body.components.schemas.TimingRow, "with its row schema");
  });
});
