// @ts-check
/**
 * A form generated from a tool's JSON Schema, for editing a call's arguments before approving it.
 * Numbers, strings, booleans, enums and lists get their own controls; nested objects and anything
 * else are edited as JSON. `read()` starts from the call's own arguments and changes only the fields
 * whose control the person changed, so nothing is converted on the way (an optional boolean left out
 * stays left out); it validates the result and reports each problem beside its field.
 */
import { h, uniqueId } from "./dom.js";
import { fieldKind, formatField, parseField, validateValue } from "./schema-values.js";

/** @typedef {import("./schema-values.js").JsonSchema} JsonSchema */

/**
 * `read()` gives the arguments and the names of the fields whose value changed (empty when the
 * person changed nothing, or changed something and changed it back).
 *
 * @typedef {{
 *   element: HTMLElement,
 *   read: () => { ok: true, value: Record<string, unknown>, changed: string[] } | { ok: false, errors: { path: string, message: string }[] },
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
  /**
   * Each field with the input its control started with, to tell which ones the person changed.
   * @type {{ name: string, schema: JsonSchema, kind: import("./schema-values.js").FieldKind, control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, initial: string | boolean, error: HTMLElement }[]}
   */
  const fields = [];
  const element = h("div", { class: "args-form" });
  for (const name of names) {
    const fieldSchema = properties[name] ?? {};
    const value = values[name];
    const kind = fieldKind(fieldSchema, value);
    const id = uniqueId(`arg-${name}`);
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const common = { id, name, "aria-describedby": `${hintId} ${errorId}` };
    /** @type {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} */
    let control;
    /** @type {string} */
    let hint = typeof fieldSchema.description === "string" ? fieldSchema.description : "";
    if (kind === "boolean" && required.has(name)) {
      control = h("input", { ...common, type: "checkbox", checked: value === true });
    } else if (kind === "boolean") {
      // Optional: "not set" is a third state, different from false (the tool may default it to true).
      control = h(
        "select",
        common,
        [
          ["", "(not set)"],
          ["true", "true"],
          ["false", "false"],
        ].map(([option, label]) => h("option", { value: option, selected: option === (value === undefined ? "" : String(value)) }, label)),
      );
    } else if (kind === "number" || kind === "integer") {
      control = h("input", {
        ...common,
        type: "number",
        step: kind === "integer" ? "1" : "any",
        inputmode: "decimal",
        value: formatField(fieldSchema, value, kind),
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
      const text = formatField(fieldSchema, value, kind);
      control =
        text.length > 60 || text.includes("\n")
          ? h("textarea", { ...common, rows: 3, value: text })
          : h("input", { ...common, type: "text", value: text });
    } else if (kind === "lines") {
      hint = [hint, "One item per line."].filter(Boolean).join(" ");
      control = h("textarea", { ...common, rows: 3, value: formatField(fieldSchema, value, kind) });
    } else {
      hint = [hint, "JSON."].filter(Boolean).join(" ");
      control = h("textarea", { ...common, rows: 4, class: "code", spellcheck: "false", value: formatField(fieldSchema, value, kind) });
    }
    const error = h("p", { id: errorId, class: "field-error", hidden: true });
    fields.push({ name, schema: fieldSchema, kind, control, initial: inputOf(control), error });
    element.append(
      h(
        "div",
        // An optional boolean is a choice of three, laid out like one (field-boolean is the checkbox row).
        { class: `field field-${kind === "boolean" && !required.has(name) ? "choice" : kind}` },
        h("label", { for: id }, name, required.has(name) ? null : h("span", { class: "optional" }, " (optional)")),
        control,
        h("p", { id: hintId, class: "hint", hidden: hint === "" }, hint),
        error,
      ),
    );
  }

  function read() {
    /** @type {Record<string, unknown>} */
    const result = { ...values };
    /** @type {string[]} */
    const changed = [];
    /** @type {{ path: string, message: string }[]} */
    const errors = [];
    for (const field of fields) {
      if (inputOf(field.control) === field.initial) continue;
      const parsed = parseField(field.schema, inputOf(field.control), required.has(field.name), field.kind);
      if (!parsed.ok) errors.push({ path: field.name, message: parsed.message });
      else if (JSON.stringify(parsed.value) !== JSON.stringify(values[field.name])) {
        changed.push(field.name);
        if (parsed.omitted) delete result[field.name];
        else result[field.name] = parsed.value;
      }
    }
    // Nothing changed: that is the plain approval of the arguments as shown, valid or not (the server
    // decides); only edited arguments are checked here.
    // Otherwise check what did parse too, so every problem shows at once; a field that did not parse
    // is not also reported as missing.
    const unparsed = new Set(errors.map((error) => error.path));
    if (changed.length > 0) errors.push(...validateValue(schema, result).filter((error) => !unparsed.has(error.path.split(".")[0] ?? "")));
    for (const field of fields) {
      const own = errors.filter((error) => error.path === field.name || error.path.startsWith(`${field.name}.`));
      field.error.textContent = own
        .map((error) => (error.path === field.name ? error.message : `${error.path}: ${error.message}`))
        .join(" ");
      field.error.hidden = own.length === 0;
      field.control.setAttribute("aria-invalid", own.length > 0 ? "true" : "false");
    }
    const firstInvalid = fields.find((field) => !field.error.hidden);
    if (firstInvalid) firstInvalid.control.focus();
    return errors.length > 0 ? /** @type {const} */ ({ ok: false, errors }) : /** @type {const} */ ({ ok: true, value: result, changed });
  }

  return { element, read };
}

/**
 * What a control holds: `checked` for a checkbox, the text or chosen value otherwise.
 *
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} control
 * @returns {string | boolean}
 */
function inputOf(control) {
  return control instanceof HTMLInputElement && control.type === "checkbox" ? control.checked : control.value;
}
