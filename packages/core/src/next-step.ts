/**
 * The next step as a discriminated union over the agent's intents (factors 1 and 4), its JSON Schema
 * for the model, and tolerant parsing of whatever the model sent back.
 */
import { jsonrepair } from "jsonrepair";
import { formatIssues } from "./thread.ts";
import type { JsonValue } from "./events.ts";
import type { IntentSpec, JsonSchema } from "./model.ts";
import type { AnyTool } from "./tools.ts";

/** One validated call: the intent and its arguments as the model sent them (they passed the schema). */
export interface ParsedCall {
  intent: string;
  args: Record<string, JsonValue>;
}

export type ParseResult = { ok: true; calls: ParsedCall[] } | { ok: false; message: string; raw: string };

/** The intents as the model sees them, one per tool. */
export function intentSpecs(tools: readonly AnyTool[]): IntentSpec[] {
  return tools.map((tool) => ({ intent: tool.intent, description: tool.description, parameters: tool.parameters }));
}

/**
 * JSON Schema of one next step: `anyOf` objects, each `{ intent: const, ...arguments }`.
 *
 * @example
 * nextStepSchema([add, divide]).anyOf[0].properties.intent; // { const: "add", ... }
 */
export function nextStepSchema(tools: readonly AnyTool[]): JsonSchema & { anyOf: JsonSchema[] } {
  return {
    anyOf: tools.map((tool) => {
      const parameters = tool.parameters as { properties?: Record<string, unknown>; required?: string[] };
      return {
        type: "object",
        description: tool.description,
        properties: {
          intent: { type: "string", const: tool.intent },
          ...(parameters.properties ?? {}),
        },
        required: ["intent", ...(parameters.required ?? [])],
        additionalProperties: false,
      };
    }),
  };
}

const maxRaw = 500;

function shorten(text: string): string {
  return text.length > maxRaw ? `${text.slice(0, maxRaw)}… (${text.length - maxRaw} more characters)` : text;
}

/** Finds the JSON in a reply that may have code fences or prose around it. */
function extractJson(text: string): string | undefined {
  const fenced = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/.exec(text);
  if (fenced?.[1]?.trim()) return fenced[1].trim();
  const start = text.search(/[[{]/);
  if (start === -1) return undefined;
  const open = text[start];
  const close = open === "{" ? "}" : "]";
  const end = text.lastIndexOf(close);
  return end > start ? text.slice(start, end + 1) : text.slice(start);
}

/**
 * Parses near-JSON: strict JSON first, then the JSON found inside fences or prose, then a repair
 * (trailing commas, single quotes, missing brackets…). Returns `undefined` when nothing works.
 */
export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {}
  const found = extractJson(text);
  if (found === undefined) return undefined;
  try {
    return JSON.parse(found);
  } catch {}
  try {
    return JSON.parse(jsonrepair(found));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Turns a raw model reply into validated calls, or a compact message saying what was wrong and
 * listing the valid intents, fit to go back into the context window.
 */
export function parseModelOutput(output: unknown, tools: ReadonlyMap<string, AnyTool>): ParseResult {
  const valid = [...tools.keys()].join(", ");
  let value = output;
  const raw = typeof output === "string" ? output : JSON.stringify(output) ?? String(output);
  if (typeof output === "string") {
    value = parseJsonLenient(output);
    if (value === undefined) {
      return {
        ok: false,
        message: `The reply was not JSON. Reply with one JSON object {"intent": ..., ...arguments}. Valid intents: ${valid}.`,
        raw: shorten(raw),
      };
    }
  }
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) {
    return { ok: false, message: `The reply was an empty list. Choose one intent: ${valid}.`, raw: shorten(raw) };
  }
  const calls: ParsedCall[] = [];
  for (const [position, item] of items.entries()) {
    const where = items.length > 1 ? `Call ${position + 1}: ` : "";
    if (!isRecord(item) || typeof item.intent !== "string") {
      return {
        ok: false,
        message: `${where}Each step must be a JSON object with a string "intent". Valid intents: ${valid}.`,
        raw: shorten(raw),
      };
    }
    const tool = tools.get(item.intent);
    if (!tool) {
      return {
        ok: false,
        message: `${where}Unknown intent "${item.intent}". Valid intents: ${valid}.`,
        raw: shorten(raw),
      };
    }
    const { intent: _intent, ...rest } = item;
    let args: Record<string, unknown> = rest;
    // Some models nest arguments as {"intent": "x", "args": {...}}; unwrap when unambiguous.
    const keys = Object.keys(rest);
    const nested = keys.length === 1 && (keys[0] === "args" || keys[0] === "arguments") ? rest[keys[0]] : undefined;
    if (isRecord(nested) && !(keys[0]! in tool.args.shape)) args = nested;
    const parsed = tool.args.safeParse(args);
    if (!parsed.success) {
      return {
        ok: false,
        message: `${where}Invalid arguments for "${tool.intent}": ${formatIssues(parsed.error.issues)}.`,
        raw: shorten(raw),
      };
    }
    // Store what the model sent (validated), not the schema's output: the tool parses it again when
    // it runs, so a schema that transforms (dollars → cents) must see its input shape.
    calls.push({ intent: tool.intent, args: toJsonObject(args) });
  }
  return { ok: true, calls };
}

/** A value as plain JSON (dates become strings, `undefined` is dropped, `bigint` becomes a string). */
export function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  const text = JSON.stringify(value, (_key, inner) => (typeof inner === "bigint" ? inner.toString() : inner));
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function toJsonObject(value: unknown): Record<string, JsonValue> {
  const json = toJson(value);
  return isRecord(json) ? (json as Record<string, JsonValue>) : {};
}
