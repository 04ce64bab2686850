/**
 * How threads read in a terminal: a one-screen state (status, pending calls, how to continue), a
 * timeline of events, and the JSON summary printed by `--json`.
 */
import type { Event, PendingItem, Thread } from "agentfold";
import { commandName } from "./command-name.ts";
import { ExitCode, type ExitCodeValue } from "./exit-codes.ts";
import { oneLine, shellQuote, type Output } from "./output.ts";

/** Flags that must be repeated on a follow-up command (a non-default `--db`, for instance). */
export type CarryFlags = readonly string[];

/** The exit code that a thread's status maps to. */
export function exitCodeFor(thread: Thread): ExitCodeValue {
  switch (thread.status) {
    case "done":
      return ExitCode.ok;
    case "awaiting_approval":
    case "awaiting_human":
    case "waiting":
      return ExitCode.waiting;
    case "failed":
      // The model's provider failed (a key, a model name, an outage): a fault to fix, not the agent's.
      return thread.state.failureCode ? ExitCode.unexpected : ExitCode.failed;
    case "canceled":
      return ExitCode.canceled;
    case "running":
      return ExitCode.unexpected;
  }
}

/** The commands that continue a waiting thread, one per pending call and decision. */
export function continueCommands(thread: Thread, carry: CarryFlags = []): string[] {
  const tail = carry.length ? ` ${carry.join(" ")}` : "";
  const cli = commandName();
  const commands: string[] = [];
  if (thread.status === "failed" && thread.state.failureCode) commands.push(`${cli} resume ${thread.id}${tail}`);
  else if (thread.status === "failed") commands.push(`${cli} message ${thread.id} ${shellQuote("<what to do now>")}${tail}`);
  if (thread.state.timers.length > 0) {
    commands.push(`${cli} resume ${thread.id}${tail}`);
    commands.push(`${cli} resume ${thread.id} --now${tail}`);
  }
  for (const item of thread.pending) {
    const base = `${thread.id} ${item.callId}`;
    if (item.kind === "approval") {
      commands.push(`${cli} approve ${base}${tail}`);
      commands.push(`${cli} approve ${base} --args ${shellQuote(JSON.stringify(item.args))}${tail}`);
      commands.push(`${cli} reject ${base} --comment ${shellQuote("<why>")}${tail}`);
    } else if (item.kind === "question") {
      const example = item.format === "yes_no" ? "yes" : (item.choices?.[0] ?? "<answer>");
      commands.push(`${cli} respond ${base} ${shellQuote(example)}${tail}`);
    } else {
      commands.push(`${cli} threads show ${item.childThreadId}${tail}`);
    }
  }
  return commands;
}

/** One line describing a pending call. */
export function describePending(item: PendingItem): string {
  if (item.kind === "approval") return `approve ${item.intent} ${JSON.stringify(item.args)}`;
  if (item.kind === "question") {
    const choices = item.choices?.length ? ` [${item.choices.join(" / ")}]` : item.format === "yes_no" ? " [yes / no]" : "";
    return `answer: ${item.question}${choices}`;
  }
  return `child thread ${item.childThreadId} is ${item.childStatus}`;
}

/** The final message of a done thread, or the reason of a failed or canceled one. */
export function outcomeOf(thread: Thread): string | undefined {
  for (let index = thread.events.length - 1; index >= 0; index -= 1) {
    const event = thread.events[index];
    if (!event) continue;
    if (event.type === "done") return event.message;
    if (event.type === "failed") return event.reason;
    if (event.type === "cancel") return event.reason ?? "canceled";
  }
  return undefined;
}

/**
 * The `--json` document for a thread: what the HTTP API's `GET /v1/threads/:id` returns, without
 * the events, plus the outcome and the commands that continue it.
 *
 * @example
 * out.data(threadSummary(thread, ["--db", "./other.db"]));
 */
