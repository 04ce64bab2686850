/** `timingRows`: a thread's model calls, tool runs and waits as a waterfall, grouped by step. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Thread } from "agentfold";
import { timingRows } from "agentfold/runtime";
import { createFakeClock } from "agentfold/testing";

/** A thread built step by step on a fake clock: `after(ms, events)` appends the events `ms` later. */
function timedThread() {
  const clock = createFakeClock("2026-11-30T12:00:00.000Z");
  let thread = Thread.start("divide 3 by 4, then ask me", { agent: "calculator", clock });
  return {
    after(ms: number, events: Parameters<Thread["append"]>[0]) {
      clock.advance(ms);
      thread = thread.append(events, clock);
    },
    get events() {
      return thread.events;
    },
  };
}

test("each step's model call and tool runs, with tokens, cost, retries, attempts, failures and waits", () => {
  const thread = timedThread();
  thread.after(300, [{ type: "model_call_retried", model: "m", attempt: 1, waitMs: 200, message: "overloaded", status: 529 }]);
  thread.after(100, [{ type: "model_call_retried", model: "m", attempt: 2, waitMs: 400, message: "overloaded", status: 529 }]);
  thread.after(800, [
    {
      type: "model_decision",
      calls: [
        { callId: "call_1_0", intent: "divide", args: { a: 3, b: 4 } },
        { callId: "call_1_1", intent: "add", args: { a: 1, b: 2 } },
      ],
      model: "m",
      latencyMs: 1200,
      usage: { inputTokens: 120, outputTokens: 9, cost: 0.002 },
    },
    { type: "approval_requested", callId: "call_1_0", intent: "divide", args: { a: 3, b: 4 }, argsHash: "h" },
    { type: "tool_started", callId: "call_1_1", intent: "add", args: { a: 1, b: 2 }, idempotencyKey: "k1" },
  ]);
  thread.after(50, [{ type: "error", source: "tool", callId: "call_1_1", message: "add failed" }]);
  thread.after(4000, [
    { type: "approval_decision", callId: "call_1_0", approved: true, argsHash: "h", actor: "ann" },
    { type: "tool_started", callId: "call_1_0", intent: "divide", args: { a: 3, b: 4 }, idempotencyKey: "k0", attempt: 2 },
  ]);
  thread.after(25, [{ type: "tool_result", callId: "call_1_0", intent: "divide", result: 0.75 }]);
  thread.after(500, [
    {
      type: "model_decision",
      calls: [{ callId: "call_2_0", intent: "request_more_information", args: { question: "and then?" } }],
      model: "m",
      latencyMs: 500,
      usage: { inputTokens: 200, outputTokens: 12 },
    },
    { type: "human_request", callId: "call_2_0", question: "and then?", reason: "question", urgency: "low", format: "free_text" },
  ]);

  assert.deepEqual(timingRows(thread.events), [
    {
      kind: "model",
      step: 1,
      label: "chat m",
      startMs: 0,
      durationMs: 1200,
      tokens: { input: 120, output: 9 },
      cost: 0.002,
      retries: 2,
      details: ["120 in / 9 out tokens", "$0.002", "2 retries"],
    },
    { kind: "wait", step: 1, label: "approval of divide call_1_0", startMs: 1200, durationMs: 4050, actor: "ann", details: ["by ann"] },
    { kind: "tool", step: 1, label: "add call_1_1", startMs: 1200, durationMs: 50, failed: true, details: ["failed"] },
    { kind: "tool", step: 1, label: "divide call_1_0", startMs: 5250, durationMs: 25, attempt: 2, details: ["attempt 2"] },
    {
      kind: "model",
      step: 2,
      label: "chat m",
      startMs: 5275,
      durationMs: 500,
      tokens: { input: 200, output: 12 },
      details: ["200 in / 12 out tokens"],
    },
    { kind: "wait", step: 2, label: "answer to call_2_0", startMs: 5775, durationMs: 0, running: true, details: ["waiting"] },
  ]);
});

test("a tool still running has no duration yet; a result without a start (a prefetch) makes no row; no events, no rows", () => {
  const thread = timedThread();
  thread.after(10, [{ type: "tool_result", callId: "prefetch_0", intent: "list_tags", result: [] }]);
  thread.after(10, [
    { type: "model_decision", calls: [{ callId: "call_1_0", intent: "add", args: {} }] },
    { type: "tool_started", callId: "call_1_0", intent: "add", args: {}, idempotencyKey: "k" },
  ]);
  assert.deepEqual(timingRows(thread.events), [
    { kind: "model", step: 1, label: "chat model", startMs: 20, durationMs: 0, details: [] },
    { kind: "tool", step: 1, label: "add call_1_0", startMs: 20, durationMs: 0, running: true, details: [] },
  ]);
  assert.deepEqual(timingRows([]), []);
});
