// @ts-check
/**
 * The thread list: status, agent, age, steps, tokens and cost of each thread, newest first,
 * filterable by status and agent, and the results of a search (`#/threads?q=…`, the API's `q`).
 * Looks for changes every few seconds.
 */
import { api, mapLimit } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { formatCost, formatNumber, shortId, statusBadge, threadTotals, timeElement } from "./format.js";

const refreshMs = 5000;
const pageSize = 50;
const filters = { status: "", agent: "" };
const statuses = ["running", "awaiting_approval", "awaiting_human", "waiting", "done", "failed", "canceled"];

/**
 * Renders the list into `root`. Returns a function that stops its refreshes.
 *
 * @param {HTMLElement} root
 * @param {{ onError: (error: unknown) => void }} hooks
 * @param {string} [q] the search from the header's search box; empty lists every thread
 */
export function showThreads(root, hooks, q = "") {
  let stopped = false;
  let timer = 0;
  let limit = pageSize;
  /** Bumped when the filters change, so an older refresh in flight stops instead of looping twice. */
  let generation = 0;
  /** @type {string[]} */
  let agentNames = [];
  /** Totals by thread id and version, so unchanged threads are not fetched again. */
  /** @type {Map<string, { version: number, totals: ReturnType<typeof threadTotals>, request: string }>} */
  const totalsCache = new Map();

  const body = h("tbody");
  const summary = h("p", { class: "muted", role: "status", "aria-live": "polite" }, "Loading…");
  const more = h(
    "button",
    {
      type: "button",
      hidden: true,
      onclick: () => {
        limit += pageSize;
        restart();
      },
    },
    "Show more",
  );
  const filterBar = h("div", { class: "filters", role: "group", "aria-label": "Filter threads" });
  const table = h(
    "table",
    { class: "threads" },
    h("caption", { class: "visually-hidden" }, "Threads, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Thread", "Agent", "Status", "Age", "Steps", "Tokens", "Cost"].map((name) => h("th", { scope: "col" }, name)),
      ),
    ),
    body,
  );
  replaceChildren(
    root,
    h("h1", { tabindex: "-1" }, q ? `Threads matching "${q}"` : "Threads"),
    q ? h("p", { class: "small" }, h("a", { href: "#/threads" }, "Clear the search")) : null,
    filterBar,
    summary,
    h("div", { class: "table-wrap" }, table),
    more,
  );

  /**
   * @param {string} label
   * @param {string} id
   * @param {[string, string][]} options
   * @param {"status" | "agent"} key
   */
  function select(label, id, options, key) {
    return h(
      "div",
      { class: "filter" },
      h("label", { for: id }, label),
      h(
        "select",
        {
          id,
          onchange: (/** @type {Event} */ event) => {
            filters[key] = /** @type {HTMLSelectElement} */ (event.target).value;
            restart();
          },
        },
        options.map(([value, text]) => h("option", { value, selected: filters[key] === value }, text)),
      ),
    );
  }

  function renderFilters() {
    replaceChildren(
      filterBar,
      select(
        "Status",
        "filter-status",
        [["", "Any status"], ...statuses.map((status) => /** @type {[string, string]} */ ([status, status.replace("_", " ")]))],
        "status",
      ),
      select(
        "Agent",
        "filter-thread-agent",
        [["", "All agents"], ...agentNames.map((name) => /** @type {[string, string]} */ ([name, name]))],
        "agent",
      ),
    );
  }

  /**
   * @param {{ id: string, agent: string | null, status: string, createdAt: string, updatedAt: string }} thread
   * @param {{ totals: ReturnType<typeof threadTotals>, request: string } | undefined} details
   */
  function row(thread, details) {
    const totals = details?.totals;
    const age = timeElement(thread.createdAt);
    age.title = `started ${new Date(thread.createdAt).toLocaleString()}, updated ${new Date(thread.updatedAt).toLocaleString()}`;
    const cell = (/** @type {string} */ label, /** @type {(string | Node)[]} */ ...content) => h("td", { "data-label": label }, ...content);
    return h(
      "tr",
      { dataset: { threadId: thread.id } },
      cell(
        "Thread",
        h("a", { href: `#/threads/${encodeURIComponent(thread.id)}`, title: thread.id, class: "mono" }, shortId(thread.id)),
        details?.request ? h("span", { class: "request muted" }, details.request) : "",
      ),
      cell("Agent", thread.agent ?? "–"),
      cell("Status", statusBadge(thread.status)),
      cell("Age", age),
      cell("Steps", totals ? String(totals.steps) : "…"),
      cell("Tokens", totals ? formatNumber(totals.tokens) : "…"),
      cell("Cost", totals ? formatCost(totals.cost) : "…"),
    );
  }

  async function refresh() {
    const mine = generation;
    try {
      if (agentNames.length === 0) {
        agentNames = (await api.agents()).agents.map((/** @type {{ name: string }} */ agent) => agent.name);
        renderFilters();
      }
      const page = await api.listThreads({ ...filters, q, limit });
      /** @type {{ id: string, agent: string | null, status: string, version: number, createdAt: string, updatedAt: string }[]} */
      const threads = page.threads;
      await mapLimit(threads, 6, async (thread) => {
        const cached = totalsCache.get(thread.id);
        if (cached && cached.version === thread.version) return;
        const full = await api.thread(thread.id).catch(() => null);
        if (!full) return;
        const first = full.events.find((/** @type {{ type: string }} */ event) => event.type === "user_input");
        const request = first ? String(first.text) : "";
        totalsCache.set(thread.id, {
          version: full.version,
          totals: threadTotals(full.events),
          request: request.length > 80 ? `${request.slice(0, 77)}…` : request,
        });
      });
      if (stopped || mine !== generation) return;
      replaceChildren(
        body,
        threads.map((thread) => row(thread, totalsCache.get(thread.id))),
      );
      summary.textContent = q
        ? threads.length === 0
          ? `No thread matches "${q}"${page.nextCursor ? " among the threads searched so far; show more to search further" : ""}. Words are looked for in agents, statuses, intents and text; agent:, status:, intent: or text: limits a word to one of them.`
          : `${threads.length} thread(s) match "${q}", newest first.`
        : threads.length === 0
          ? "No threads yet. Start one from the inbox, with POST /v1/threads or with agentfold run."
          : `${threads.length} thread(s), newest first.`;
      more.hidden = !page.nextCursor;
    } catch (error) {
      if (!stopped && mine === generation) hooks.onError(error);
      return;
    }
    if (!stopped && mine === generation) timer = window.setTimeout(refresh, refreshMs);
  }

  function restart() {
    generation += 1;
    clearTimeout(timer);
    refresh();
  }

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
