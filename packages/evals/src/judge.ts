/**
 * Model-graded checks: a judge model reads the thread and the step the agent took, and answers a
 * yes/no question with a reason. The judge goes through the same `Model` interface as any agent, so
 * any adapter (or a scripted model in tests) can grade.
 */
import type { Model, ModelReply, ModelRequest, ModelUsage, ToolCall } from "agentfold";
import { parseJsonLenient } from "agentfold/runtime";

/** What the judge said. */
export interface Verdict {
  passed: boolean;
  reason: string;
  usage?: ModelUsage;
}

const verdictParameters = {
  type: "object",
  properties: {
    answer: { type: "string", enum: ["yes", "no"], description: "yes when the step satisfies the question, else no" },
    reason: { type: "string", description: "one sentence saying why" },
  },
  required: ["answer", "reason"],
  additionalProperties: false,
};

const verdictSchema = {
  type: "object",
  properties: { intent: { type: "string", const: "verdict" }, ...verdictParameters.properties },
  required: ["intent", "answer", "reason"],
  additionalProperties: false,
};

/**
 * The messages a judge receives. Plain text on purpose: read it, copy it, change it.
 *
 * @example
 * judgePrompt({ context: agent.render(thread).context, calls, question: "Does it mention 18?" });
 */
export function judgePrompt(input: { context: string; calls: readonly ToolCall[]; question: string }): ModelRequest["messages"] {
  const step = input.calls.map((call) => JSON.stringify({ intent: call.intent, ...call.args })).join("\n");
  return [
    {
      role: "system",
      content: [
        "You grade one step taken by an AI agent. You see what happened before the step, the step itself, and a yes/no question about it.",
        "Answer strictly from what you see. Reply with one JSON object and nothing else:",
        '{"intent": "verdict", "answer": "yes" | "no", "reason": "<one sentence>"}',
      ].join("\n"),
    },
    {
      role: "user",
      content: `What happened before the step:\n\n${input.context}\n\nThe step the agent took:\n${step}\n\nQuestion: ${input.question}`,
    },
  ];
}

function readVerdict(output: unknown): { answer: string; reason: string } | undefined {
  let value = typeof output === "string" ? parseJsonLenient(output) : output;
  if (Array.isArray(value)) value = value[0];
  if (value === null || typeof value !== "object") {
    // A bare "yes" or "no" is an answer too.
    const text = typeof output === "string" ? output.trim().toLowerCase() : "";
    if (/^(yes|no)\b/.test(text)) return { answer: text.slice(0, text.startsWith("yes") ? 3 : 2), reason: String(output).trim() };
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const nested = record.args ?? record.arguments;
  const source = nested !== null && typeof nested === "object" ? (nested as Record<string, unknown>) : record;
  const answer = source.answer ?? source.pass ?? source.passed;
  const normalized =
    typeof answer === "boolean" ? (answer ? "yes" : "no") : typeof answer === "string" ? answer.trim().toLowerCase() : undefined;
  if (normalized !== "yes" && normalized !== "no") return undefined;
  return { answer: normalized, reason: typeof source.reason === "string" ? source.reason : "" };
}

/**
 * Asks `model` whether the step satisfies `question`. An unreadable verdict fails the check with
 * the judge's raw reply, so a confused judge never passes a case silently.
 *
 * @example
 * const verdict = await judgeStep({ model, question: "Does the message mention 18?", context, calls, id: "case-1" });
 * verdict.passed; // true
 */
export async function judgeStep(input: {
  model: Model;
  question: string;
  context: string;
  calls: readonly ToolCall[];
  /** Identifies the judged run (the judge's "thread"). */
  id: string;
  signal?: AbortSignal;
}): Promise<Verdict> {
  const request: ModelRequest = {
    messages: judgePrompt(input),
    schema: verdictSchema,
    intents: [{ intent: "verdict", description: "your verdict on the step", parameters: verdictParameters }],
    mode: input.model.defaultMode ?? "json",
    threadId: input.id,
    turn: 0,
    ...(input.signal ? { signal: input.signal } : {}),
  };
  const reply: ModelReply = await input.model.generate(request);
  const verdict = readVerdict(reply.output);
  const usage = reply.usage ? { usage: reply.usage } : {};
  if (!verdict) {
    const raw = typeof reply.output === "string" ? reply.output : JSON.stringify(reply.output);
    return { passed: false, reason: `the judge's reply has no yes/no answer: ${raw.slice(0, 200)}`, ...usage };
  }
  return { passed: verdict.answer === "yes", reason: verdict.reason || "(no reason given)", ...usage };
}
