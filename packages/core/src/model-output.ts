/**
 * The model's output: the next step as a discriminated union over the agent's intents (factors 1
 * and 4), its JSON Schema for the model (`nextStepSchema`), and tolerant parsing of whatever the
 * model sent back (`parseModelOutput`).
 */
import type { jsonrepair } from "jsonrepair";
import type { JsonValue } from "./events.ts";
import { requireOnFirstUse } from "./lazy-require.ts";
import type { IntentSpec, JsonSchema, ModelReply } from "./model.ts";
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

/** Rewrites `#/$defs/<name>` references inside a schema to point at renamed definitions. */
function renameRefs(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, rename));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof inner === "string" && inner.startsWith("#/$defs/")
        ? `#/$defs/${rename(inner.slice("#/$defs/".length))}`
        : renameRefs(inner, rename);
  }
  return out;
}

/**
 * JSON Schema of one next step: `anyOf` objects, each `{ intent: const, ...arguments }`. Shared or
 * recursive argument schemas (`$defs`) are hoisted to the root, prefixed with their intent.
 *
 * @example
 * nextStepSchema([add, divide]).anyOf[0].properties.intent; // { const: "add", ... }
 */
export function nextStepSchema(tools: readonly AnyTool[]): JsonSchema & { anyOf: JsonSchema[] } {
  const definitions: Record<string, unknown> = {};
  const anyOf = tools.map((tool) => {
    const rename = (name: string) => `${tool.intent}__${name}`;
    const parameters = renameRefs(tool.parameters, rename) as {
      properties?: Record<string, unknown>;
      required?: string[];
      $defs?: Record<string, unknown>;
    };
    for (const [name, definition] of Object.entries(parameters.$defs ?? {})) definitions[rename(name)] = definition;
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
  });
  return Object.keys(definitions).length > 0 ? { anyOf, $defs: definitions } : { anyOf };
}

const maxRaw = 500;

function shorten(text: string): string {
  return text.length > maxRaw ? `${text.slice(0, maxRaw)}… (${text.length - maxRaw} more characters)` : text;
}

/** Top-level balanced `{…}` and `[…]` spans of a text, skipping over JSON strings; an unclosed one last. */
function balancedSpans(text: string): string[] {
  const spans: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"' && depth > 0) {
      inString = true;
    } else if (char === "{" || char === "[") {
      if (depth === 0) start = index;
      depth++;
    } else if ((char === "}" || char === "]") && depth > 0) {
      depth--;
      if (depth === 0) spans.push(text.slice(start, index + 1));
    }
  }
  if (depth > 0 && start >= 0) spans.push(text.slice(start));
  return spans;
}

/** jsonrepair, loaded the first time a reply is not valid JSON; `null` where it cannot be loaded. */
let repair: typeof jsonrepair | null | undefined;

function parseCandidate(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {}
  // Without require (not Node), text that is not JSON stays unparsed: the model reads an error and tries again.
  repair ??= (requireOnFirstUse("jsonrepair") as { jsonrepair: typeof jsonrepair } | undefined)?.jsonrepair ?? null;
  if (!repair) return undefined;
  try {
    return JSON.parse(repair(text));
  } catch {
    return undefined;
  }
}

const isStep = (value: unknown): boolean => isRecord(value) && typeof value.intent === "string";
const isSteps = (value: unknown): boolean => isStep(value) || (Array.isArray(value) && value.length > 0 && value.every(isStep));

/**
 * Parses near-JSON from a model reply: the whole text, then each code fence, then each balanced
 * `{…}`/`[…]` in the prose (repairing trailing commas, single quotes, missing brackets…), skipping
 * `<think>` blocks. Prefers what looks like a next step (`{ "intent": … }` or a list of them);
 * several step objects one after another become a list. Returns `undefined` when nothing parses.
 */
