/**
 * Turns a JSON Schema into a GBNF grammar (the grammar format of llama.cpp) so a local model can only
 * write JSON the schema accepts. Every repetition is bounded: strings, arrays, numbers and whitespace
 * have a maximum length, so even a model with random weights stops in a bounded number of tokens.
 *
 * Supported: `type` (string, number, integer, boolean, null, object, array, or a list of them),
 * `const`, `enum`, `anyOf`/`oneOf`, `properties` with `required`, `items`, `minItems`/`maxItems`,
 * `minLength`/`maxLength`, local `$ref`s into `$defs`/`definitions`, and `allOf` when its parts can be
 * merged (all objects, as zod writes for intersections with shared keys, or constraints on one
 * primitive type). Numeric ranges, `pattern`, `format` and `additionalProperties` are not enforced by
 * the grammar; the core still validates the parsed reply. Any other keyword (`not`, `prefixItems`,
 * `if`/`then`/`else`, `patternProperties`…) is a `ConfigurationError`: allowing anything in its place
 * would make a reply the core can only reject.
 */
import { ConfigurationError } from "agentfold";
import type { JsonSchema } from "agentfold";

export interface GrammarLimits {
  /** Longest string the grammar allows when the schema gives no `maxLength`. Default 256. */
  maxStringLength: number;
  /** Most array items when the schema gives no `maxItems`. Default 16. */
  maxItems: number;
  /** Most whitespace characters between two JSON tokens. Default 8. */
  maxWhitespace: number;
  /**
   * Characters allowed inside strings. `unicode` (default) allows any character but control
   * characters and surrogates; `ascii` allows printable ASCII only, which keeps models that emit raw
   * bytes (tiny or untrained ones) from writing invalid UTF-8.
   */
  characters: "unicode" | "ascii";
}

const defaultLimits: GrammarLimits = { maxStringLength: 256, maxItems: 16, maxWhitespace: 8, characters: "unicode" };

const sharedRules: Record<string, string> = {
  integer: '"-"? ("0" | [1-9] [0-9]{0,14})',
  number: '"-"? ("0" | [1-9] [0-9]{0,14}) ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,2})?',
  boolean: '"true" | "false"',
  null: '"null"',
};

/** Keywords the grammar expresses, the core checks after parsing, or that only annotate. */
const knownKeywords = new Set([
  // Expressed by the grammar.
  "type",
  "const",
  "enum",
  "anyOf",
  "oneOf",
  "allOf",
  "properties",
  "required",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "$ref",
  "$defs",
  "definitions",
  // Not expressed, but the reply keeps the schema's shape and the core validates them.
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "pattern",
  "format",
  "additionalProperties",
  "propertyNames",
  "minProperties",
  "maxProperties",
  "uniqueItems",
  "contentEncoding",
  "contentMediaType",
  // Annotations.
  "$schema",
  "$id",
  "$comment",
  "$anchor",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
]);

const annotationKeywords = new Set([
  "$schema",
  "$id",
  "$comment",
  "$anchor",
  "$defs",
  "definitions",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
]);
const primitiveTypes = new Set(["string", "number", "integer", "boolean", "null"]);

function isSchemaObject(value: unknown): value is JsonSchema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Throws for a keyword the grammar can neither express nor safely leave to the core's validation. */
function checkKeywords(schema: JsonSchema, name: string): void {
  for (const keyword of Object.keys(schema)) {
    if (!knownKeywords.has(keyword) && !keyword.startsWith("x-")) {
      throw new ConfigurationError(
        `The JSON Schema keyword "${keyword}" at "${name}" cannot be turned into a grammar for a local model. ` +
          `Supported: type, const, enum, anyOf, oneOf, allOf of objects, properties, required, items, min/maxItems, min/maxLength, $ref. ` +
          `Simplify the tool's arguments, or use a hosted model.`,
      );
    }
  }
}

class GrammarBuilder {
  readonly rules = new Map<string, string>();
  private readonly names = new Map<object, string>();
  private counter = 0;
  private readonly root: JsonSchema;
  private readonly limits: GrammarLimits;

  constructor(root: JsonSchema, limits: GrammarLimits) {
    this.root = root;
    this.limits = limits;
    this.rules.set("ws", `[ \\t\\n]{0,${limits.maxWhitespace}}`);
    const plain = limits.characters === "ascii" ? String.raw`[ !#-\[\]-~]` : String.raw`[^"\\\x00-\x1F\uD800-\uDFFF]`;
    this.rules.set("char", `${plain} | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})`);
  }

  private shared(name: string): string {
    const body = sharedRules[name];
    if (body !== undefined && !this.rules.has(name)) this.rules.set(name, body);
    return name;
  }

  private newName(hint: string): string {
    this.counter += 1;
    return `${hint.replace(/[^a-zA-Z0-9]/g, "-").replace(/^-+|-+$/g, "") || "value"}-${this.counter}`;
  }

