// @ts-check
/**
 * The thread list: status, agent, age, steps, tokens and cost of each thread, newest first,
 * filterable by status, agent and the days they were started on, and the results of a search
 * (`#/threads?q=…`, the API's `q`). Looks for changes every few seconds.
 */
import { api, mapLimit } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { formatCost, formatNumber, shortId, statusBadge, threadTotals, timeElement } from "./format.js";

const refreshMs = 5000;
const pageSize = 50;
const filters = { status: "", agent: "" };
/** The days threads were started on, both included, as `<input type="date">` gives them (`2026-11-01`), in this browser's time zone. */
const days = { from: "", to: "" };
const statuses = ["running", "awaiting_approval", "awaiting_human", "waiting", "done", "failed", "canceled"];

/**
 * The API's `createdFrom`/`createdBefore` for days picked in this browser's time zone: from the
 * first day's local midnight up to, not including, the local midnight after the last day. `null`
 * when the last day is before the first.
 *
 * @param {string} from a `YYYY-MM-DD` day or ""
 * @param {string} to a `YYYY-MM-DD` day or ""
 * @returns {{ createdFrom?: string, createdBefore?: string } | null}
 */
export function createdRange(from, to) {
  const midnight = (/** @type {string} */ day, /** @type {number} */ addDays) => {
    const [year, month, date] = day.split("-").map(Number);
    return new Date(year ?? 0, (month ?? 1) - 1, (date ?? 1) + addDays);
  };
  if (from && to && to < from) return null;
  return {
    ...(from ? { createdFrom: midnight(from, 0).toISOString() } : {}),
    ...(to ? { createdBefore: midnight(to, 1).toISOString() } : {}),
  };
}

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

  /**
   * @param {string} label
   * @param {string} id
   * @param {"from" | "to"} key
   */
  function dateInput(label, id, key) {
    return h(
      "div",
      { class: "filter filter-date" },
      h("label", { for: id }, label),
      h("input", {
        type: "date",
        id,
        value: days[key],
        onchange: (/** @type {Event} */ event) => {
          days[key] = /** @type {HTMLInputElement} */ (event.target).value;
          restart();
        },
      }),
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
      dateInput("Started from", "filter-started-from", "from"),
      dateInput("Started to", "filter-started-to", "to"),
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
      const range = createdRange(days.from, days.to);
      if (range === null) {
        replaceChildren(body);
        summary.textContent = "The “Started to” day is before the “Started from” day: no thread can match. Change one of them.";
        more.hidden = true;
        return;
      }
      const page = await api.listThreads({ ...filters, ...range, q, limit });
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
          ? days.from || days.to || filters.status || filters.agent
            ? "No thread matches these filters."
            : "No threads yet. Start one from the inbox, with POST /v1/threads or with agentfold run."
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
