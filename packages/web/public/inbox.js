// @ts-check
/**
 * The inbox: every open approval and question across threads, newest first, filterable by agent,
 * kind and urgency, and a form to start a thread. The form and the filters open from two buttons,
 * so that the first card's first button is the third Tab stop after the page's heading. There is no stream across threads, so it looks for changes every few seconds:
 * it lists the waiting threads (every page) and fetches only those whose version changed. Cards
 * already on screen are kept (with whatever a person was typing) and only new or settled ones change.
 */
import { api, mapLimit } from "./api.js";
import { approvalCard, questionCard } from "./cards.js";
import { h, replaceChildren } from "./dom.js";
import { newThreadForm } from "./new-thread.js";

/** @typedef {import("./cards.js").ThreadView & { pending: import("./cards.js").PendingItem[] }} ThreadWithPending */
/** @typedef {{ key: string, item: import("./cards.js").PendingItem, thread: ThreadWithPending }} InboxEntry */

/**
 * Milliseconds between refreshes: 3000, unless the server sets another in index.html (the
 * `inboxRefreshMs` option of createWebApp, which tests use).
 */
/** How long a card decided here keeps showing its outcome at least. */
const SETTLED_VISIBLE_MS = 4000;
const refreshMs = Number(document.querySelector('meta[name="agentfold-inbox-refresh-ms"]')?.getAttribute("content")) || 3000;
const filters = { agent: "", kind: "", urgency: "" };
/** Whether the filters were open when the inbox was last left: they stay so when it comes back. */
let filtersOpen = false;

/** Threads asked for per list request (the API allows up to 1000). */
const listPageSize = 200;

/**
 * The summaries of every thread with `status`, following `nextCursor` to the last page.
 *
 * @param {string} status
 * @returns {Promise<{ id: string, version: number }[]>}
 */
