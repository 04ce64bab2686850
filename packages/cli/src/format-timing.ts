/**
 * `agentfold threads show --timing`: a thread's model calls, tool runs and waits for people as a
 * waterfall in the terminal, from the times on its events (a decision's `latencyMs` and `at`, a
 * tool's `tool_started` and result, a request and its answer). The same timings as the web thread
 * page and the server's spans.
 */
import type { Event } from "agentfold";

/** One bar of the waterfall. Times are milliseconds since the thread's first event. */
export interface TimingRow {
  kind: "model" | "tool" | "wait";
  label: string;
  startMs: number;
  durationMs: number;
  /** What else there is to say: tokens, cost and retries of a call; the attempt and outcome of a run. */
  details: string[];
}

/**
 * The rows of `events`, in the order they started.
 *
 * @example
 * timingRows(thread.events); // [{ kind: "model", label: "chat openai:gpt-4o", startMs: 0, durationMs: 812, details: ["120 in / 9 out tokens"] }, …]
 */
export function timingRows(events: readonly Event[]): TimingRow[] {
  const origin = events[0] ? Date.parse(events[0].at) : 0;
  const at = (event: Event) => Date.parse(event.at) - origin;
  const rows: TimingRow[] = [];
  const open = new Map<string, { row: TimingRow }>();
  let retries = 0;
  for (const event of events) {
    switch (event.type) {
      case "model_call_retried":
        retries++;
        break;
      case "model_decision": {
        const durationMs = event.latencyMs ?? 0;
        const details = [
          ...(event.usage ? [`${event.usage.inputTokens} in / ${event.usage.outputTokens} out tokens`] : []),
          ...(event.usage?.cost === undefined ? [] : [`$${event.usage.cost}`]),
          ...(retries > 0 ? [`${retries} ${retries === 1 ? "retry" : "retries"}`] : []),
        ];
        rows.push({ kind: "model", label: `chat ${event.model ?? "model"}`, startMs: at(event) - durationMs, durationMs, details });
        retries = 0;
        break;
      }
      case "tool_started": {
        const row: TimingRow = { kind: "tool", label: `${event.intent} ${event.callId}`, startMs: at(event), durationMs: 0, details: [] };
        if ((event.attempt ?? 1) > 1) row.details.push(`attempt ${event.attempt}`);
        rows.push(row);
        open.set(`tool:${event.callId}`, { row });
        break;
      }
      case "tool_result":
      case "error":
        if (event.type === "error" && event.source !== "tool") break;
        closeRow(open, `tool:${event.callId ?? ""}`, at(event), event.type === "error" ? "failed" : undefined);
        break;
      case "approval_requested":
      case "human_request": {
        const row: TimingRow = {
          kind: "wait",
          label: event.type === "approval_requested" ? `approval of ${event.intent} ${event.callId}` : `answer to ${event.callId}`,
          startMs: at(event),
          durationMs: 0,
          details: ["waiting"],
        };
        rows.push(row);
        open.set(`wait:${event.callId}`, { row });
        break;
      }
      case "approval_decision":
      case "human_response":
        closeRow(open, `wait:${event.callId}`, at(event), `by ${event.actor}`);
        break;
    }
  }
  return rows;
}

function closeRow(open: Map<string, { row: TimingRow }>, key: string, endMs: number, detail: string | undefined): void {
  const entry = open.get(key);
  if (!entry) return;
  open.delete(key);
  entry.row.durationMs = Math.max(0, endMs - entry.row.startMs);
  entry.row.details = entry.row.details.filter((text) => text !== "waiting");
  if (detail) entry.row.details.push(detail);
}

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
