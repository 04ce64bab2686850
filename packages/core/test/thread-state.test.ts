import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Thread, type Event, type ThreadStatus } from "agentfold";
import { eventSequence } from "./arbitraries.ts";

/**
 * A deliberately naive reference: rescans all events with plain maps. The fold in
 * thread-state.ts must agree with it on every sequence.
 */
function reference(events: readonly Event[]) {
  let terminal: ThreadStatus | null = null;
  let pending = new Map<string, "approval" | "question" | "child_approval" | "child_human">();
  let errors = 0;
  let steps = 0;
  for (const event of events) {
    const settle = (callId: string) => pending.delete(callId);
    switch (event.type) {
      case "user_input":
        terminal = null;
        errors = 0;
        break;
      case "model_decision":
        steps++;
        break;
      case "approval_requested":
        settle(event.callId);
        pending.set(event.callId, "approval");
        break;
      case "approval_decision":
      case "human_response":
      case "child_resumed":
        settle(event.callId);
        if (event.type === "human_response") errors = 0;
        break;
      case "human_request":
        settle(event.callId);
        pending.set(event.callId, "question");
        break;
      case "child_paused":
        settle(event.callId);
        pending.set(event.callId, event.childStatus === "awaiting_approval" ? "child_approval" : "child_human");
        break;
      case "tool_result":
        settle(event.callId);
        errors = 0;
        break;
      case "error":
        if (event.callId) settle(event.callId);
        errors++;
        if (event.source !== "tool") steps++;
        break;
      case "done":
      case "failed":
      case "cancel":
        terminal = event.type === "cancel" ? "canceled" : event.type;
        pending = new Map();
        break;
      default:
        break;
    }
  }
  const kinds = [...pending.values()];
  const status: ThreadStatus =
    terminal ??
    (kinds.some((kind) => kind === "approval" || kind === "child_approval")
      ? "awaiting_approval"
      : kinds.length > 0
        ? "awaiting_human"
        : "running");
  return { status, pending: [...pending.keys()], errors, steps };
}

describe("derived thread state", () => {
  it("agrees with a naive reference on any event sequence (property)", () => {
    fc.assert(
      fc.property(eventSequence(60), (events) => {
        const thread = Thread.create().appendEvents(events);
        const expected = reference(events);
        assert.equal(thread.status, expected.status);
        assert.deepStrictEqual(
          thread.pending.map((item) => item.callId),
          expected.pending,
        );
        assert.equal(thread.consecutiveErrors, expected.errors);
        assert.equal(thread.stepCount, expected.steps);
      }),
      { numRuns: 2000 },
    );
  });

  it("folding in one batch or event by event gives the same state (property)", () => {
    fc.assert(
      fc.property(eventSequence(40), (events) => {
        const batch = Thread.create({ id: "t" }).appendEvents(events);
        let oneByOne = Thread.create({ id: "t" });
        for (const event of events) oneByOne = oneByOne.appendEvents([event]);
        assert.deepStrictEqual(oneByOne.state, batch.state);
      }),
      { numRuns: 300 },
    );
  });

  it("sums usage over model decisions", () => {
    const thread = Thread.start("x").append([
      { type: "model_decision", calls: [{ callId: "c1", intent: "a", args: {} }], usage: { inputTokens: 10, outputTokens: 2, cost: 0.5 } },
      { type: "tool_result", callId: "c1", intent: "a", result: 1 },
      { type: "model_decision", calls: [{ callId: "c2", intent: "a", args: {} }], usage: { inputTokens: 5, outputTokens: 1 } },
    ]);
    assert.deepStrictEqual(thread.state.usage, { inputTokens: 15, outputTokens: 3, cost: 0.5 });
  });
});
