// @ts-check
/**
 * Checks a value against the parts of JSON Schema that tool arguments use (what zod's
 * `toJSONSchema` emits for objects, strings, numbers, booleans, enums and arrays). The server checks
 * again with the tool's own schema; this gives the person a precise message before sending.
 * No DOM here, so it is tested under Node.
 */

/** @typedef {Record<string, any>} JsonSchema */
/** @typedef {{ path: string, message: string }} FieldError */

/**
 * The schema's type, resolving `anyOf` / `oneOf` with `null` (nullable fields) to the other type.
 *
 * @param {JsonSchema} schema
 * @returns {string | undefined}
 */
export function schemaType(schema) {
  if (Array.isArray(schema.enum)) return "enum";
  if ("const" in schema) return "const";
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((/** @type {string} */ type) => type !== "null");
  return undefined;
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Every problem with `value`, each with its path (e.g. `items.2`).
 *
 * @param {JsonSchema} schema
 * @param {unknown} value
 * @param {string} [path]
 * @returns {FieldError[]}
 */
export function validateValue(schema, value, path = "") {
  /** @type {FieldError[]} */
  const errors = [];
  const at = path || "value";
  const push = (/** @type {string} */ message) => errors.push({ path, message });
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    const results = alternatives.map((option) => validateValue(option, value, path));
    if (results.some((result) => result.length === 0)) return [];
    return results[0] ?? [{ path, message: `${at} matches none of the allowed forms.` }];
  }
  if (Array.isArray(schema.enum)) {
    if (!schema.enum.includes(value)) push(`Choose one of: ${schema.enum.map(String).join(", ")}.`);
    return errors;
  }
  if ("const" in schema) {
    if (value !== schema.const) push(`Must be ${JSON.stringify(schema.const)}.`);
    return errors;
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  if (types.length > 0) {
    const kind = kindOf(value);
    const matches = types.some((/** @type {string} */ type) =>
      type === "integer"
        ? kind === "number" && Number.isInteger(value)
        : type === "number"
          ? kind === "number" && Number.isFinite(value)
          : type === kind,
    );
    if (!matches) {
      push(`Must be ${types.map((/** @type {string} */ type) => (type === "integer" ? "a whole number" : `a ${type}`)).join(" or ")}.`);
      return errors;
    }
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) push(`Must be at least ${schema.minimum}.`);
    if (typeof schema.maximum === "number" && value > schema.maximum) push(`Must be at most ${schema.maximum}.`);
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum)
      push(`Must be more than ${schema.exclusiveMinimum}.`);
    if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum)
      push(`Must be less than ${schema.exclusiveMaximum}.`);
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) {
      push(schema.minLength === 1 ? "Must not be empty." : `Must be at least ${schema.minLength} characters.`);
    }
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) push(`Must be at most ${schema.maxLength} characters.`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value))
      push(`Must match the pattern ${schema.pattern}.`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) push(`Needs at least ${schema.minItems} item(s).`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) push(`Takes at most ${schema.maxItems} item(s).`);
    if (schema.items && typeof schema.items === "object") {
      for (const [index, item] of value.entries())
        errors.push(...validateValue(schema.items, item, path ? `${path}.${index}` : String(index)));
    }
  }
  if (kindOf(value) === "object") {
    const object = /** @type {Record<string, unknown>} */ (value);
    const properties = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (!(name in object) || object[name] === undefined) errors.push({ path: path ? `${path}.${name}` : name, message: "Required." });
    }
    for (const [name, item] of Object.entries(object)) {
      const child = path ? `${path}.${name}` : name;
      if (name in properties) errors.push(...validateValue(properties[name], item, child));
      else if (schema.additionalProperties === false)
        errors.push({ path: child, message: `Unknown field; allowed: ${Object.keys(properties).join(", ")}.` });
      else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
        errors.push(...validateValue(schema.additionalProperties, item, child));
      }
    }
  }
  return errors;
}

/**
 * How the form edits a field: a number, text, a choice, a boolean, a list (one item per line), or
 * JSON for anything else (nested objects, mixed arrays). With `value`, a value the control could not
 * show exactly (a string where the schema says number, a choice not in the enum, a list item with a
 * line break) is edited as JSON instead, so the person sees what the model sent.
 *
 * @param {JsonSchema} schema
 * @param {unknown} [value] the value the control starts with
 * @returns {FieldKind}
 */
export function fieldKind(schema, value) {
  const kind = schemaKind(schema);
  return value === undefined || fitsKind(kind, schema, value) ? kind : "json";
}

