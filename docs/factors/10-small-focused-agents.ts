import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "agentfold";

const runTests = defineTool({
  intent: "run_tests",
  description: "run the test suite of a service",
  args: z.object({ service: z.string() }),
  run: ({ service }) => ({ service, passed: 412, failed: 0 }),
});

/** A small agent that does one thing in a few steps. */
export const tester = defineAgent({
  name: "tester",
  description: "runs a service's tests and reports",
  tools: [runTests, doneForNow()],
  limits: { maxSteps: 5 },
});

/**
 * The release agent calls the tester as a tool; each call runs in its own thread, in the release
 * thread's store (the runner's, or `threads` given to `run`), with the tester's own limits.
 */
export const release = defineAgent({
  name: "release",
  tools: [tester.asTool({ intent: "ask_tester" }), doneForNow()],
  limits: { maxSteps: 10 },
});

const refund = defineTool({
  intent: "refund",
  description: "refund an order",
  args: z.object({ orderId: z.string() }),
  approval: "required",
  run: ({ orderId }) => ({ refunded: orderId }),
});

/** Billing takes over a conversation it is handed: from then on it drives the thread. */
export const billing = defineAgent({ name: "billing", description: "refunds and invoices", tools: [refund, doneForNow()] });

/**
 * Triage hands the conversation over instead of calling billing as a tool: a `handoff` event records
 * it, and every later step — in any process, under `serve` or the CLI — is billing's.
 */
export const triage = defineAgent({ name: "triage", tools: [billing.asHandoff(), doneForNow()] });