  /** Returns the name of a rule matching `schema`, creating it (once per schema object). */
  ruleFor(schema: unknown, hint: string): string {
    if (schema === true || schema === undefined) return this.anyPrimitive();
    if (schema === false) throw new ConfigurationError(`The schema at "${hint}" accepts no value, so no grammar can match it.`);
    if (typeof schema !== "object" || schema === null) {
      throw new ConfigurationError(`Expected a JSON Schema object at "${hint}", got ${JSON.stringify(schema)}.`);
    }
    const existing = this.names.get(schema);
    if (existing) return existing;
    const name = this.newName(hint);
    this.names.set(schema, name);
    this.rules.set(name, this.bodyFor(schema as JsonSchema, name));
    return name;
  }

  private bodyFor(schema: JsonSchema, name: string): string {
    checkKeywords(schema, name);
    if (Array.isArray(schema.allOf)) return this.bodyFor(this.mergeAllOf(schema, name), name);
    if (typeof schema.$ref === "string") return this.ruleFor(this.resolveRef(schema.$ref), name);
    if ("const" in schema) return literal(JSON.stringify(schema.const));
    if (Array.isArray(schema.enum)) return schema.enum.map((value) => literal(JSON.stringify(value))).join(" | ");
    const union = (schema.anyOf ?? schema.oneOf) as unknown;
    if (Array.isArray(union)) return union.map((branch, index) => this.ruleFor(branch, `${name}-option${index}`)).join(" | ");
    const type = schema.type;
    if (Array.isArray(type)) return type.map((single) => this.typedBody({ ...schema, type: single }, name)).join(" | ");
    if (typeof type === "string") return this.typedBody(schema, name);
    if (schema.properties !== undefined) return this.objectBody(schema, name);
    if (schema.items !== undefined) return this.arrayBody(schema, name);
    return this.anyPrimitive();
  }

  private typedBody(schema: JsonSchema, name: string): string {
    switch (schema.type) {
      case "string":
        return this.stringBody(schema);
      case "integer":
        return this.shared("integer");
      case "number":
        return this.shared("number");
      case "boolean":
        return this.shared("boolean");
      case "null":
        return this.shared("null");
      case "object":
        return this.objectBody(schema, name);
      case "array":
        return this.arrayBody(schema, name);
      default:
        throw new ConfigurationError(
          `Unsupported JSON Schema type ${JSON.stringify(schema.type)} at "${name}". Use string, number, integer, boolean, null, object or array.`,
        );
    }
  }

  private stringBody(schema: JsonSchema): string {
    const min = typeof schema.minLength === "number" ? schema.minLength : 0;
    const max = typeof schema.maxLength === "number" ? schema.maxLength : this.limits.maxStringLength;
    return `"\\"" ${this.shared("char")}{${min},${Math.max(min, max)}} "\\""`;
  }

  private objectBody(schema: JsonSchema, name: string): string {
    const properties = (schema.properties ?? {}) as Record<string, unknown>;
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const keys = Object.keys(properties);
    // Required keys first (JSON objects are unordered), so every optional key comes after a comma.
    const requiredKeys = keys.filter((key) => required.has(key));
    const optionalKeys = keys.filter((key) => !required.has(key));
    const pair = (key: string) => `${literal(JSON.stringify(key))} ws ":" ws ${this.ruleFor(properties[key], `${name}-${key}`)}`;
    if (requiredKeys.length > 0) {
      const head = requiredKeys.map(pair).join(` ws "," ws `);
      const tail = optionalKeys.map((key) => `(ws "," ws ${pair(key)})?`).join(" ");
      return `"{" ws ${head} ${tail} ws "}"`;
    }
    if (optionalKeys.length === 0) return `"{" ws "}"`;
    // No key is required: any ordered subset, written as "first present key, then optional rest".
    const alternatives = optionalKeys.map((key, index) => {
      const rest = optionalKeys.slice(index + 1).map((other) => `(ws "," ws ${pair(other)})?`);
      return [pair(key), ...rest].join(" ");
    });
    return `"{" ws (${alternatives.map((alternative) => `(${alternative})`).join(" | ")})? ws "}"`;
  }

  private arrayBody(schema: JsonSchema, name: string): string {
    const item = this.ruleFor(schema.items ?? true, `${name}-item`);
    const min = typeof schema.minItems === "number" ? schema.minItems : 0;
    const max = Math.max(min, typeof schema.maxItems === "number" ? schema.maxItems : this.limits.maxItems);
    if (max === 0) return `"[" ws "]"`;
    const more = `(ws "," ws ${item}){${Math.max(0, min - 1)},${max - 1}}`;
    const items = `${item} ${more}`;
    return min > 0 ? `"[" ws ${items} ws "]"` : `"[" ws (${items})? ws "]"`;
  }