/** @typedef {"number" | "integer" | "text" | "choice" | "boolean" | "lines" | "json"} FieldKind */

/**
 * @param {JsonSchema} schema
 * @returns {FieldKind}
 */
function schemaKind(schema) {
  // A nullable field is edited as JSON so that `null` and "" stay different.
  if (Array.isArray(schema.type) && schema.type.includes("null")) return "json";
  const type = schemaType(schema);
  if (type === "enum") return schema.enum.every((/** @type {unknown} */ option) => typeof option === "string") ? "choice" : "json";
  if (type === "number") return "number";
  if (type === "integer") return "integer";
  if (type === "string") return "text";
  if (type === "boolean") return "boolean";
  if (type === "array" && schema.items && ["string", "number", "integer"].includes(schemaType(schema.items) ?? "")) return "lines";
  return "json";
}

/**
 * Whether a control of `kind` shows `value` exactly, so that reading it back gives the same value.
 *
 * @param {FieldKind} kind
 * @param {JsonSchema} schema
 * @param {unknown} value
 */
function fitsKind(kind, schema, value) {
  if (kind === "number" || kind === "integer") return typeof value === "number" && Number.isFinite(value);
  if (kind === "text") return typeof value === "string";
  if (kind === "choice") return typeof value === "string" && schema.enum.includes(value);
  if (kind === "boolean") return typeof value === "boolean";
  if (kind === "lines") {
    if (!Array.isArray(value)) return false;
    if (schemaType(schema.items) === "string") {
      // A line break inside an item would split it; a last item that is empty would look like the
      // trailing newline that reading ignores (and [""] like the empty list).
      return value.every((item) => typeof item === "string" && !/[\r\n]/.test(item)) && value.at(-1) !== "";
    }
    return value.every((item) => typeof item === "number" && Number.isFinite(item));
  }
  return true;
}

/**
 * Turns what a person typed into the value of a field, or an error message. An optional boolean is
 * edited with three states: `""` (not set), `"true"` and `"false"`; a required one with a checkbox.
 *
 * @param {JsonSchema} schema
 * @param {string | boolean} input the text of the control (or `checked` for a checkbox)
 * @param {boolean} required
 * @param {FieldKind} [kind] how the field is edited (see `fieldKind`)
 * @returns {{ ok: true, value: unknown, omitted?: boolean } | { ok: false, message: string }}
 */
export function parseField(schema, input, required, kind = fieldKind(schema)) {
  if (kind === "boolean" && typeof input === "boolean") return { ok: true, value: input };
  const text = String(input);
  const empty = kind === "text" || kind === "lines" ? text === "" : text.trim() === "";
  if (empty) {
    if (!required) return { ok: true, value: undefined, omitted: true };
    // An empty box of a field that must be there is the empty string or the empty list.
    if (kind === "text") return { ok: true, value: "" };
    if (kind === "lines") return { ok: true, value: [] };
    return { ok: false, message: "Required." };
  }
  if (kind === "text" || kind === "choice") return { ok: true, value: text };
  if (kind === "boolean") {
    if (text === "true" || text === "false") return { ok: true, value: text === "true" };
    return { ok: false, message: "Choose true or false." };
  }
  if (kind === "number" || kind === "integer") {
    const value = Number(text);
    if (!Number.isFinite(value)) return { ok: false, message: `"${text}" is not a number.` };
    return { ok: true, value };
  }
  if (kind === "lines") {
    // One trailing newline ends the last line rather than adding an empty item.
    const lines = text.replace(/\n$/, "").split("\n");
    // Lines are kept as typed, empty ones too (no trimming): an unchanged list reads back the same.
    if (schemaType(schema.items) === "string") return { ok: true, value: lines };
    // A blank line cannot be a number, so in a list of numbers it only separates.
    const filled = lines.filter((line) => line.trim() !== "");
    const numbers = filled.map(Number);
    const bad = filled.find((_, index) => !Number.isFinite(numbers[index]));
    if (bad !== undefined) return { ok: false, message: `"${bad}" is not a number; put one number per line.` };
    return { ok: true, value: numbers };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${/** @type {Error} */ (error).message}` };
  }
}

/**
 * The text a control starts with for a value.
 *
 * @param {JsonSchema} schema
 * @param {unknown} value
 * @param {FieldKind} [kind] how the field is edited (see `fieldKind`)
 * @returns {string}
 */
export function formatField(schema, value, kind = fieldKind(schema, value)) {
  if (value === undefined) return "";
  if (kind === "lines" && Array.isArray(value)) return value.map(String).join("\n");
  if (kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}