export function threadSummary(thread: Thread, carry: CarryFlags = []): Record<string, unknown> {
  const outcome = outcomeOf(thread);
  return {
    id: thread.id,
    // After a handoff, the agent driving the thread now.
    agent: thread.drivingAgent ?? null,
    status: thread.status,
    version: thread.version,
    pending: thread.pending,
    ...(thread.status === "done" && outcome !== undefined ? { result: outcome } : {}),
    ...((thread.status === "failed" || thread.status === "canceled") && outcome !== undefined ? { reason: outcome } : {}),
    // The timers a waiting thread waits for, earliest first: `agentfold resume` after `until`, or `--now`.
    ...(thread.state.timers.length > 0
      ? {
          waiting: {
            until: [...thread.state.timers].sort((a, b) => Date.parse(a.until) - Date.parse(b.until))[0]!.until,
            timers: thread.state.timers,
          },
        }
      : {}),
    // Why the model failed (`model_misconfigured`, `model_unavailable`): resume once it is fixed.
    ...(thread.state.failureCode ? { failure: thread.state.failureCode } : {}),
    next: continueCommands(thread, carry),
  };
}

const statusStyle = {
  done: "green",
  running: "cyan",
  awaiting_approval: "yellow",
  awaiting_human: "yellow",
  waiting: "yellow",
  failed: "red",
  canceled: "gray",
} as const;

/** The status word, coloured. */
export function paintStatus(out: Output, status: Thread["status"]): string {
  return out.paint(statusStyle[status], status);
}

/**
 * Prints where a thread stands: its id and status, the outcome or what is pending, and the
 * commands that continue it.
 *
 * @example
 * printThreadState(out, thread);
 */
export function printThreadState(out: Output, thread: Thread, carry: CarryFlags = []): void {
  out.line(
    `${out.paint("bold", "thread")} ${thread.id}  ${paintStatus(out, thread.status)}  (${thread.drivingAgent ?? "no agent"}, ${thread.version} events)`,
  );
  const outcome = outcomeOf(thread);
  if (thread.status === "done" && outcome !== undefined) out.line(`${out.paint("green", "✔")} ${outcome}`);
  if ((thread.status === "failed" || thread.status === "canceled") && outcome !== undefined)
    out.line(`${out.paint("red", "✖")} ${outcome}`);
  for (const line of waitingLines(thread)) out.line(`${out.paint("yellow", "⏳")} ${line}`);
  if (thread.pending.length > 0) {
    out.line(out.paint("bold", "pending:"));
    for (const item of thread.pending) out.line(`  ${out.paint("yellow", item.callId)}  ${describePending(item)}`);
  }
  const commands = continueCommands(thread, carry);
  if (commands.length > 0) {
    out.line(out.paint("bold", "continue with:"));
    for (const command of commands) out.line(`  ${command}`);
  }
}

/**
 * What a thread waits for, one line each: its timers ("waits until … : reason") and the deadlines
 * of its pending requests.
 *
 * @example
 * waitingLines(thread); // ["waits until 2026-12-01T09:10:00.000Z: let the deploy settle"]
 */
export function waitingLines(thread: Thread): string[] {
  const lines = thread.state.timers.map((timer) => `waits until ${timer.until}${timer.reason ? `: ${oneLine(timer.reason, 100)}` : ""}`);
  for (const item of thread.pending) {
    if (item.kind === "child" || !item.deadline) continue;
    const { by, action, to, passed } = item.deadline;
    const after = action === "escalate" ? `escalate to ${to?.join(", ") ?? "?"}` : action;
    lines.push(passed ? `${item.callId}: its deadline (${by}) passed (${after})` : `${item.callId}: decide by ${by}, else ${after}`);
  }
  return lines;
}

function time(at: string): string {
  return at.length >= 19 ? at.slice(11, 19) : at;
}

function formatArgs(args: Record<string, unknown>): string {
  return oneLine(JSON.stringify(args), 100);
}

/**
 * A failed model attempt and the wait before the next, e.g. `HTTP 429 on attempt 1, retrying in 2.5 s`.
 *
 * @example
 * retryText({ attempt: 1, status: 429, waitMs: 2500, message: "Rate limit reached" });
 */
export function retryText(retry: { attempt: number; status?: number | undefined; waitMs: number; message: string }): string {
  const what = retry.status === undefined ? oneLine(retry.message, 80) : `HTTP ${retry.status}`;
  const wait = retry.waitMs < 1000 ? `${Math.round(retry.waitMs)} ms` : `${Math.round(retry.waitMs / 100) / 10} s`;
  return `${what} on attempt ${retry.attempt}, retrying in ${wait}`;
}

