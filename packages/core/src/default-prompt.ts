/**
 * The default prompt. It is a plain function from the prompt context to messages: copy this file
 * into your project, edit it, and pass it as `defineAgent({ prompt })`. Nothing else is hidden.
 */
import type { ModelMessage, OutputMode } from "./model.ts";
import type { IntentSpec } from "./model.ts";

export interface PromptContext {
  /** The agent's name and instructions. */
  agent: { name: string; description: string | undefined; instructions: string | undefined };
  /** The rendered thread: what happened so far (see `xmlContext`). */
  context: string;
  intents: readonly IntentSpec[];
  mode: OutputMode;
}

export type PromptFunction = (context: PromptContext) => ModelMessage[];

function describeType(schema: Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (schema.type === "array" && schema.items && typeof schema.items === "object") {
    return `${describeType(schema.items as Record<string, unknown>)}[]`;
  }
  if (typeof schema.type === "string") return schema.type;
  return JSON.stringify(schema);
}

const described = new WeakMap<readonly IntentSpec[], string>();

function describeIntents(intents: readonly IntentSpec[]): string {
  const cached = described.get(intents);
  if (cached !== undefined) return cached;
  const text = intents
    .map((spec) => {
      const properties = (spec.parameters as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
      const required = new Set((spec.parameters as { required?: string[] }).required ?? []);
      const args = Object.entries(properties)
        .map(([name, schema]) => `${name}${required.has(name) ? "" : "?"}: ${describeType(schema)}`)
        .join(", ");
      const description = spec.description.replace(/[.\s]*$/, "");
      return `- ${spec.intent}: ${description}.${args ? ` Arguments: ${args}.` : ""}`;
    })
    .join("\n");
  described.set(intents, text);
  return text;
}

/**
 * @example
 * const agent = defineAgent({ name: "calculator", tools, prompt: (ctx) => [
 *   ...defaultPrompt(ctx).slice(0, 1),
 *   { role: "user", content: `${ctx.context}\nWhat next?` },
 * ] });
 */
export const defaultPrompt: PromptFunction = ({ agent, context, intents, mode }) => {
  const lines = [
    `You are ${agent.name}${agent.description ? `, ${agent.description}` : ""}.`,
    agent.instructions ?? "",
    "You are working on the thread below. Decide the single next step.",
  ];
  if (mode === "prompt") {
    lines.push(
      "",
      'Reply with one JSON object and nothing else: {"intent": "<intent>", ...its arguments}.',
      "To make several independent calls at once, reply with a JSON array of such objects.",
      "Intents:",
      describeIntents(intents),
    );
  }
  return [
    { role: "system", content: lines.filter((line, index) => line !== "" || index > 2).join("\n") },
    { role: "user", content: `Here is everything that has happened so far:\n\n${context}\nWhat is the next step?` },
  ];
};
