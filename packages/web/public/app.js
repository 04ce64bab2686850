// @ts-check
/**
 * The UI's entry: a hash router over three views (inbox, threads, one thread), the sign-in form
 * shown when the server wants an API key, the error view, the search box and the keyboard.
 */
import { ApiError, apiKey, clearApiKey, setApiKey } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { installFormKeys } from "./form-keys.js";
import { showInbox } from "./inbox.js";
import { installShortcuts } from "./shortcuts.js";
import { showThread } from "./thread-page.js";
import { showThreads } from "./threads.js";

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const inboxCount = /** @type {HTMLElement} */ (document.getElementById("inbox-count"));
const signOut = /** @type {HTMLButtonElement} */ (document.getElementById("sign-out"));
const searchForm = /** @type {HTMLFormElement} */ (document.getElementById("search-form"));
const search = /** @type {HTMLInputElement} */ (document.getElementById("search"));
const help = /** @type {HTMLDialogElement} */ (document.getElementById("shortcuts-help"));

/** @type {() => void} */
let stopView = () => {};

/** @param {number} count */
function setInboxCount(count) {
  inboxCount.textContent = count > 0 ? String(count) : "";
  inboxCount.hidden = count === 0;
  inboxCount.setAttribute("aria-label", `${count} waiting`);
}

function showSignIn(/** @type {string} */ reason) {
  stopView();
  const input = h("input", { id: "api-key", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const form = h(
    "form",
    { class: "sign-in card" },
    h("h1", { tabindex: "-1" }, "API key needed"),
    h("p", {}, reason),
    h("p", { class: "muted" }, "The key is kept only for this browser tab's session and sent as a bearer token."),
    h("label", { for: "api-key" }, "API key"),
    input,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Continue")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    setApiKey(input.value.trim());
    route();
  });
  replaceChildren(main, form);
  input.focus();
}

/** @param {unknown} error */
function showError(error) {
  if (error instanceof ApiError && error.status === 401) {
    const hadKey = apiKey() !== null;
    clearApiKey();
    updateSignOut();
    showSignIn(
      hadKey ? "The server did not accept that key. Enter a valid one." : "This server needs an API key (set by AGENTFOLD_API_KEYS).",
    );
    return;
  }
  stopView();
  const message = error instanceof ApiError ? error.message : `Something went wrong: ${String(error)}`;
  replaceChildren(
    main,
    h("h1", { tabindex: "-1" }, error instanceof ApiError && error.status === 404 ? "Not found" : "Cannot load this page"),
    h("p", { class: "error-text" }, message),
    h("div", { class: "actions" }, h("button", { type: "button", onclick: route }, "Retry"), h("a", { href: "#/" }, "Back to the inbox")),
  );
}

function updateSignOut() {
  signOut.hidden = apiKey() === null;
}

function route() {
  stopView();
  updateSignOut();
  const [path = "/", query = ""] = (location.hash.replace(/^#/, "") || "/").split("?");
  const hooks = { onError: showError, onCount: setInboxCount };
  for (const link of document.querySelectorAll("nav a")) {
    const target = /** @type {HTMLAnchorElement} */ (link).getAttribute("href")?.replace(/^#/, "") ?? "";
    const current = target === "/" ? path === "/" : path.startsWith(target);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const threadMatch = /^\/threads\/(.+)$/.exec(path);
  if (threadMatch) {
    const id = decodeURIComponent(/** @type {string} */ (threadMatch[1]));
    document.title = `Thread ${id} · agentfold`;
    stopView = showThread(main, id, hooks);
  } else if (path === "/threads") {
    const q = new URLSearchParams(query).get("q") ?? "";
    search.value = q;
    document.title = q ? `Threads matching ${q} · agentfold` : "Threads · agentfold";
    stopView = showThreads(main, hooks, q);
  } else {
    document.title = "Inbox · agentfold";
    stopView = showInbox(main, hooks);
  }
  main.querySelector("h1")?.focus({ preventScroll: true });
}

// The skip link must not change the hash: the hash is the router's.
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
searchForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const q = search.value.trim();
  const target = q ? `#/threads?${new URLSearchParams({ q })}` : "#/threads";
  // The same search again: the hash does not change, so show the page again here.
  if (location.hash === target) route();
  else location.hash = target;
});
const openHelp = () => {
  if (!help.open) help.showModal();
};
document.getElementById("shortcuts-button")?.addEventListener("click", openHelp);
installShortcuts(openHelp);
installFormKeys();
signOut.addEventListener("click", () => {
  clearApiKey();
  route();
});
window.addEventListener("hashchange", route);
route();