async function listAll(status) {
  /** @type {{ id: string, version: number }[]} */
  const summaries = [];
  /** @type {string | undefined} */
  let cursor;
  do {
    /** @type {{ threads: { id: string, version: number }[], nextCursor?: string }} */
    const page = await api.listThreads({ status, limit: listPageSize, ...(cursor === undefined ? {} : { cursor }) });
    summaries.push(...page.threads);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return summaries;
}

/**
 * Open approvals and questions of all threads that wait on a person. `cache` keeps each thread's
 * body by id; a thread is fetched again only when its version in the list differs, and threads no
 * longer waiting are dropped from it.
 *
 * @param {Map<string, ThreadWithPending & { version: number }>} [cache]
 * @returns {Promise<InboxEntry[]>}
 */
export async function loadInbox(cache = new Map()) {
  const lists = await Promise.all([listAll("awaiting_approval"), listAll("awaiting_human")]);
  // A thread can move from one list to the other between the two requests; count it once.
  const summaries = [...new Map(lists.flat().map((summary) => [summary.id, summary])).values()];
  const listed = new Set(summaries.map((summary) => summary.id));
  for (const id of cache.keys()) if (!listed.has(id)) cache.delete(id);
  const stale = summaries.filter((summary) => cache.get(summary.id)?.version !== summary.version);
  await mapLimit(stale, 6, async (summary) => {
    /** @type {(ThreadWithPending & { version: number }) | null} */
    const thread = await api.thread(summary.id).catch(() => null);
    if (thread) cache.set(thread.id, thread);
    else cache.delete(summary.id);
  });
  /** @type {InboxEntry[]} */
  const entries = [];
  for (const summary of summaries) {
    const thread = cache.get(summary.id);
    if (!thread) continue;
    for (const item of thread.pending) {
      // A paused child agent's own approval or question is listed under the child's thread.
      if (item.kind === "approval" || item.kind === "question") entries.push({ key: `${thread.id}/${item.callId}`, item, thread });
    }
  }
  return entries.sort((a, b) => (a.item.since < b.item.since ? 1 : a.item.since > b.item.since ? -1 : 0));
}

/**
 * @param {InboxEntry} entry
 */
function matches(entry) {
  if (filters.agent && entry.thread.agent !== filters.agent) return false;
  if (filters.kind && entry.item.kind !== filters.kind) return false;
  if (filters.urgency && entry.item.urgency !== filters.urgency) return false;
  return true;
}

/**
 * @param {string} label
 * @param {string} id
 * @param {[string, string][]} options value and label
 * @param {string} value
 * @param {(value: string) => void} onChange
 */
function filterSelect(label, id, options, value, onChange) {
  return h(
    "div",
    { class: "filter" },
    h("label", { for: id }, label),
    h(
      "select",
      { id, onchange: (/** @type {Event} */ event) => onChange(/** @type {HTMLSelectElement} */ (event.target).value) },
      options.map(([optionValue, optionLabel]) => h("option", { value: optionValue, selected: optionValue === value }, optionLabel)),
    ),
  );
}

/**
 * Renders the inbox into `root`. Returns a function that stops its refreshes.
 *
 * @param {HTMLElement} root
 * @param {{ onError: (error: unknown) => void, onCount: (count: number) => void }} hooks
 */
export function showInbox(root, hooks) {
  let stopped = false;
  let timer = 0;
  /** @type {InboxEntry[]} */
  let entries = [];
  /** @type {Map<string, { tool: import("./cards.js").ToolView }>} */
  const tools = new Map();
  /** @type {string[]} */
  let agentNames = [];
  /** @type {Map<string, HTMLElement>} */
  const cards = new Map();
  /**
   * Cards decided here stay visible (with the outcome) until a refresh finds them no longer pending,
   * and for at least SETTLED_VISIBLE_MS, so the person reads the outcome even when a refresh is due.
   * @type {Map<string, number>} key → when it was decided
   */
  const settled = new Map();
  /** Thread bodies by id, kept while their version stays the same. */
  /** @type {Map<string, ThreadWithPending & { version: number }>} */
  const threadCache = new Map();

  const list = h("div", { class: "cards", id: "inbox-list" });
  const summary = h("p", { class: "muted", role: "status", "aria-live": "polite" }, "Loading…");
  const filterBar = h("div", {
    class: "filters",
    id: "inbox-filters",
    role: "group",
    "aria-label": "Filter the inbox",
    hidden: !filtersOpen,
  });
  const newThreadPanel = h("div", { id: "new-thread-panel" });
  const newThreadButton = h(
    "button",
    { type: "button", "aria-expanded": "false", "aria-controls": "new-thread-panel", onclick: toggleNewThread },
    "New thread…",
  );
  const filtersButton = h("button", {
    type: "button",
    "aria-expanded": String(filtersOpen),
    "aria-controls": "inbox-filters",
    onclick: () => {
      filtersOpen = !filtersOpen;
      filtersButton.setAttribute("aria-expanded", String(filtersOpen));
      filterBar.hidden = !filtersOpen;
      if (filtersOpen) /** @type {HTMLElement | null} */ (filterBar.querySelector("select"))?.focus();
    },
  });
  replaceChildren(
    root,
    h("h1", { tabindex: "-1" }, "Inbox"),
    h("div", { class: "actions toolbar" }, newThreadButton, filtersButton),
    newThreadPanel,
    filterBar,
    h("h2", {}, "Waiting on you"),
    summary,
    list,
  );
  renderFiltersButton();

  function toggleNewThread() {
    const open = newThreadButton.getAttribute("aria-expanded") !== "true";
    newThreadButton.setAttribute("aria-expanded", String(open));
    // Built when opened: a closed form has no fields to find or to tab through.
    if (!open) return replaceChildren(newThreadPanel);
    replaceChildren(newThreadPanel, newThreadForm(agentNames));
    /** @type {HTMLElement | null} */ (newThreadPanel.querySelector("textarea"))?.focus();
  }

  /** "Filters", with how many are set: a closed filter bar still says that cards are hidden. */
  function renderFiltersButton() {
    const set = Object.values(filters).filter(Boolean).length;
    filtersButton.textContent = set === 0 ? "Filters" : `Filters (${set} set)`;
  }

  function renderFilters() {
    replaceChildren(
      filterBar,
      filterSelect(
        "Agent",
        "filter-agent",
        [["", "All agents"], ...agentNames.map((name) => /** @type {[string, string]} */ ([name, name]))],
        filters.agent,
        (value) => {
          filters.agent = value;
          render();
        },
      ),
      filterSelect(
        "Kind",
        "filter-kind",
        [
          ["", "All kinds"],
          ["approval", "Approvals"],
          ["question", "Questions"],
        ],
        filters.kind,
        (value) => {
          filters.kind = value;
          render();
        },
      ),
      filterSelect(
        "Urgency",
        "filter-urgency",
        [
          ["", "Any urgency"],
          ["high", "High"],
          ["medium", "Medium"],
          ["low", "Low"],
        ],
        filters.urgency,
        (value) => {
          filters.urgency = value;
          render();
        },
      ),
    );
  }

  function render() {
    renderFiltersButton();
    const visible = entries.filter(matches);
    const keys = new Set(visible.map((entry) => entry.key));
    for (const [key, card] of cards) {
      if (!keys.has(key) && !settled.has(key)) {
        card.remove();
        cards.delete(key);
      }
    }
    /** @type {Node | null} */
    let previous = null;
    for (const entry of visible) {
      let card = cards.get(entry.key);
      if (!card) {
        const onSettled = () => {
          settled.set(entry.key, Date.now());
          hooks.onCount(entries.filter((entry) => !settled.has(entry.key)).length);
        };
        card =
          entry.item.kind === "approval"
            ? approvalCard(entry.item, entry.thread, tools.get(`${entry.thread.agent}/${entry.item.intent}`)?.tool, onSettled)
            : questionCard(entry.item, entry.thread, onSettled);
        cards.set(entry.key, card);
      }
      /** @type {ChildNode | null} */
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (expected !== card) list.insertBefore(card, expected);
      previous = card;
    }
    const hidden = entries.length - visible.length;
    summary.textContent =
      entries.length === 0
        ? "Nothing waits for you. New approvals and questions appear here on their own."
        : `${visible.length} waiting${hidden > 0 ? ` (${hidden} hidden by the filters)` : ""}, newest first.`;
  }

  async function refresh() {
    try {
      if (agentNames.length === 0) {
        const { agents } = await api.agents();
        agentNames = agents.map((/** @type {{ name: string }} */ agent) => agent.name);
        for (const agent of agents) for (const tool of agent.tools) tools.set(`${agent.name}/${tool.intent}`, { tool });
        renderFilters();
      }
      const loaded = await loadInbox(threadCache);
      if (stopped) return;
      const keys = new Set(loaded.map((entry) => entry.key));
      for (const [key, decidedAt] of [...settled]) {
        if (keys.has(key) || Date.now() - decidedAt < SETTLED_VISIBLE_MS) continue;
        cards.get(key)?.remove();
        cards.delete(key);
        settled.delete(key);
      }
      entries = loaded;
      hooks.onCount(entries.filter((entry) => !settled.has(entry.key)).length);
      render();
    } catch (error) {
      if (!stopped) hooks.onError(error);
      return;
    }
    if (!stopped) timer = window.setTimeout(refresh, refreshMs);
  }

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
