// @ts-check
/**
 * Keyboard shortcuts for the cards of the inbox and of a thread page: `j` / `k` move to the next or
 * previous card, `a` approves the current one, `r` opens its rejection comment, `e` its argument
 * form; `/` focuses the search and `?` shows the list (the dialog in index.html). They are ignored
 * while typing in a field or with Ctrl, Alt or ⌘ held, so they never take a letter meant for text.
 */
import { announce } from "./dom.js";

/** @returns {HTMLElement[]} the cards of the page, in order */
const cardsOnPage = () => [.../** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("main article.card"))];

/** @returns {HTMLElement | null} the card that holds the focus */
const currentCard = () => /** @type {HTMLElement | null} */ (document.activeElement?.closest("main article.card") ?? null);

/** @param {EventTarget | null} target */
function isTyping(target) {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}

/** @param {number} step 1 for the next card, -1 for the previous */
function moveCard(step) {
  const cards = cardsOnPage();
  if (cards.length === 0) return announce("No cards on this page.");
  const current = currentCard();
  const index = current ? cards.indexOf(current) + step : 0;
  const next = cards[Math.max(0, Math.min(cards.length - 1, index))];
  next?.focus();
  next?.scrollIntoView({ block: "nearest" });
}

/**
 * Presses a button of the current card: `approve`, or opens `reject` / `edit` (or, when it is open
 * already, focuses its first field).
 *
 * @param {"approve" | "reject" | "edit"} action
 */
function act(action) {
  const card = currentCard();
  if (!card) return announce("Move to a card first: press j.");
  const button = /** @type {HTMLButtonElement | null} */ (card.querySelector(`button[data-action="${action}"]`));
  if (!button) return announce(`This card has no ${action === "approve" ? "Approve" : action === "reject" ? "Reject" : "Edit"} button.`);
  if (button.disabled) return;
  if (button.getAttribute("aria-expanded") === "true") {
    /** @type {HTMLElement | null} */ (card.querySelector(".card-panel input, .card-panel select, .card-panel textarea"))?.focus();
    return;
  }
  // The card keeps the focus once Approve is disabled while the decision is sent.
  if (action === "approve") card.focus();
  button.click();
}

/**
 * Listens for the shortcuts on the document; `openHelp` shows the list.
 *
 * @param {() => void} openHelp
 * @example installShortcuts(() => dialog.showModal());
 */
export function installShortcuts(openHelp) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    /** @type {Record<string, () => void>} */
    const keys = {
      j: () => moveCard(1),
      k: () => moveCard(-1),
      a: () => act("approve"),
      r: () => act("reject"),
      e: () => act("edit"),
      "/": () => document.getElementById("search")?.focus(),
      "?": openHelp,
    };
    const run = keys[event.key];
    if (!run) return;
    event.preventDefault();
    run();
  });
}
