// @ts-check
/**
 * A form generated from a tool's JSON Schema, for editing a call's arguments before approving it.
 * Numbers, strings, booleans, enums and lists get their own controls; nested objects and anything
 * else are edited as JSON. `read()` validates everything and reports each problem beside its field.
 */
import { h, uniqueId } from "./dom.js";
import { fieldKind, formatField, parseField, validateValue } from "./schema-values.js";

/** @typedef {import("./schema-values.js").JsonSchema} JsonSchema */

/**
 * @typedef {{
 *   element: HTMLElement,
 *   read: () => { ok: true, value: Record<string, unknown> } | { ok: false, errors: { path: string, message: string }[] },
 * }} ArgsForm
 */

/**
 * @param {JsonSchema} schema the tool's `parameters`
 * @param {Record<string, unknown>} values the arguments to start from
 * @returns {ArgsForm}
 */
export function buildArgsForm(schema, values) {
  const properties = /** @type {Record<string, JsonSchema>} */ (schema.properties ?? {});
  const required = new Set(/** @type {string[]} */ (schema.required ?? []));
  // Arguments the schema does not describe are kept as they are.
  const names = [...new Set([...Object.keys(properties), ...Object.keys(values)])];
  /** @type {{ name: string, schema: JsonSchema, control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, error: HTMLElement }[]} */
  const fields = [];
  const element = h("div", { class: "args-form" });
  for (const name of names) {
    const fieldSchema = properties[name] ?? {};
    const kind = fieldKind(fieldSchema);
    const id = uniqueId(`arg-${name}`);
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const common = { id, name, "aria-describedby": `${hintId} ${errorId}` };
    const value = values[name];
    /** @type {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} */
    let control;
    /** @type {string} */
    let hint = typeof fieldSchema.description === "string" ? fieldSchema.description : "";
    if (kind === "boolean") {
      control = h("input", { ...common, type: "checkbox", checked: value === true });
    } else if (kind === "number" || kind === "integer") {
      control = h("input", {
        ...common,
        type: "number",
        step: kind === "integer" ? "1" : "any",
        inputmode: "decimal",
        value: formatField(fieldSchema, value),
        ...(typeof fieldSchema.minimum === "number" ? { min: String(fieldSchema.minimum) } : {}),
        ...(typeof fieldSchema.maximum === "number" ? { max: String(fieldSchema.maximum) } : {}),
      });
    } else if (kind === "choice") {
      control = h(
        "select",
        common,
        required.has(name) ? null : h("option", { value: "" }, "(none)"),
        /** @type {string[]} */ (fieldSchema.enum).map((option) => h("option", { value: option, selected: option === value }, option)),
      );
    } else if (kind === "text") {
      const text = formatField(fieldSchema, value);
      control = text.length > 60 || text.includes("\n") ? h("textarea", { ...common, rows: 3, value: text }) : h("input", { ...common, type: "text", value: text });
    } else if (kind === "lines") {
      hint = [hint, "One item per line."].filter(Boolean).join(" ");
      control = h("textarea", { ...common, rows: 3, value: formatField(fieldSchema, value) });
    } else {
      hint = [hint, "JSON."].filter(Boolean).join(" ");
      control = h("textarea", { ...common, rows: 4, class: "code", spellcheck: "false", value: formatField(fieldSchema, value) });
    }
    const error = h("p", { id: errorId, class: "field-error", hidden: true });
    fields.push({ name, schema: fieldSchema, control, error });
    element.append(
      h(
        "div",
        { class: `field field-${kind}` },
        h("label", { for: id }, name, required.has(name) ? null : h("span", { class: "optional" }, " (optional)")),
        control,
        h("p", { id: hintId, class: "hint", hidden: hint === "" }, hint),
        error,
      ),
    );
  }

  function read() {
    /** @type {Record<string, unknown>} */
    const result = {};
    /** @type {{ path: string, message: string }[]} */
    const errors = [];
    for (const field of fields) {
      const input = field.control instanceof HTMLInputElement && field.control.type === "checkbox" ? field.control.checked : field.control.value;
      const parsed = parseField(field.schema, input, required.has(field.name));
      if (!parsed.ok) errors.push({ path: field.name, message: parsed.message });
      else if (!parsed.omitted) result[field.name] = parsed.value;
    }
    // Check what did parse too, so every problem shows at once; a field that did not parse is not
    // also reported as missing.
    const unparsed = new Set(errors.map((error) => error.path));
    errors.push(...validateValue(schema, result).filter((error) => !unparsed.has(error.path.split(".")[0] ?? "")));
    for (const field of fields) {
      const own = errors.filter((error) => error.path === field.name || error.path.startsWith(`${field.name}.`));
      field.error.textContent = own.map((error) => (error.path === field.name ? error.message : `${error.path}: ${error.message}`)).join(" ");
      field.error.hidden = own.length === 0;
      field.control.setAttribute("aria-invalid", own.length > 0 ? "true" : "false");
    }
    const firstInvalid = fields.find((field) => !field.error.hidden);
    if (firstInvalid) firstInvalid.control.focus();
    return errors.length > 0 ? /** @type {const} */ ({ ok: false, errors }) : /** @type {const} */ ({ ok: true, value: result });
  }

  return { element, read };
}
