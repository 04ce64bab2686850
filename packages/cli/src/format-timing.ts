/**
 * `agentfold threads show --timing`: a thread's model calls, tool runs and waits for people as a
 * waterfall in the terminal. The rows come from core's `timingRows` (agentfold/runtime), the same
 * derivation as `GET /v1/threads/:id/timing` and the web thread page; this file only draws them.
 */
import type { TimingRow } from "agentfold/runtime";

export { timingRows, type TimingRow } from "agentfold/runtime";

/** `812 ms`, `3.4 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * The rows as lines: start, what, how long, a bar placed on the thread's time line, details.
 *
 * @example
 * for (const line of timingLines(timingRows(thread.events))) console.log(line);
 */
export function timingLines(rows: readonly TimingRow[], width = 30): string[] {
  if (rows.length === 0) return ["No model calls, tool runs or waits yet."];
  const end = Math.max(...rows.map((row) => row.startMs + row.durationMs), 1);
  const labelWidth = Math.min(40, Math.max(...rows.map((row) => row.label.length)));
  return rows.map((row) => {
    const from = Math.min(width - 1, Math.floor((row.startMs / end) * width));
    const length = Math.max(1, Math.min(width - from, Math.round((row.durationMs / end) * width)));
    const bar = `${" ".repeat(from)}${(row.kind === "wait" ? "░" : "█").repeat(length)}`.padEnd(width);
    const start = `+${formatDuration(row.startMs)}`.padStart(10);
    const label = row.label.length > labelWidth ? `${row.label.slice(0, labelWidth - 1)}…` : row.label.padEnd(labelWidth);
    return `${start}  ${label}  ${formatDuration(row.durationMs).padStart(9)}  ${bar}  ${row.details.join(" · ")}`.trimEnd();
  });
}
