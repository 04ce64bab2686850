/** fast-check arbitraries for event sequences: valid events, in any order, over a few call ids. */
import fc from "fast-check";
import type { Event } from "agentfold";
import { toJson } from "agentfold/runtime";

const at = fc.constant("2026-11-26T12:00:00.000Z");
const callId = fc.constantFrom("call_1_0", "call_1_1", "call_2_0", "escalation_5");
const intent = fc.constantFrom("add", "divide", "request_human_input", "done_for_now");
const args = fc
  .dictionary(fc.constantFrom("a", "b", "question"), fc.oneof(fc.integer(), fc.string()), { maxKeys: 2 })
  .map((value) => ({ ...value }));
const text = fc.string({ maxLength: 20 });

export const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ type: fc.constant("user_input" as const), at, text }),
  fc.record({
    type: fc.constant("model_decision" as const),
    at,
    calls: fc.array(fc.record({ callId, intent, args }), { minLength: 1, maxLength: 2 }),
    usage: fc.record({ inputTokens: fc.nat(1000), outputTokens: fc.nat(100) }),
  }),
  fc.record({ type: fc.constant("approval_requested" as const), at, callId, intent, args, argsHash: fc.constant("h") }),
  fc.record({
    type: fc.constant("approval_decision" as const),
    at,
    callId,
    approved: fc.boolean(),
    argsHash: fc.constant("h"),
    actor: fc.constant("alex"),
  }),
  fc.record({ type: fc.constant("tool_started" as const), at, callId, intent, args, idempotencyKey: fc.constant("k") }),
  fc.record({ type: fc.constant("tool_result" as const), at, callId, intent, result: fc.oneof(fc.integer(), fc.string()) }),
  fc.record({
    type: fc.constant("error" as const),
    at,
    source: fc.constantFrom("model_output" as const, "model_call" as const, "tool" as const),
    message: text,
  }),
  fc.record({ type: fc.constant("error" as const), at, source: fc.constant("tool" as const), callId, intent, message: text }),
  fc.record({
    type: fc.constant("human_request" as const),
    at,
    callId,
    reason: fc.constantFrom("question" as const, "escalation" as const, "outcome_unknown" as const),
    question: text,
    urgency: fc.constantFrom("low" as const, "medium" as const, "high" as const),
    format: fc.constantFrom("free_text" as const, "yes_no" as const),
  }),
  fc.record({ type: fc.constant("human_response" as const), at, callId, text, actor: fc.constant("alex") }),
  fc.record({
    type: fc.constant("child_paused" as const),
    at,
    callId,
    childThreadId: fc.constant("thr_c"),
    childStatus: fc.constantFrom("awaiting_approval" as const, "awaiting_human" as const),
  }),
  fc.record({ type: fc.constant("child_resumed" as const), at, callId, childThreadId: fc.constant("thr_c") }),
  fc.record({ type: fc.constant("done" as const), at, message: text }),
  fc.record({ type: fc.constant("failed" as const), at, reason: text }),
  fc.record({ type: fc.constant("cancel" as const), at }),
  fc.record({
    type: fc.constant("custom" as const),
    at,
    name: fc.constant("note"),
    data: fc.jsonValue({ maxDepth: 2 }).map((value) => toJson(value)),
  }),
);

export function eventSequence(maxLength = 40): fc.Arbitrary<Event[]> {
  return fc.array(event, { maxLength });
}
