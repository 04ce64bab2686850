import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Thread, type Event, type ThreadStatus } from "agentfold";
import { eventSequence } from "./arbitraries.ts";

/**
 * A deliberately naive reference: rescans all events with plain maps and lists. The fold in
 * thread-state.ts must agree with it on every sequence.
 */
function reference(events: readonly Event[]) {
  let terminal: ThreadStatus | null = null;
  let pending = new Map<string, "approval" | "question" | "child_approval" | "child_human">();
  // Open calls as [callId, decision index, started], in order; a call id may repeat in random sequences.
  let open: Array<[string, number, boolean]> = [];
  // Every open call with this id moves to a phase: started (tool_started) or another one.
  const phase = (callId: string, started: boolean) => {
    open = open.map(([id, decision, was]) => [id, decision, id === callId ? started : was]);
  };
  let errors = 0;
  let failedDecision = -1;
  let steps = 0;
  const settle = (callId: string) => {
    pending.delete(callId);
    open = open.filter(([id]) => id !== callId);
  };
  events.forEach((event, index) => {
    switch (event.type) {
      case "user_input":
        terminal = null;
        errors = 0;
        failedDecision = -1;
        break;
      case "model_decision":
        steps++;
        for (const call of event.calls) open.push([call.callId, index, false]);
        break;
      case "approval_requested":
        phase(event.callId, false);
        pending.delete(event.callId);
        pending.set(event.callId, "approval");
        break;
      case "approval_decision":
        phase(event.callId, false);
        if (event.approved) pending.delete(event.callId);
        else settle(event.callId);
        break;
      case "child_resumed":
        phase(event.callId, false);
        pending.delete(event.callId);
        break;
      case "tool_started":
        phase(event.callId, true);
        break;
      case "human_response":
        settle(event.callId);
        errors = 0;
        failedDecision = -1;
        break;
      case "human_request":
        phase(event.callId, false);
        pending.delete(event.callId);
        pending.set(event.callId, "question");
        break;
      case "child_paused":
        phase(event.callId, false);
        pending.delete(event.callId);
        pending.set(event.callId, event.childStatus === "awaiting_approval" ? "child_approval" : "child_human");
        break;
      case "tool_result": {
        const decision = open.find(([id]) => id === event.callId)?.[1];
        settle(event.callId);
        // The step succeeded when its last open call succeeded and none of its calls failed.
        if (decision !== undefined && decision !== failedDecision && !open.some(([, d]) => d === decision)) errors = 0;
        break;
      }
      case "error": {
        const decision = event.callId === undefined ? undefined : open.find(([id]) => id === event.callId)?.[1];
        if (event.callId !== undefined) settle(event.callId);
        if (decision === undefined || decision !== failedDecision) errors++;
        if (decision !== undefined) failedDecision = decision;
        if (event.source !== "tool") steps++;
        break;
      }
      case "done":
      case "failed":
        terminal = event.type;
        pending = new Map();
        open = [];
        break;
      case "cancel":
        // A call running when the cancel came keeps an unknown outcome: it stays open.
        terminal = "canceled";
        pending = new Map();
        open = open.filter(([, , started]) => started);
        break;
      default:
        break;
    }
  });
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
