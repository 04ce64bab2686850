/**
 * A thread's timings: its model calls, tool runs and waits for people as rows of a waterfall, from
 * the times on its events (a decision's `at` and `latencyMs`, a tool's `tool_started` and its result
 * or error, a request and its answer). One derivation for every place that shows them:
 * `agentfold threads show --timing`, `GET /v1/threads/:id/timing` and the web thread page.
 *
 * Invariant: a pure function of the events. A row never reads a clock, so a stored thread shows
 * the same waterfall wherever and whenever it is read; a row still going (a tool with no result, a
 * request with no answer) has `durationMs` 0 and `running: true` rather than a duration up to "now".
 */
import type { Event } from "./events.ts";

/** One bar of the waterfall. Times are milliseconds since the thread's first event. */
export interface TimingRow {
  kind: "model" | "tool" | "wait";
  /**
   * The step the row belongs to: the n-th model call is step n, and a tool run or a wait belongs to
   * the step whose decision made its call. 0 for a row before any model call.
   */
  step: number;
  /** `chat <model>`, `<intent> <callId>`, `approval of <intent> <callId>` or `answer to <callId>`. */
  label: string;
  startMs: number;
  durationMs: number;
  /** A tool run with no result yet, or a wait with no answer: `durationMs` is 0 until it ends. */
  running?: true;
  /** A model call's tokens, when the model reported them. */
  tokens?: { input: number; output: number };
  /** A model call's cost in dollars, when known. */
  cost?: number;
  /** How many times the model call was retried before this reply (`model_call_retried` events). */
  retries?: number;
  /** A tool run's attempt, when it is not the first (the run was retried after a crash). */
  attempt?: number;
  /** A tool run that ended in an error. */
  failed?: true;
  /** Who approved, rejected or answered, for a wait that ended. */
  actor?: string;
  /** The facts above as short phrases, for a terminal or a tooltip: `"120 in / 9 out tokens"`, `"$0.002"`, `"1 retry"`. */
  details: string[];
}

/**
 * The rows of `events`, in the order they started.
 *
 * @example
 * timingRows(thread.events); // [{ kind: "model", step: 1, label: "chat openai:gpt-4o", startMs: 0, durationMs: 812, tokens: { input: 120, output: 9 }, details: ["120 in / 9 out tokens"] }, …]
 */
export function timingRows(events: readonly Event[]): TimingRow[] {
  const origin = events[0] ? Date.parse(events[0].at) : 0;
  const at = (event: Event) => Date.parse(event.at) - origin;
  const rows: TimingRow[] = [];
  /** Rows still going, by `tool:<callId>` or `wait:<callId>`. */
  const open = new Map<string, TimingRow>();
  /** The step of each call, from the decision that made it. */
  const stepOfCall = new Map<string, number>();
  let step = 0;
  let retries = 0;
  for (const event of events) {
    switch (event.type) {
      case "model_call_retried":
        retries++;
        break;
      case "model_decision": {
        step++;
        for (const call of event.calls) stepOfCall.set(call.callId, step);
        const durationMs = event.latencyMs ?? 0;
        const row: TimingRow = {
          kind: "model",
          step,
          label: `chat ${event.model ?? "model"}`,
          startMs: at(event) - durationMs,
          durationMs,
          details: [],
        };
        if (event.usage) {
          row.tokens = { input: event.usage.inputTokens, output: event.usage.outputTokens };
          row.details.push(`${event.usage.inputTokens} in / ${event.usage.outputTokens} out tokens`);
          if (event.usage.cost !== undefined) {
            row.cost = event.usage.cost;
            row.details.push(`$${event.usage.cost}`);
          }
        }
        if (retries > 0) {
          row.retries = retries;
          row.details.push(`${retries} ${retries === 1 ? "retry" : "retries"}`);
        }
        rows.push(row);
        retries = 0;
        break;
      }
      case "tool_started": {
        const row = started("tool", `${event.intent} ${event.callId}`, stepOfCall.get(event.callId) ?? step, at(event));
        if ((event.attempt ?? 1) > 1) {
          row.attempt = event.attempt!;
          row.details.push(`attempt ${event.attempt}`);
        }
        rows.push(row);
        open.set(`tool:${event.callId}`, row);
        break;
      }
      case "tool_result":
      case "error": {
        if (event.type === "error" && event.source !== "tool") break;
        const row = ended(open, `tool:${event.callId ?? ""}`, at(event));
        if (row && event.type === "error") {
          row.failed = true;
          row.details.push("failed");
        }
        break;
      }
      case "approval_requested":
      case "human_request": {
        const label = event.type === "approval_requested" ? `approval of ${event.intent} ${event.callId}` : `answer to ${event.callId}`;
        const row = started("wait", label, stepOfCall.get(event.callId) ?? step, at(event));
        row.details.push("waiting");
        rows.push(row);
        open.set(`wait:${event.callId}`, row);
        break;
      }
      case "approval_decision":
      case "human_response": {
        const row = ended(open, `wait:${event.callId}`, at(event));
        if (row) {
          row.actor = event.actor;
          row.details = [...row.details.filter((text) => text !== "waiting"), `by ${event.actor}`];
        }
        break;
      }
    }
  }
  return rows;
}

function started(kind: "tool" | "wait", label: string, step: number, startMs: number): TimingRow {
  return { kind, step, label, startMs, durationMs: 0, running: true, details: [] };
}

/** Ends the open row under `key` at `endMs` and returns it; `undefined` when none is open. */
function ended(open: Map<string, TimingRow>, key: string, endMs: number): TimingRow | undefined {
  const row = open.get(key);
  if (!row) return undefined;
  open.delete(key);
  delete row.running;
  row.durationMs = Math.max(0, endMs - row.startMs);
  return row;
}