/** One event as a short line (without its index and time). */
export function describeEvent(event: Event): string {
  switch (event.type) {
    case "user_input":
      return `user${event.actor ? ` (${event.actor})` : ""}: ${oneLine(event.text)}`;
    case "model_decision": {
      const calls = event.calls.map((call) => `${call.intent} ${formatArgs(call.args)} [${call.callId}]`).join("; ");
      const tokens = event.usage ? `  (${event.usage.inputTokens}→${event.usage.outputTokens} tokens)` : "";
      return `model: ${calls}${tokens}`;
    }
    case "approval_requested":
      return `approval needed: ${event.intent} ${formatArgs(event.args)} [${event.callId}]`;
    case "approval_decision": {
      const verdict = event.approved ? (event.args ? "approved with edited args" : "approved") : "rejected";
      const edited = event.args ? ` ${formatArgs(event.args)}` : "";
      const comment = event.comment ? ` "${oneLine(event.comment, 80)}"` : "";
      return `${verdict} by ${event.actor}${edited}${comment} [${event.callId}]`;
    }
    case "tool_started":
      return `running ${event.intent} ${formatArgs(event.args)} [${event.callId}]`;
    case "tool_result":
      return `${event.intent} → ${oneLine(JSON.stringify(event.result), 100)}${event.prefetched ? " (prefetched)" : ""}`;
    case "error":
      return `error (${event.source}${event.intent ? `, ${event.intent}` : ""}): ${oneLine(event.message)}`;
    case "human_request":
      return `asks (${event.reason}): ${oneLine(event.question)} [${event.callId}]`;
    case "human_response":
      return `answer by ${event.actor}: ${oneLine(event.text)} [${event.callId}]`;
    case "child_paused":
      return `child thread ${event.childThreadId} is ${event.childStatus} [${event.callId}]`;
    case "child_resumed":
      return `child thread ${event.childThreadId} resumed [${event.callId}]`;
    case "done":
      return `done: ${oneLine(event.message)}`;
    case "failed":
      return `failed: ${oneLine(event.reason)}`;
    case "cancel":
      return `canceled${event.actor ? ` by ${event.actor}` : ""}${event.reason ? `: ${oneLine(event.reason)}` : ""}`;
    case "timer_set":
      return `waits until ${event.until}${event.reason ? `: ${oneLine(event.reason, 80)}` : ""}${event.callId ? ` [${event.callId}]` : ""}`;
    case "timer_fired":
      return `timer ${event.timerId} fired${event.early ? ` early${event.actor ? `, woken by ${event.actor}` : ""}` : ""}`;
    case "deadline_passed":
      return `deadline passed: ${event.action === "escalate" ? `escalated to ${event.to?.join(", ") ?? "?"}` : event.action === "remind" ? "reminder sent" : "rejected"} [${event.callId}]`;
    case "compaction":
      return `compacted events before #${event.upTo}: ${oneLine(event.summary, 80)}`;
    case "custom":
      return `${event.name}: ${oneLine(JSON.stringify(event.data), 100)}`;
    case "resumed":
      return `resumed${event.actor ? ` by ${event.actor}` : ""}`;
    case "model_call_retried":
      return `model call retried: ${retryText(event)}`;
    case "model_warning":
      return `model warning (${event.kind}): ${oneLine(event.message)}`;
    case "handoff":
      return `handed off from ${event.from} to ${event.to}: ${oneLine(event.reason)}${event.callId ? ` [${event.callId}]` : ""}`;
    case "tools_listed":
      return `tools listed by ${event.source}: ${oneLine(event.tools.map((tool) => tool.name).join(", ") || "none", 100)}`;
  }
}

const eventStyle: Partial<Record<Event["type"], Parameters<Output["paint"]>[0]>> = {
  user_input: "cyan",
  model_decision: "magenta",
  approval_requested: "yellow",
  approval_decision: "yellow",
  human_request: "yellow",
  error: "red",
  failed: "red",
  model_call_retried: "yellow",
  model_warning: "yellow",
  done: "green",
  tool_result: "blue",
};

/**
 * Prints events as a timeline: `#index  hh:mm:ss  what happened`.
 *
 * @example
 * printTimeline(out, thread.events);
 */
export function printTimeline(out: Output, events: readonly Event[], firstIndex = 0): void {
  events.forEach((event, offset) => {
    const index = out.paint("gray", `#${firstIndex + offset}`.padEnd(4));
    const style = eventStyle[event.type];
    const text = describeEvent(event);
    out.line(`${index} ${out.paint("gray", time(event.at))}  ${style ? out.paint(style, text) : text}`);
  });
}
