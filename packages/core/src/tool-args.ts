/**
 * A tool's argument schema, whatever library wrote it: zod 4 (classic or mini), any other Standard
 * Schema (zod 3, Valibot, ArkType…), or a plain JSON Schema object. Each becomes the same two
 * things: the JSON Schema the model is shown, and a synchronous check that returns the arguments as
 * the tool receives them (defaults filled, transforms applied) or the issues, in one readable line.
 *
 * Invariants: the check is synchronous (the planner is pure and synchronous); a schema without a
 * JSON Schema of its own needs `jsonSchema` beside it, checked at definition time; the JSON Schema
 * validator for plain objects is loaded on the first check, so defining tools costs nothing extra.
 */
import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec";
import { z } from "zod";
import { ConfigurationError, formatIssues } from "./errors.ts";
import { safeParse } from "./first-parses.ts";
import { requireOnFirstUse } from "./lazy-require.ts";
import type { JsonSchema } from "./model.ts";

/** What a tool's `args` may be: any Standard Schema of an object, or a plain JSON Schema object. */
export type ToolArgs = StandardSchemaV1 | JsonSchema;

/** The arguments `run` receives: the schema's output type, or a plain record for JSON Schema. */
export type ArgsOutput<Args> = Args extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<Args> : Record<string, unknown>;

export type ArgsCheck = { ok: true; value: unknown } | { ok: false; message: string };

/** A tool's arguments, ready for the model and the planner. */
export interface CheckedArgs {
  /** JSON Schema of the arguments object, as the model sees it. */
  parameters: JsonSchema;
  /** The top-level property names, from the JSON Schema. */
  keys: ReadonlySet<string>;
  /** Validates and returns what the tool receives; never throws for invalid input. */
  check(value: unknown): ArgsCheck;
}

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { "~standard"?: { version?: unknown; validate?: unknown } } | null)?.["~standard"];
  return typeof standard === "object" && standard !== null && standard.version === 1 && typeof standard.validate === "function";
}

function isZod4(value: unknown): value is z.core.$ZodType {
  return typeof value === "object" && value !== null && "_zod" in value;
}

function pathOf(path: StandardSchemaV1.Issue["path"]): PropertyKey[] {
  return (path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment));
}

/** The JSON Schema of a Standard Schema: its own converter, zod 4's, or the one the definition gave. */
function jsonSchemaOf(intent: string, args: StandardSchemaV1, given: JsonSchema | undefined): JsonSchema {
  if (given !== undefined) return given;
  try {
    if (isZod4(args)) return z.toJSONSchema(args, { io: "input" }) as JsonSchema;
    const converter = (args["~standard"] as Partial<StandardJSONSchemaV1.Props>).jsonSchema;
    if (converter) return converter.input({ target: "draft-2020-12" }) as JsonSchema;
  } catch (error) {
    throw new ConfigurationError(
      `Tool "${intent}": its args schema cannot be expressed as JSON Schema (${(error as Error).message}). Use JSON-compatible types, or pass jsonSchema beside args.`,
    );
  }
  const vendor = args["~standard"].vendor;
  throw new ConfigurationError(
    `Tool "${intent}": its args schema (${vendor}) has no JSON Schema converter, and the model must be shown one. Pass jsonSchema: { type: "object", ... } beside args${vendor === "valibot" ? " (toJsonSchema(args) from @valibot/to-json-schema makes it)" : vendor === "zod" ? " (zod 3: zodToJsonSchema(args) from zod-to-json-schema makes it), or use zod 4" : ""}.`,
  );
}

function standardCheck(intent: string, args: StandardSchemaV1): (value: unknown) => ArgsCheck {
  // zod 4 classic keeps its young-process parsing path (see first-parses.ts) and its messages.
  if (isZod4(args) && typeof (args as z.ZodType).safeParse === "function") {
    return (value) => {
      const result = safeParse(args as z.ZodType, value);
      return result.success ? { ok: true, value: result.data } : { ok: false, message: formatIssues(result.error.issues) };
    };
  }
  return (value) => {
    const result = args["~standard"].validate(value);
    if (result instanceof Promise) {
      throw new ConfigurationError(
        `Tool "${intent}": its args schema validates asynchronously (an async refinement or transform); tool arguments must be checked synchronously.`,
      );
    }
    if (result.issues) {
      return { ok: false, message: formatIssues(result.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }))) };
    }
    return { ok: true, value: result.value };
  };
}

interface JsonValidator {
  validate(instance: unknown): { valid: boolean; errors: { keyword: string; instanceLocation: string; error: string }[] };
}

/** Keywords whose errors only say that a nested one failed; the nested error is the readable one. */
const summaryKeywords = new Set(["properties", "items", "prefixItems", "allOf", "$ref", "false", "additionalItems"]);

function jsonSchemaCheck(schema: JsonSchema): (value: unknown) => ArgsCheck {
  let validator: JsonValidator | undefined;
  return (value) => {
    if (!validator) {
      const { Validator } = requireOnFirstUse("@cfworker/json-schema") as {
        Validator: new (schema: JsonSchema, draft: string, shortCircuit: boolean) => JsonValidator;
      };
      validator = new Validator(schema, "2020-12", false);
    }
    const result = validator.validate(value);
    if (result.valid) return { ok: true, value };
    const errors = result.errors.filter((error) => !summaryKeywords.has(error.keyword));
    const issues: Issue[] = (errors.length > 0 ? errors : result.errors).map((error) => ({
      path: error.instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean),
      message: error.error,
    }));
    return { ok: false, message: formatIssues(issues) };
  };
}

/**
 * Checks a tool's `args` (and `jsonSchema`, when given) at definition time and returns what the
 * planner and the model need.
 *
 * @example
 * const checked = checkedArgs("add", z.object({ a: z.number(), b: z.number() }));
 * checked.check({ a: 1, b: "2" }); // { ok: false, message: "b: Invalid input: expected number, received string" }
 */
export function checkedArgs(intent: string, args: unknown, jsonSchema?: JsonSchema): CheckedArgs {
  const standard = isStandardSchema(args);
  if (!standard && (typeof args !== "object" || args === null || Array.isArray(args))) {
    throw new ConfigurationError(
      `Tool "${intent}": args must be a schema of an object: zod, Valibot, ArkType or any Standard Schema, or a JSON Schema object such as { type: "object", properties: { ... } }.`,
    );
  }
  if (jsonSchema !== undefined && (typeof jsonSchema !== "object" || jsonSchema === null)) {
    throw new ConfigurationError(`Tool "${intent}": jsonSchema must be a JSON Schema object.`);
  }
  const parameters = { ...(standard ? jsonSchemaOf(intent, args, jsonSchema) : (args as JsonSchema)) };
  delete parameters.$schema;
  if (parameters.type !== "object") {
    throw new ConfigurationError(
      `Tool "${intent}": args must describe an object (JSON Schema type "object"), got ${JSON.stringify(parameters.type ?? null)}.`,
    );
  }
  const properties = (parameters.properties ?? {}) as Record<string, unknown>;
  const keys = new Set(Object.keys(properties));
  if (keys.has("intent")) {
    throw new ConfigurationError(`Tool "${intent}": args must not have a key named "intent"; it names the tool in the next step.`);
  }
  return { parameters, keys, check: standard ? standardCheck(intent, args) : jsonSchemaCheck(parameters) };
}
