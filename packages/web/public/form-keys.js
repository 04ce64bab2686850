// @ts-check
/**
 * Enter and Ctrl+Enter in forms. Ctrl+Enter (⌘+Enter on a Mac) sends any form, from any field. In a
 * text box marked `data-enter-submits` (an answer, a comment, a message) Enter sends and Shift+Enter
 * is a new line; other text boxes (lists, JSON) keep Enter for new lines. Single-line fields send
 * their form on Enter by themselves.
 */

/**
 * Listens on `target` (the document) for the keys above.
 *
 * @param {Document | HTMLElement} [target]
 * @example installFormKeys();
 */
export function installFormKeys(target = document) {
  target.addEventListener("keydown", (event) => {
    if (!(event instanceof KeyboardEvent) || event.key !== "Enter" || event.isComposing || event.defaultPrevented) return;
    const field = event.target;
    if (!(field instanceof HTMLElement)) return;
    const form = field.closest("form");
    if (!form || form.method === "dialog") return;
    const modified = event.ctrlKey || event.metaKey;
    const plainInAnswerBox =
      field instanceof HTMLTextAreaElement && field.dataset.enterSubmits !== undefined && !event.shiftKey && !event.altKey && !modified;
    if (!modified && !plainInAnswerBox) return;
    event.preventDefault();
    // Like Enter in a single-line field: nothing happens while the form's button is disabled (sending).
    const button = /** @type {HTMLButtonElement | null} */ (form.querySelector('button[type="submit"]'));
    if (button?.disabled) return;
    form.requestSubmit();
  });
}