export function parseJsonLenient(text: string): unknown {
  const stripped = text.replace(/<think>[\s\S]*?<\/think>/gi, "").trim();
  const whole = [stripped];
  for (const match of stripped.matchAll(/```[a-zA-Z]*[^\S\n]*\n?([\s\S]*?)```/g)) whole.push((match[1] ?? "").trim());
  let fallback: unknown;
  for (const candidate of whole) {
    const value = parseCandidate(candidate);
    if (isSteps(value)) return value;
    fallback ??= value;
  }
  const spans = balancedSpans(stripped).map(parseCandidate);
  const steps = spans.filter(isSteps);
  if (steps.length === 1) return steps[0];
  if (steps.length > 1) return steps.flat();
  return spans.find((value) => value !== undefined) ?? (typeof fallback === "object" ? fallback : undefined);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function rawText(output: unknown): string {
  return typeof output === "string" ? output : (JSON.stringify(output) ?? String(output));
}

/**
 * The error for a reply the model did not finish: cut off at the output-token limit (`length`) or
 * interrupted. Such a reply is refused before any parsing. A cut-off `{"intent":"multiply","a":3,"b":1250}`
 * can arrive as `…"b":12`, which is valid once repaired and would run with the wrong number; a cut-off
 * list can lose whole calls and still parse.
 *
 * Only the model's own word is trusted here. Without a finish reason (an adapter that does not
 * report one) the tolerant parser still completes unclosed brackets: small models often leave the
 * last `}` off a finished reply, and prose, fences and trailing commas are repaired the same way.
 * The adapters agentfold ships report the finish reason, so for them a cut-off reply is never
 * mistaken for a sloppy one.
 */
export function incompleteReply(reply: Pick<ModelReply, "output" | "finishReason" | "usage">): (ParseResult & { ok: false }) | undefined {
  if (reply.finishReason !== "length" && reply.finishReason !== "interrupted") return undefined;
  const tokens = reply.usage?.outputTokens;
  const counted = typeof tokens === "number" && Number.isInteger(tokens) && tokens > 0 ? ` after ${tokens} tokens` : "";
  const message =
    reply.finishReason === "length"
      ? `Your reply was cut off at the output limit${counted}, so none of it was run. Reply with a shorter step (fewer calls, shorter arguments).`
      : `Your reply was interrupted before it was complete${counted}, so none of it was run. Reply with the step again.`;
  return { ok: false, message, raw: shorten(rawText(reply.output)) };
}

/**
 * Turns a raw model reply into validated calls, or a compact message saying what was wrong and
 * listing the valid intents, fit to go back into the context window.
 */
export function parseModelOutput(output: unknown, tools: ReadonlyMap<string, AnyTool>): ParseResult {
  const valid = [...tools.keys()].join(", ");
  let value = output;
  const raw = rawText(output);
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
    let nested = keys.length === 1 && (keys[0] === "args" || keys[0] === "arguments") ? rest[keys[0]] : undefined;
    // OpenAI-style tool calls carry the arguments as a JSON string.
    if (typeof nested === "string") nested = parseCandidate(nested);
    if (isRecord(nested) && !tool.argKeys.has(keys[0]!)) args = nested;
    const parsed = tool.checkArgs(args);
    if (!parsed.ok) {
      return {
        ok: false,
        message: `${where}Invalid arguments for "${tool.intent}": ${parsed.message}.`,
        raw: shorten(raw),
      };
    }
    // Store what the model sent (validated), not the schema's output: the tool parses it again when
    // it runs, so a schema that transforms (dollars → cents) must see its input shape.
    calls.push({ intent: tool.intent, args: toJsonObject(args) });
  }
  return { ok: true, calls };
}

/**
 * A value as plain JSON (dates become strings, `undefined` is dropped, `bigint` becomes a string).
 * Throws on what JSON cannot hold, such as a circular structure.
 */
export function toJson(value: unknown): JsonValue {
  return copyJson(value, []) ?? null;
}

/**
 * A copy with JSON.stringify's rules (toJSON, dropped undefined and functions, non-finite numbers as
 * null), plus: `bigint` as a string, no `__proto__` keys (they could not be loaded back safely).
 * Hand-written because it runs on every tool result and model reply; `undefined` means "omit".
 */
function copyJson(value: unknown, parents: object[]): JsonValue | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // JSON has no -0 and no NaN or Infinity.
      return Number.isFinite(value) ? value + 0 : null;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const object = value as { toJSON?: (key: string) => unknown };
  if (typeof object.toJSON === "function") return copyJson(object.toJSON(""), parents);
  if (parents.includes(object)) throw new TypeError("Converting circular structure to JSON");
  parents.push(object);
  let copy: JsonValue;
  if (Array.isArray(object)) {
    const list: JsonValue[] = [];
    // A loop, not map(): holes in a sparse array become null, as in JSON.
    for (let index = 0; index < object.length; index++) list.push(copyJson(object[index], parents) ?? null);
    copy = list;
  } else {
    const record: Record<string, JsonValue> = {};
    for (const key of Object.keys(object)) {
      if (key === "__proto__") continue;
      const inner = copyJson((object as Record<string, unknown>)[key], parents);
      if (inner !== undefined) record[key] = inner;
    }
    copy = record;
  }
  parents.pop();
  return copy;
}

function toJsonObject(value: unknown): Record<string, JsonValue> {
  const json = toJson(value);
  return isRecord(json) ? (json as Record<string, JsonValue>) : {};
}
