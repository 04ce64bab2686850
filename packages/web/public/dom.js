// @ts-check
/**
 * A tiny element builder. Text is always inserted as text nodes, never parsed as HTML: thread data
 * (arguments, answers, model output) is untrusted and must stay text.
 */

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Record<string, unknown>} Props */

/**
 * Creates an element. Props: `class`, `for`, `on<event>` listeners, `dataset`, boolean and string
 * attributes, and the properties `value`, `checked`, `disabled`, `hidden`, `selected`.
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 * @example h("button", { type: "button", onclick: save }, "Save")
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (name === "class") {
      element.className = String(value);
    } else if (name === "for") {
      element.setAttribute("for", String(value));
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (["value", "checked", "disabled", "hidden", "selected", "open"].includes(name)) {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (element))[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/**
 * Appends children (strings become text nodes).
 *
 * @param {Node} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces all children of `parent`.
 *
 * @param {Node} parent
 * @param {...(Child | Child[])} children
 */
export function replaceChildren(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/**
 * JSON as indented text for a `<pre>`.
 *
 * @param {unknown} value
 */
export function jsonText(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

let announceTimer = 0;

/**
 * Says something to screen readers and shows it briefly on screen.
 *
 * @param {string} message
 * @param {"info" | "error"} [tone]
 */
export function announce(message, tone = "info") {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = message;
  region.dataset.tone = tone;
  region.hidden = false;
  clearTimeout(announceTimer);
  announceTimer = window.setTimeout(() => {
    region.hidden = true;
  }, 6000);
}

let idCounter = 0;

/**
 * A unique element id, for `for` / `aria-describedby` pairs.
 *
 * @param {string} prefix
 */
export function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