  /**
   * Merges `allOf` into one schema when that is simple: every part an object (properties joined, a
   * key in several parts becomes the `allOf` of its schemas, `required` joined), or every part the
   * same primitive type (the tightest length bounds win). Anything else is a `ConfigurationError`.
   */
  private mergeAllOf(schema: JsonSchema, name: string): JsonSchema {
    const { allOf, ...rest } = schema as JsonSchema & { allOf: unknown[] };
    const parts: JsonSchema[] = Object.keys(rest).some((key) => !annotationKeywords.has(key)) ? [rest] : [];
    for (const [index, part] of allOf.entries()) {
      if (part === true) continue;
      let resolved: unknown = part;
      for (let depth = 0; isSchemaObject(resolved) && typeof resolved.$ref === "string" && depth < 8; depth++) {
        resolved = this.resolveRef(resolved.$ref);
      }
      if (!isSchemaObject(resolved)) {
        throw new ConfigurationError(`The allOf at "${name}" has a part (#${index + 1}) that accepts no value or is not a schema object.`);
      }
      checkKeywords(resolved, `${name}-part${index}`);
      if (Array.isArray(resolved.allOf)) resolved = this.mergeAllOf(resolved, `${name}-part${index}`);
      parts.push(resolved as JsonSchema);
    }
    if (parts.length === 0) return {};
    const cannot = (why: string) =>
      new ConfigurationError(
        `The allOf at "${name}" cannot be turned into a grammar for a local model: ${why}. Only an allOf of plain objects, ` +
          `or of constraints on one primitive type, can be merged. Write the arguments as one z.object (no intersection with a ` +
          `record or a union), or use a hosted model.`,
      );
    const structural = (part: JsonSchema) => ["anyOf", "oneOf", "const", "enum"].some((key) => key in part);
    if (parts.some(structural)) throw cannot("a part is a union, a const or an enum");
    const isObject = (part: JsonSchema) => part.type === "object" || (part.type === undefined && part.properties !== undefined);
    if (parts.every(isObject)) {
      const properties: Record<string, unknown> = {};
      const required = new Set<string>();
      for (const part of parts) {
        const extra = part.additionalProperties;
        if (isSchemaObject(extra) && Object.keys(extra).length > 0) throw cannot("a part constrains additional properties (a record)");
        for (const [key, value] of Object.entries((part.properties ?? {}) as Record<string, unknown>)) {
          properties[key] = key in properties ? { allOf: [properties[key], value] } : value;
        }
        if (Array.isArray(part.required)) for (const key of part.required as string[]) required.add(key);
      }
      return { type: "object", properties, required: [...required] };
    }
    const [first] = parts;
    const type = first?.type;
    if (typeof type === "string" && primitiveTypes.has(type) && parts.every((part) => part.type === type)) {
      const merged: JsonSchema = Object.assign({}, ...parts);
      const minimums = parts.flatMap((part) => (typeof part.minLength === "number" ? [part.minLength] : []));
      const maximums = parts.flatMap((part) => (typeof part.maxLength === "number" ? [part.maxLength] : []));
      if (minimums.length > 0) merged.minLength = Math.max(...minimums);
      if (maximums.length > 0) merged.maxLength = Math.min(...maximums);
      if (typeof merged.minLength === "number" && typeof merged.maxLength === "number" && merged.minLength > merged.maxLength) {
        throw new ConfigurationError(
          `The allOf at "${name}" accepts no string: minLength ${merged.minLength} is above maxLength ${merged.maxLength}.`,
        );
      }
      return merged;
    }
    throw cannot(`its parts have different types (${parts.map((part) => JSON.stringify(part.type ?? "any")).join(", ")})`);
  }

  /** A value the schema leaves open: a bounded string, a number, a boolean or null (no nesting). */
  private anyPrimitive(): string {
    if (!this.rules.has("any-value")) {
      this.rules.set("any-value", "");
      this.rules.set("any-value", [this.stringBody({}), this.shared("number"), this.shared("boolean"), this.shared("null")].join(" | "));
    }
    return "any-value";
  }

  private resolveRef(reference: string): unknown {
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(reference);
    const table = match ? (this.root[match[1] as string] as Record<string, unknown> | undefined) : undefined;
    const target = match && table ? table[decodeURIComponent(match[2] as string)] : reference === "#" ? this.root : undefined;
    if (target === undefined) {
      throw new ConfigurationError(`Cannot resolve $ref "${reference}": only local refs like "#/$defs/Name" are supported.`);
    }
    return target;
  }
}

function literal(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * Converts a JSON Schema into a GBNF grammar whose root rule is `root`.
 *
 * @example
 * const grammar = jsonSchemaToGrammar({
 *   anyOf: [{ type: "object", properties: { intent: { const: "done" } }, required: ["intent"] }],
 * });
 * // root ::= value-1 ...
 */
export function jsonSchemaToGrammar(schema: JsonSchema, limits: Partial<GrammarLimits> = {}): string {
  const builder = new GrammarBuilder(schema, { ...defaultLimits, ...limits });
  const top = builder.ruleFor(schema, "value");
  const lines = [`root ::= ${top}`];
  for (const [name, body] of builder.rules) lines.push(`${name} ::= ${body}`);
  return `${lines.join("\n")}\n`;
}
