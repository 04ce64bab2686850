/**
 * Built-in human intents (factor 7): asking a person is itself a structured tool call, and so is
 * saying "done for now". Use them as they are, rename them, or extend their arguments.
 */
import { z } from "zod";
import { defineTool, type HumanQuestion, type RequestDeadlineOptions, type Tool } from "./tools.ts";

// The argument schemas are made on the first call of their factory, not on import: zod schemas take
// time to construct, and importing agentfold should not pay for tools a program may not use.
const questionArgsSchema = () =>
  z.object({
    question: z.string().min(1).describe("What you need to know, phrased for a person"),
    context: z.string().optional().describe("What the person needs to know to answer"),
    urgency: z.enum(["low", "medium", "high"]).optional().describe("How soon an answer is needed"),
    format: z
      .enum(["free_text", "yes_no", "multiple_choice"])
      .optional()
      .describe("The kind of answer expected; multiple_choice needs choices"),
    choices: z.array(z.string()).optional().describe("The options for multiple_choice"),
  });
let questionArgs: ReturnType<typeof questionArgsSchema> | undefined;

/**
 * `request_human_input`: the model asks a person; the thread waits durably for the answer.
 *
 * @example
 * const ask = askHuman({ intent: "request_more_information", description: "ask the user to clarify" });
 */
// Overloads rather than a default type argument: inside `tools: [...]` a default would give way to
// the contextual `string`, and the intent would no longer narrow an own plan's calls.
export function askHuman(options?: {
  description?: string;
  deadline?: RequestDeadlineOptions;
}): Tool<"request_human_input", ReturnType<typeof questionArgsSchema>>;
export function askHuman<const Intent extends string>(options: {
  intent: Intent;
  description?: string;
  deadline?: RequestDeadlineOptions;
}): Tool<Intent, ReturnType<typeof questionArgsSchema>>;
export function askHuman(options: {
  intent?: string | undefined;
  description?: string;
  deadline?: RequestDeadlineOptions;
}): Tool<string, ReturnType<typeof questionArgsSchema>>;
export function askHuman(
  options: { intent?: string | undefined; description?: string; deadline?: RequestDeadlineOptions } = {},
): Tool<string, ReturnType<typeof questionArgsSchema>> {
  return defineTool({
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    intent: options.intent ?? "request_human_input",
    description:
      options.description ?? "Ask a person a question when you need information, a decision or clarification you cannot get otherwise.",
    args: (questionArgs ??= questionArgsSchema()),
    kind: "human",
    toQuestion: (args): HumanQuestion => ({
      question: args.question,
      ...(args.context === undefined ? {} : { context: args.context }),
      ...(args.urgency === undefined ? {} : { urgency: args.urgency }),
      ...(args.format === undefined ? {} : { format: args.format }),
      ...(args.choices === undefined ? {} : { choices: args.choices }),
    }),
  });
}

/** Same as `askHuman()`: the name used in the 12-factor guide. */
export const requestHumanInput = askHuman;

const doneArgsSchema = () =>
  z.object({
    message: z.string().describe("The final answer or summary for the person"),
  });
let doneArgs: ReturnType<typeof doneArgsSchema> | undefined;

/**
 * `done_for_now`: the agent has finished and says so. A later message reopens the thread.
 *
 * @example
 * const done = doneForNow();
 */
export function doneForNow(options?: { description?: string }): Tool<"done_for_now", ReturnType<typeof doneArgsSchema>>;
export function doneForNow<const Intent extends string>(options: {
  intent: Intent;
  description?: string;
}): Tool<Intent, ReturnType<typeof doneArgsSchema>>;
export function doneForNow(options: { intent?: string | undefined; description?: string }): Tool<string, ReturnType<typeof doneArgsSchema>>;
export function doneForNow(
  options: { intent?: string | undefined; description?: string } = {},
): Tool<string, ReturnType<typeof doneArgsSchema>> {
  return defineTool({
    intent: options.intent ?? "done_for_now",
    description: options.description ?? "Finish: give the person your final answer or summary.",
    args: (doneArgs ??= doneArgsSchema()),
    kind: "finish",
    toMessage: (args) => args.message,
  });
}
