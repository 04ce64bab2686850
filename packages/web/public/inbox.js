// @ts-check
/**
 * The inbox: every open approval and question across threads, newest first, filterable by agent,
 * kind and urgency. There is no stream across threads, so it looks for changes every few seconds;
 * cards already on screen are kept (with whatever a person was typing) and only new or settled ones
 * change.
 */
import { api, mapLimit } from "./api.js";
import { approvalCard, questionCard } from "./cards.js";
import { h, replaceChildren } from "./dom.js";

/** @typedef {import("./cards.js").ThreadView & { pending: import("./cards.js").PendingItem[] }} ThreadWithPending */
/** @typedef {{ key: string, item: import("./cards.js").PendingItem, thread: ThreadWithPending }} InboxEntry */

const refreshMs = 3000;
const filters = { agent: "", kind: "", urgency: "" };

/**
 * Open approvals and questions of all threads that wait on a person.
 *
 * @returns {Promise<InboxEntry[]>}
 */
export async function loadInbox() {
  const pages = await Promise.all([
    api.listThreads({ status: "awaiting_approval", limit: 200 }),
    api.listThreads({ status: "awaiting_human", limit: 200 }),
  ]);
  /** @type {{ id: string }[]} */
  const summaries = pages.flatMap((page) => page.threads);
  /** @type {(ThreadWithPending | null)[]} */
  const threads = await mapLimit(summaries, 6, (summary) => api.thread(summary.id).catch(() => null));
  /** @type {InboxEntry[]} */
  const entries = [];
  for (const thread of threads) {
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
  /** Cards decided here stay visible (with the outcome) until a refresh finds them no longer pending. */
  const settled = new Set();

  const list = h("div", { class: "cards", id: "inbox-list" });
  const summary = h("p", { class: "muted", role: "status", "aria-live": "polite" }, "Loading…");
  const filterBar = h("div", { class: "filters", role: "group", "aria-label": "Filter the inbox" });
  replaceChildren(root, h("h1", { tabindex: "-1" }, "Inbox"), filterBar, summary, list);

  function renderFilters() {
    replaceChildren(
      filterBar,
      filterSelect("Agent", "filter-agent", [["", "All agents"], ...agentNames.map((name) => /** @type {[string, string]} */ ([name, name]))], filters.agent, (value) => {
        filters.agent = value;
        render();
      }),
      filterSelect("Kind", "filter-kind", [["", "All kinds"], ["approval", "Approvals"], ["question", "Questions"]], filters.kind, (value) => {
        filters.kind = value;
        render();
      }),
      filterSelect("Urgency", "filter-urgency", [["", "Any urgency"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]], filters.urgency, (value) => {
        filters.urgency = value;
        render();
      }),
    );
  }

  function render() {
    const visible = entries.filter(matches);
    const keys = new Set(visible.map((entry) => entry.key));
    for (const [key, card] of cards) {
      if (!keys.has(key)) {
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
          settled.add(entry.key);
          hooks.onCount(entries.length - settled.size);
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
      const loaded = await loadInbox();
      if (stopped) return;
      const keys = new Set(loaded.map((entry) => entry.key));
      for (const key of [...settled]) {
        if (keys.has(key)) continue;
        cards.get(key)?.remove();
        cards.delete(key);
        settled.delete(key);
      }
      entries = loaded;
      hooks.onCount(entries.length - settled.size);
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
