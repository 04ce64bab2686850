/**
 * The starter agent of a new project and what exercises it: the agent module, its scripted model
 * replies, a unit test written with `ScriptedModel`, and an eval file for `agentfold test`. Kept as
 * source text because these files belong to the user from the moment they are written.
 */

/** The first message of the starter script, and what the scripted model answers. */
export const starterMessage = "how many words are in this sentence";

/** The message `npm run start:approval` sends: its script asks to publish, which needs approval. */
export const approvalMessage = "publish a note saying hello";

/** The word count of {@link starterMessage}, which the scripted model and the eval agree on. */
const starterWordCount = starterMessage.split(/\s+/).length;

/**
 * `agent.ts`: a tool that runs on its own, one that needs a person's approval, and the agent.
 *
 * @example
 * writeFileSync("agent.ts", agentSource);
 */
export const agentSource = `/**
 * A starter agent. It counts words on its own and asks a person before it publishes a note.
 * Change the tools and instructions, or give it your own prompt and context renderer.
 */
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow } from "agentfold";

export const countWords = defineTool({
  intent: "count_words",
  description: "count the words in a text",
  args: z.object({ text: z.string() }),
  run: ({ text }) => text.trim().split(/\\s+/).filter(Boolean).length,
});

export const publishNote = defineTool({
  intent: "publish_note",
  description: "publish a short note for the team",
  args: z.object({ title: z.string(), body: z.string() }),
  // A person approves (or edits, or rejects) every call before it runs.
  approval: "required",
  run: ({ title }) => ({ published: true, title }),
});

export const assistant = defineAgent({
  name: "assistant",
  description: "counts words and publishes notes",
  instructions: "Use one tool per step. Ask when the request is unclear.",
  tools: [countWords, publishNote, askHuman(), doneForNow()],
  limits: { maxSteps: 10, maxConsecutiveErrors: 3 },
});

export default assistant;
`;

/**
 * `agent.test.ts`: the approval flow with a scripted model, run by `node --test`. It imports
 * `./agent.ts` with its extension, as Node's type stripping requires.
 *
 * @example
 * writeFileSync("agent.test.ts", testSource);
 */
export const testSource = `import { test } from "node:test";
import assert from "node:assert/strict";
import { ScriptedModel } from "agentfold/testing";
import { assistant } from "./agent.ts";

test("publishing waits for approval, then runs what was approved", async () => {
  const model = new ScriptedModel([
    { intent: "publish_note", title: "hello", body: "Hi" },
    { intent: "done_for_now", message: "Published." },
  ]);
  let thread = await assistant.run(assistant.start("publish a note saying hi"), { model });
  assert.equal(thread.status, "awaiting_approval");
  const [pending] = thread.pending;
  assert.ok(pending);
  thread = assistant.approve(thread, pending.callId, { args: { title: "hello", body: "Hi!" } });
  thread = await assistant.run(thread, { model });
  assert.equal(thread.status, "done");
});
`;

/**
 * `agent.eval.ts`: two cases of what the next step must be. `npm test` runs them with the replies
 * in `script.json` (offline, so they pass as written); `npx agentfold test --model <spec>` measures
 * a real model on the same cases.
 *
 * @example
 * writeFileSync("agent.eval.ts", evalSource);
 */
export const evalSource = `/**
 * Evals: a thread, and what the agent's next step must be. \`npm test\` runs them with the scripted
 * replies in script.json; measure a real model with, for instance:
 *
 *   npx agentfold test --model openai:gpt-4o-mini --runs 5
 */
import { defineEval } from "@agentfold/evals";
import { assistant } from "./agent.ts";

const question = ${JSON.stringify(starterMessage)};

export default defineEval({
  agent: assistant,
  cases: [
    {
      name: "counts the words it is asked about",
      thread: question,
      expect: { intent: "count_words", args: { text: /this sentence/ } },
    },
    {
      name: "answers with the count once the tool has run",
      thread: [
        { type: "user_input", text: question },
        { type: "model_decision", calls: [{ callId: "call_1_0", intent: "count_words", args: { text: question } }] },
        { type: "tool_started", callId: "call_1_0", intent: "count_words", args: { text: question }, idempotencyKey: "eval:call_1_0" },
        { type: "tool_result", callId: "call_1_0", intent: "count_words", result: ${starterWordCount} },
      ],
      expect: { intent: "done_for_now", args: { message: /\\b${starterWordCount}\\b/ } },
    },
  ],
});
`;

/** The scripted replies `npm start` and `npm test` use: count the words, then answer. */
export const starterScript = {
  steps: [
    { intent: "count_words", text: starterMessage },
    { intent: "done_for_now", message: `"${starterMessage}" has ${starterWordCount} words.` },
  ],
};

/**
 * The scripted replies of `npm run start:approval`: a call that waits for a person's approval. The
 * last reply is written before anyone decides, so it must be true after a rejection too.
 */
export const approvalScript = {
  steps: [
    { intent: "publish_note", title: "hello", body: "Hello from my first agent." },
    { intent: "done_for_now", message: "Finished: the note was published if you approved it, and not if you rejected it." },
  ],
};
