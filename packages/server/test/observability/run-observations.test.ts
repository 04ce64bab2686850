import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Thread } from "agentfold";
import { createFakeClock } from "agentfold/testing";
import { createRunReader, type Observation } from "../../src/observability/run-observations.ts";

/** A thread of the calculator, its events stamped by a fake clock that moves `ms` before each append. */
function builder() {
  const clock = createFakeClock("2026-11-30T12:00:00.000Z");
  let thread = Thread.start("divide 3 by 4", { agent: "calculator", clock });
  return {
    clock,
    append(ms: number, events: Parameters<Thread["append"]>[0]) {
      clock.advance(ms);
      thread = thread.append(events, clock);
      return thread;
    },
  };
}

function read(threads: readonly Thread[], readerStartMs = 0) {
  const seen: Observation[] = [];
  const reader = createRunReader((observation) => seen.push(observation), readerStartMs);
  for (const thread of threads) reader.observe(thread);
  return seen;
}

describe("run observations", () => {
  it("a tool started before a crash and run again is a recovery; its run starts at the rerun", () => {
    const thread = builder();
    const decided = thread.append(10, [
      { type: "model_decision", calls: [{ callId: "call_1_0", intent: "work", args: {} }], model: "openai:gpt-test", latencyMs: 5 },
      { type: "tool_started", callId: "call_1_0", intent: "work", args: {}, idempotencyKey: "k", attempt: 1 },
    ]);
    // Another process takes over: the reader starts after the first process's events.
    const readerStart = thread.clock.now().getTime() + 1;
    const rerun = thread.append(1000, [
      { type: "tool_started", callId: "call_1_0", intent: "work", args: {}, idempotencyKey: "k", attempt: 2 },
    ]);
    const finished = thread.append(30, [{ type: "tool_result", callId: "call_1_0", intent: "work", result: "ok" }]);
    const seen = read([decided, rerun, finished], readerStart);
    assert.ok(!seen.some((observation) => observation.kind === "model_call"), "the first process's decision is not reported again");
    const recovery = seen.find((observation) => observation.kind === "recovery");
    assert.deepEqual(recovery && [recovery.reason, recovery.callId, recovery.tool], ["tool_rerun", "call_1_0", "work"]);
    const tool = seen.find((observation) => observation.kind === "tool_run");
    assert.ok(tool?.kind === "tool_run");
    assert.deepEqual([tool.attempt, tool.endMs - tool.startMs, tool.outcome], [2, 30, "ok"]);
  });

  it("a model call that failed after retries spans from the event before its first retry; the run reports queue lag", () => {
    const thread = builder();
    const launched = thread.append(0, []);
    const retried = thread.append(200, [
      { type: "model_call_retried", model: "openai:gpt-test", attempt: 1, waitMs: 100, message: "overloaded", status: 529 },
    ]);
    const failed = thread.append(400, [{ type: "failed", code: "model_unavailable", reason: "The model gave no usable answer." }]);
    const seen = read([launched, retried, failed]);
    const call = seen.find((observation) => observation.kind === "model_call");
    assert.ok(call?.kind === "model_call");
    assert.equal(call.error, "model_unavailable");
    assert.equal(call.model, "openai:gpt-test");
    assert.equal(call.endMs - call.startMs, 600);
    assert.equal(call.retries.length, 1);
    const run = seen.find((observation) => observation.kind === "run_started");
    assert.ok(run?.kind === "run_started");
    assert.equal(run.trigger, "user_input");
    assert.equal(run.queueLagMs, 0);
    const ended = seen.find((observation) => observation.kind === "run_ended");
    assert.ok(ended?.kind === "run_ended");
    assert.equal(ended.status, "failed");
  });
});
