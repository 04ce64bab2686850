// @ts-check
/**
 * The thread page's waterfall: each step's model call, tool runs and waits for people as bars on
 * the thread's time line, with durations, tokens, cost, retries and who answered. The rows come from
 * `GET /v1/threads/:id/timing` (core's `timingRows`, which `agentfold threads show --timing` prints
 * too), so the page draws them and derives nothing itself.
 *
 * Every fact is text; the bars only repeat the times for the eye (`aria-hidden`). Bar positions are
 * set through the CSSOM (`element.style`), which the page's style-src 'self' policy allows, unlike
 * style attributes.
 */
import { h } from "./dom.js";
import { formatCost, formatNumber } from "./format.js";

/**
 * @typedef {{ kind: "model" | "tool" | "wait", step: number, label: string, startMs: number, durationMs: number,
 *   running?: true, tokens?: { input: number, output: number }, cost?: number, retries?: number, attempt?: number,
 *   failed?: true, actor?: string, details: string[] }} TimingRow
 */

/**
 * `812 ms`, `3.4 s`, `2 min 5 s`.
 *
 * @param {number} ms
 */
export function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const kindNames = { model: "Model call", tool: "Tool run", wait: "Waiting for a person" };

/**
 * What a row says besides its label and duration, from its fields.
 *
 * @param {TimingRow} row
 * @returns {string[]}
 */
function facts(row) {
  return [
    row.tokens ? `${formatNumber(row.tokens.input)} in / ${formatNumber(row.tokens.output)} out tokens` : "",
    row.cost === undefined ? "" : formatCost(row.cost),
    row.retries ? `${row.retries} ${row.retries === 1 ? "retry" : "retries"}` : "",
    row.attempt ? `attempt ${row.attempt}` : "",
    row.failed ? "failed" : "",
    row.actor ? `by ${row.actor}` : "",
  ].filter(Boolean);
}

/**
 * The waterfall of `rows`, grouped by step.
 *
 * @param {TimingRow[]} rows
 * @returns {HTMLElement}
 */
export function waterfall(rows) {
  if (rows.length === 0) return h("p", { class: "muted small" }, "No model calls, tool runs or waits yet.");
  const end = Math.max(...rows.map((row) => row.startMs + row.durationMs), 1);
  /** @type {Map<number, TimingRow[]>} */
  const steps = new Map();
  for (const row of rows) steps.set(row.step, [...(steps.get(row.step) ?? []), row]);
  return h(
    "ol",
    { class: "waterfall", "aria-label": "Steps, oldest first" },
    [...steps].map(([step, stepRows]) =>
      h(
        "li",
        { class: "waterfall-step", dataset: { step: String(step) } },
        h("h3", { class: "waterfall-step-title" }, step === 0 ? "Before the first step" : `Step ${step}`),
        h(
          "ul",
          { class: "waterfall-rows" },
          stepRows.map((row) => {
            const bar = h("span", {
              class: `waterfall-bar kind-${row.kind}${row.running ? " running" : ""}${row.failed ? " failed" : ""}`,
            });
            // A bar at the very end (a call of 0 ms, the last thing) still shows its 3 px.
            bar.style.marginLeft = `min(${(row.startMs / end) * 100}%, calc(100% - 3px))`;
            bar.style.width = `${(row.durationMs / end) * 100}%`;
            const rowFacts = facts(row);
            return h(
              "li",
              { class: `waterfall-row kind-${row.kind}`, dataset: { kind: row.kind } },
              h("span", { class: "waterfall-label" }, h("span", { class: "visually-hidden" }, `${kindNames[row.kind]}: `), row.label),
              h(
                "span",
                { class: "waterfall-duration" },
                row.running ? (row.kind === "wait" ? "waiting…" : "running…") : formatDuration(row.durationMs),
              ),
              h("span", { class: "waterfall-track", "aria-hidden": "true" }, bar),
              h(
                "span",
                { class: "waterfall-details muted small" },
                `from +${formatDuration(row.startMs)}${rowFacts.length > 0 ? ` · ${rowFacts.join(" · ")}` : ""}`,
              ),
            );
          }),
        ),
      ),
    ),
  );
}
