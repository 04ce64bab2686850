/**
 * Prompt tests for the calculator, after the 12-factor guide's own: each case is a thread and the
 * step the model must take next. Run them against a real model:
 *
 *   agentfold test examples/calculator --model openai:gpt-4o-mini --runs 5
 *   agentfold test examples/calculator --model ollama:qwen2.5 --runs 10 --threshold 0.8
 *
 * No replies are stored here: a case passes or fails on what the model you choose says.
 */
import type { NewEvent } from "agentfold";
import { hashArgs } from "agentfold/runtime";
import { defineEval, oneOf } from "@agentfold/evals";
import { calculator } from "./agent.ts";

/** The guide's multi-step request, up to the moment 6 + 12 = 18 is known. */
const multiStepRequest = "can you multiply 3 and 4, then divide the result by 2 and then add 12 to that result?";
const endsAt18: NewEvent[] = [
  { type: "user_input", text: multiStepRequest },
  { type: "model_decision", calls: [{ callId: "call_1_0", intent: "multiply", args: { a: 3, b: 4 } }] },
  { type: "tool_started", callId: "call_1_0", intent: "multiply", args: { a: 3, b: 4 }, idempotencyKey: "eval:call_1_0" },
  { type: "tool_result", callId: "call_1_0", intent: "multiply", result: 12 },
  { type: "model_decision", calls: [{ callId: "call_4_0", intent: "divide", args: { a: 12, b: 2 } }] },
  { type: "approval_requested", callId: "call_4_0", intent: "divide", args: { a: 12, b: 2 }, argsHash: hashArgs({ a: 12, b: 2 }) },
  { type: "approval_decision", callId: "call_4_0", approved: true, argsHash: hashArgs({ a: 12, b: 2 }), actor: "user" },
  { type: "tool_started", callId: "call_4_0", intent: "divide", args: { a: 12, b: 2 }, idempotencyKey: "eval:call_4_0" },
  { type: "tool_result", callId: "call_4_0", intent: "divide", result: 6 },
  { type: "model_decision", calls: [{ callId: "call_9_0", intent: "add", args: { a: 6, b: 12 } }] },
  { type: "tool_started", callId: "call_9_0", intent: "add", args: { a: 6, b: 12 }, idempotencyKey: "eval:call_9_0" },
  { type: "tool_result", callId: "call_9_0", intent: "add", result: 18 },
];

/** The guide's unclear request, after the model asked and the person answered. */
const unclearRequest = "can you multiply 3 and fe1iiaff10?";
const clarified: NewEvent[] = [
  { type: "user_input", text: unclearRequest },
  {
    type: "model_decision",
    calls: [{ callId: "call_1_0", intent: "request_more_information", args: { question: "What number did you mean by fe1iiaff10?" } }],
  },
  {
    type: "human_request",
    callId: "call_1_0",
    reason: "question",
    intent: "request_more_information",
    question: "What number did you mean by fe1iiaff10?",
    urgency: "medium",
    format: "free_text",
  },
  { type: "human_response", callId: "call_1_0", text: "lets try 12 instead", actor: "user" },
];

export default defineEval({
  agent: calculator,
  cases: [
    {
      name: "hello! asks for more information",
      thread: "hello!",
      expect: { intent: "request_more_information" },
    },
    {
      name: "multiplies 3 and 4",
      thread: "can you multiply 3 and 4?",
      // Multiplication commutes: either order of the factors is right.
      expect: { intent: "multiply", args: oneOf({ a: 3, b: 4 }, { a: 4, b: 3 }) },
    },
    {
      name: "ends at 18 with done_for_now",
      thread: endsAt18,
      expect: { intent: "done_for_now", args: { message: /\b18\b/ } },
    },
    {
      name: "asks what fe1iiaff10 means",
      thread: unclearRequest,
      expect: { intent: "request_more_information" },
    },
    {
      name: "multiplies by 12 after the clarification",
      thread: clarified,
      expect: { intent: "multiply", args: oneOf({ a: 3, b: 12 }, { a: 12, b: 3 }) },
    },
  ],
});
