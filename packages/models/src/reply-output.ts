/**
 * Shapes what a provider returned into the core's raw next step, without validating it: the core owns
 * tolerant parsing and schema validation.
 */
import { parseJsonLenient } from "agentfold/runtime";
import type { JsonSchema } from "agentfold";

/** The key the next step is wrapped under when the provider needs an object at the schema root. */
export const wrapperKey = "next_step";

/**
 * Providers' structured-output modes (OpenAI's, Anthropic's) want an object at the root, while the
 * next-step schema is a union. Wrap it: `{ next_step: <union> }`.
 *
 * @example
 * wrapRootUnion({ anyOf: [a, b] }); // { type: "object", properties: { next_step: { anyOf: [a, b] } }, ... }
 */
export function wrapRootUnion(schema: JsonSchema): JsonSchema {
  if (schema.type === "object") return schema;
  const { $defs, definitions, ...rest } = schema as JsonSchema & { $defs?: unknown; definitions?: unknown };
  return {
    type: "object",
    properties: { [wrapperKey]: rest },
    required: [wrapperKey],
    additionalProperties: false,
    ...($defs !== undefined ? { $defs } : {}),
    ...(definitions !== undefined ? { definitions } : {}),
  };
}

/**
 * Undoes `wrapRootUnion` on a JSON-mode reply. The text is parsed leniently first (the core's
 * `parseJsonLenient`: code fences, prose around the JSON, small repairs), then a parsed
 * `{ "next_step": ... }` is unwrapped, so a fenced or prose-wrapped reply reaches the core as the step
 * itself. Anything else is passed through as text, unchanged, for the core's own parsing and errors.
 *
 * @example
 * unwrapJsonText('{"next_step":{"intent":"done"}}'); // { intent: "done" }
 * unwrapJsonText('```json\n{"next_step":{"intent":"done"}}\n```'); // { intent: "done" }
 * unwrapJsonText("not json"); // "not json"
 */
export function unwrapJsonText(text: string): unknown {
  const value = parseJsonLenient(text);
  if (isWrapper(value)) return value[wrapperKey];
  // A model that wrote several wrapped steps one after another.
  if (Array.isArray(value) && value.length > 0 && value.every(isWrapper)) {
    return value.flatMap((item) => item[wrapperKey] as unknown);
  }
  return text;
}

/** `{ "next_step": ... }`, and not a step that happens to have an argument called `next_step`. */
function isWrapper(value: unknown): value is Record<typeof wrapperKey, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && wrapperKey in value && !("intent" in value);
}

export interface RawToolCall {
  toolName: string;
  /** The arguments as JSON text, exactly as the provider sent them. */
  input: string;
}

/**
 * Maps native tool calls to next steps: `{ intent: toolName, ...arguments }`. If any call's arguments
 * are not a JSON object, the reply becomes that raw text, so the core records a readable error event
 * and the model can try again.
 *
 * @example
 * toolCallsToOutput([{ toolName: "add", input: '{"a":1,"b":2}' }]); // { intent: "add", a: 1, b: 2 }
 */
export function toolCallsToOutput(calls: readonly RawToolCall[]): unknown {
  const steps: Array<Record<string, unknown>> = [];
  for (const call of calls) {
    let parsed: unknown;
    try {
      parsed = call.input.trim() === "" ? {} : JSON.parse(call.input);
    } catch {
      return `Tool call "${call.toolName}" had arguments that are not valid JSON: ${call.input}`;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      return `Tool call "${call.toolName}" had arguments that are not a JSON object: ${call.input}`;
    }
    const step: Record<string, unknown> = { intent: call.toolName };
    for (const [key, value] of Object.entries(parsed)) if (key !== "intent") step[key] = value;
    steps.push(step);
  }
  return steps.length === 1 ? steps[0] : steps;
}
