// @ts-check
/** Small formatting helpers and totals derived from a thread's events. */

/**
 * "3 min ago", "2 h ago", or a date for older times.
 *
 * @param {string} iso
 * @param {number} [now]
 */
export function timeAgo(iso, now = Date.now()) {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  const seconds = Math.max(0, Math.round((now - time) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 30) return `${days} d ago`;
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * A time element showing `timeAgo`, with the exact time as its title and datetime.
 *
 * @param {string} iso
 */
export function timeElement(iso) {
  const element = document.createElement("time");
  element.dateTime = iso;
  element.title = new Date(iso).toLocaleString();
  element.textContent = timeAgo(iso);
  return element;
}

/** @param {number} value */
export function formatNumber(value) {
  return new Intl.NumberFormat("en").format(value);
}

/** @param {number | undefined} cost */
export function formatCost(cost) {
  if (cost === undefined) return "–";
  if (cost === 0) return "$0";
  return cost < 0.01 ? `$${cost.toFixed(4)}` : `$${cost.toFixed(2)}`;
}

/**
 * Steps (model decisions), tokens and cost of a thread.
 *
 * @param {readonly { type: string, usage?: { inputTokens: number, outputTokens: number, cost?: number } }[]} events
 */
export function threadTotals(events) {
  let steps = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  /** @type {number | undefined} */
  let cost;
  for (const event of events) {
    if (event.type !== "model_decision" && !(event.type === "error" && /** @type {any} */ (event).source === "model_output")) continue;
    steps += 1;
    if (!event.usage) continue;
    inputTokens += event.usage.inputTokens;
    outputTokens += event.usage.outputTokens;
    if (event.usage.cost !== undefined) cost = (cost ?? 0) + event.usage.cost;
  }
  return { steps, inputTokens, outputTokens, tokens: inputTokens + outputTokens, cost };
}

/** @type {Record<string, string>} */
const statusLabels = {
  running: "running",
  awaiting_approval: "awaiting approval",
  awaiting_human: "awaiting answer",
  waiting: "waiting",
  done: "done",
  failed: "failed",
  canceled: "canceled",
};

/**
 * A status badge.
 *
 * @param {string} status
 */
export function statusBadge(status) {
  const element = document.createElement("span");
  element.className = `badge status-${status}`;
  element.textContent = statusLabels[status] ?? status;
  return element;
}

/**
 * A shortened thread id for tight spaces (the full id is in the link's title).
 *
 * @param {string} id
 */
export function shortId(id) {
  return id.length > 16 ? `${id.slice(0, 12)}…` : id;
}
