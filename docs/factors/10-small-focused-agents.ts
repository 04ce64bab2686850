import { z } from "zod";
import { createMemoryStore, defineAgent, defineTool, doneForNow } from "agentfold";

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

/** Where child threads live: the same store as the parent's, usually. */
export const threads = createMemoryStore();

/** The release agent calls the tester as a tool; each call runs in its own thread with its own limits. */
export const release = defineAgent({
  name: "release",
  tools: [tester.asTool({ threads, intent: "ask_tester" }), doneForNow()],
  limits: { maxSteps: 10 },
});
