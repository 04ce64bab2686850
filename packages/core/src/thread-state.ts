/**
 * Everything a thread "is" besides its events, computed as a fold over the events.
 *
 * `reduceThreadState(state, event, index)` is pure; a `Thread` keeps the folded state of its events
 * and folds only the new ones on append, so status, pending requests and counters cost O(1) per
 * event rather than a scan of the whole history on every step.
 */
import { InternalError } from "./errors.ts";
import type { Event, EventOf, JsonValue, ToolCall } from "./events.ts";

/** Every status a thread can have, in the order of a thread's life. */
export const threadStatuses = ["running", "awaiting_approval", "awaiting_human", "waiting", "done", "failed", "canceled"] as const;

export type ThreadStatus = (typeof threadStatuses)[number];

/** Where one call of a model decision stands until it is closed (result, error, rejection…). */
export type CallPhase =
  | "decided"
  | "awaiting_approval"
  | "approved"
  | "awaiting_human"
  | "started"
  | "child_paused"
  | "child_resumed"
  /** The tool returned `sleep`/`waitUntil`: the call's result is recorded when its timer fires. */
  | "waiting";

export interface OpenCall {
  readonly callId: string;
  readonly intent: string;
  /** The arguments the model chose. */
  readonly args: Record<string, JsonValue>;
  /** The arguments that will run: the edited ones when a human approved an edit. */
  readonly runArgs: Record<string, JsonValue>;
  /** Index of the `model_decision` event that made this call. */
  readonly decisionIndex: number;
  readonly phase: CallPhase;
  readonly idempotencyKey?: string;
  /** How many times it was started (more than once only after crashes). */
  readonly attempts: number;
  readonly childThreadId?: string;
}

/** An open approval request: approve, reject with a comment, or approve edited arguments. */
export interface PendingApproval {
  readonly kind: "approval";
  readonly callId: string;
  readonly intent: string;
  readonly args: Record<string, JsonValue>;
  readonly argsHash: string;
  /** The arguments as the tool will receive them, when its schema fills defaults or transforms. */
  readonly resolvedArgs?: JsonValue;
  readonly since: string;
  readonly deadline?: RequestDeadline;
}

/** When a pending request must be decided by (`since` plus the request's `afterMs`), and what happens then. */
export interface RequestDeadline {
  readonly by: string;
  readonly action: "reject" | "remind" | "escalate";
  readonly to?: readonly string[];
  /** A `deadline_passed` was recorded: a reminder or an escalation went out; the request still waits. */
  readonly passed: boolean;
}

/** A timer the thread waits for (`timer_set` not yet followed by its `timer_fired`). */
export interface ActiveTimer {
  readonly timerId: string;
  /** ISO 8601 time it fires. */
  readonly until: string;
  readonly reason?: string;
  /** The call that waits, when a tool returned the wait. */
  readonly callId?: string;
  readonly result?: JsonValue;
  readonly since: string;
}

/** An open question to a person (asked by the model, an escalation, or an unknown outcome). */
export interface PendingQuestion {
  readonly kind: "question";
  readonly callId: string;
  readonly reason: EventOf<"human_request">["reason"];
  readonly question: string;
  readonly context?: string;
  readonly urgency: "low" | "medium" | "high";
  readonly format: "free_text" | "yes_no" | "multiple_choice";
  readonly choices?: readonly string[];
  readonly intent?: string;
  readonly since: string;
  readonly deadline?: RequestDeadline;
}

/**
 * A child agent's thread is waiting; what it waits for is listed on the child thread. A child that
 * waits for a timer (`waiting`) needs nobody: the parent is `waiting` too, not awaiting a person.
 */
export interface PendingChild {
  readonly kind: "child";
  readonly callId: string;
  readonly childThreadId: string;
  readonly childStatus: "awaiting_approval" | "awaiting_human" | "waiting";
  readonly since: string;
}

export type PendingItem = PendingApproval | PendingQuestion | PendingChild;

export interface ThreadState {
  /** `done`, `failed` or `canceled` once such an event is last in effect; a new user input clears it. */
  readonly terminal: "done" | "failed" | "canceled" | null;
  /** Calls of model decisions that are not closed yet, in the order the model made them. */
  readonly openCalls: readonly OpenCall[];
  readonly pending: readonly PendingItem[];
  /**
   * Failed steps in a row: an invalid or failed model call, or a decision one of whose calls failed,
   * counts once. A decision whose calls all succeed, a human response or a user input resets it.
   */
  readonly consecutiveErrors: number;
  /** The same, per intent, for per-tool limits. */
  readonly consecutiveErrorsByIntent: Readonly<Record<string, number>>;
  /** Model calls in the whole thread (decisions and invalid replies). */
  readonly stepCount: number;
  /** Model calls since the last user input or human response: what `maxSteps` limits. */
  readonly stepsSinceInput: number;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly cost: number };
  /** Events before this index are replaced by `compactionSummary` in the rendered context. */
  readonly compactedUpTo: number;
  readonly compactionSummary: string | null;
  /**
   * Errors not resolved yet, oldest first. A tool's error is resolved by a later result of the same
   * intent; an invalid or failed model call by a later valid decision.
   */
  readonly unresolvedErrors: readonly UnresolvedError[];
  /** Index of the newest decision one of whose calls failed (-1 when none). */
  readonly failedDecisionIndex: number;
  /**
   * The `code` of the `failed` event that ended the thread, when it had one: such a thread is
   * resumed (a `resumed` event) once the cause is fixed, without a new message.
   */
  readonly failureCode: EventOf<"failed">["code"] | null;
  /** Timers not fired yet, in the order they were set: while there is one, the thread is `waiting`. */
  readonly timers: readonly ActiveTimer[];
  /**
   * The agent the newest `handoff` passed the thread to: it drives the thread from then on. `null`
   * until a handoff, when the agent the thread was started for (`thread.agent`) drives it.
   */
  readonly agent: string | null;
  /**
   * Per tool source, its last `tools_listed`: the tools the thread offers (see tool-sources.ts).
   * `sinceInput` is false once a later user input starts a new turn, when the step checks the
   * source's list again before a decision; within a turn the thread keeps the list it recorded.
   */
  readonly toolLists: ReadonlyMap<string, ToolListAt>;
}

/** Where a tool source's last list is in the thread. */
export interface ToolListAt {
  /** Index of the `tools_listed` event. */
  readonly index: number;
  /** No user input came after it. */
  readonly sinceInput: boolean;
}

export interface UnresolvedError {
  readonly index: number;
  readonly intent: string | undefined;
  readonly source: "model_output" | "model_call" | "tool";
}

export const emptyThreadState: ThreadState = Object.freeze({
  terminal: null,
  openCalls: [],
  pending: [],
  consecutiveErrors: 0,
  consecutiveErrorsByIntent: {},
  stepCount: 0,
  stepsSinceInput: 0,
  usage: { inputTokens: 0, outputTokens: 0, cost: 0 },
  compactedUpTo: 0,
  compactionSummary: null,
  unresolvedErrors: [],
  failedDecisionIndex: -1,
  failureCode: null,
  timers: [],
  agent: null,
  toolLists: new Map(),
});

/**
 * The pending item a request event opens, as `thread.pending` lists it; also useful to show a request
 * after it was decided.
 */
export function pendingItemOf(event: EventOf<"approval_requested">): PendingApproval;
export function pendingItemOf(event: EventOf<"human_request">): PendingQuestion;
export function pendingItemOf(event: EventOf<"approval_requested"> | EventOf<"human_request">): PendingApproval | PendingQuestion;
export function pendingItemOf(event: EventOf<"approval_requested"> | EventOf<"human_request">): PendingApproval | PendingQuestion {
  if (event.type === "approval_requested") {
    return {
      kind: "approval",
      callId: event.callId,
      intent: event.intent,
      args: event.args,
      argsHash: event.argsHash,
      ...(event.resolvedArgs === undefined ? {} : { resolvedArgs: event.resolvedArgs }),
      since: event.at,
      ...deadlineOf(event),
    };
  }
  return {
    kind: "question",
    callId: event.callId,
    reason: event.reason,
    question: event.question,
    urgency: event.urgency,
    format: event.format,
    since: event.at,
    ...(event.context === undefined ? {} : { context: event.context }),
    ...(event.choices === undefined ? {} : { choices: event.choices }),
    ...(event.intent === undefined ? {} : { intent: event.intent }),
    ...deadlineOf(event),
  };
}

function deadlineOf(
  event: EventOf<"approval_requested"> | EventOf<"human_request">,
): { deadline: RequestDeadline } | Record<string, never> {
  if (!event.deadline) return {};
  const { afterMs, action, to } = event.deadline;
  const by = new Date(Date.parse(event.at) + afterMs).toISOString();
  return { deadline: { by, action, ...(to === undefined ? {} : { to }), passed: false } };
}

/** Derives the status from a folded state. */
export function statusOf(state: ThreadState): ThreadStatus {
  if (state.terminal) return state.terminal;
  let human = false;
  let childWaits = false;
  for (const item of state.pending) {
    if (item.kind === "approval") return "awaiting_approval";
    if (item.kind === "child" && item.childStatus === "awaiting_approval") return "awaiting_approval";
    // A child asleep on a timer asks nothing of a person: its parent waits with it.
    if (item.kind === "child" && item.childStatus === "waiting") childWaits = true;
    else human = true;
  }
  if (human) return "awaiting_human";
  return state.timers.length > 0 || childWaits ? "waiting" : "running";
}

function withoutCall<T extends { callId: string }>(items: readonly T[], callId: string): readonly T[] {
  return items.some((item) => item.callId === callId) ? items.filter((item) => item.callId !== callId) : items;
}

function updateCall(calls: readonly OpenCall[], callId: string, change: Partial<OpenCall>): readonly OpenCall[] {
  return calls.map((call) => (call.callId === callId ? { ...call, ...change } : call));
}

function closeCall(state: ThreadState, callId: string): ThreadState {
  return { ...state, openCalls: withoutCall(state.openCalls, callId), pending: withoutCall(state.pending, callId) };
}

/** A person spoke: every counter starts again. */
/** The lists as a new turn finds them: recorded before it. */
function olderThanInput(lists: ReadonlyMap<string, ToolListAt>): ReadonlyMap<string, ToolListAt> {
  return new Map([...lists].map(([source, at]) => [source, { index: at.index, sinceInput: false }]));
}

function reset(state: ThreadState): ThreadState {
  return { ...state, consecutiveErrors: 0, consecutiveErrorsByIntent: {}, failedDecisionIndex: -1 };
}

/** A call closed successfully: its intent's count resets, and the step's once all its calls did. */
function callSucceeded(before: ThreadState, after: ThreadState, callId: string, intent: string | undefined): ThreadState {
  const call = before.openCalls.find((open) => open.callId === callId);
  let next = after;
  if (intent !== undefined) {
    if (next.consecutiveErrorsByIntent[intent]) {
      next = { ...next, consecutiveErrorsByIntent: { ...next.consecutiveErrorsByIntent, [intent]: 0 } };
    }
    if (next.unresolvedErrors.some((error) => error.intent === intent && error.source === "tool")) {
      next = { ...next, unresolvedErrors: next.unresolvedErrors.filter((error) => !(error.intent === intent && error.source === "tool")) };
    }
  }
  if (
    call &&
    next.consecutiveErrors !== 0 &&
    call.decisionIndex !== next.failedDecisionIndex &&
    !next.openCalls.some((open) => open.decisionIndex === call.decisionIndex)
  ) {
    next = { ...next, consecutiveErrors: 0 };
  }
  return next;
}

/** Folds one event into the state. Pure: never mutates `state`. */
export function reduceThreadState(state: ThreadState, event: Event, index: number): ThreadState {
  switch (event.type) {
    case "user_input":
      return {
        ...reset(state),
        terminal: null,
        failureCode: null,
        stepsSinceInput: 0,
        toolLists: state.toolLists.size === 0 ? state.toolLists : olderThanInput(state.toolLists),
      };
    case "model_decision": {
      const calls: OpenCall[] = event.calls.map((call: ToolCall) => ({
        callId: call.callId,
        intent: call.intent,
        args: call.args,
        runArgs: call.args,
        decisionIndex: index,
        phase: "decided",
        attempts: 0,
      }));
      const usage = event.usage
        ? {
            inputTokens: state.usage.inputTokens + event.usage.inputTokens,
            outputTokens: state.usage.outputTokens + event.usage.outputTokens,
            cost: state.usage.cost + (event.usage.cost ?? 0),
          }
        : state.usage;
      const modelErrors = state.unresolvedErrors.some((error) => error.source !== "tool");
      return {
        ...state,
        openCalls: [...state.openCalls, ...calls],
        stepCount: state.stepCount + 1,
        stepsSinceInput: state.stepsSinceInput + 1,
        usage,
        // A valid decision resolves earlier invalid or failed model calls.
        unresolvedErrors: modelErrors ? state.unresolvedErrors.filter((error) => error.source === "tool") : state.unresolvedErrors,
      };
    }
    case "approval_requested":
      return {
        ...state,
        openCalls: updateCall(state.openCalls, event.callId, { phase: "awaiting_approval" }),
        pending: [...withoutCall(state.pending, event.callId), pendingItemOf(event)],
      };
    case "approval_decision": {
      if (!event.approved) return closeCall(state, event.callId);
      const call = state.openCalls.find((open) => open.callId === event.callId);
      return {
        ...state,
        openCalls: updateCall(state.openCalls, event.callId, {
          phase: "approved",
          runArgs: event.args ?? call?.args ?? {},
        }),
        pending: withoutCall(state.pending, event.callId),
      };
    }
    case "tool_started": {
      const attempts = (state.openCalls.find((open) => open.callId === event.callId)?.attempts ?? 0) + 1;
      return {
        ...state,
        openCalls: updateCall(state.openCalls, event.callId, {
          phase: "started",
          idempotencyKey: event.idempotencyKey,
          attempts,
        }),
      };
    }
    case "tool_result":
      return callSucceeded(state, closeCall(state, event.callId), event.callId, event.intent);
    case "error": {
      const call = event.callId === undefined ? undefined : state.openCalls.find((open) => open.callId === event.callId);
      const base = event.callId === undefined ? state : closeCall(state, event.callId);
      const modelCall = event.source === "model_output" || event.source === "model_call";
      const byIntent =
        event.intent === undefined
          ? base.consecutiveErrorsByIntent
          : {
              ...base.consecutiveErrorsByIntent,
              [event.intent]: (base.consecutiveErrorsByIntent[event.intent] ?? 0) + 1,
            };
      // A decision counts as one failed step however many of its calls fail.
      const sameStep = call !== undefined && call.decisionIndex === base.failedDecisionIndex;
      return {
        ...base,
        consecutiveErrors: sameStep ? base.consecutiveErrors : base.consecutiveErrors + 1,
        consecutiveErrorsByIntent: byIntent,
        failedDecisionIndex: call ? call.decisionIndex : base.failedDecisionIndex,
        unresolvedErrors: [...base.unresolvedErrors, { index, intent: event.intent, source: event.source }],
        stepCount: modelCall ? base.stepCount + 1 : base.stepCount,
        stepsSinceInput: modelCall ? base.stepsSinceInput + 1 : base.stepsSinceInput,
      };
    }
    case "human_request":
      return {
        ...state,
        openCalls: updateCall(state.openCalls, event.callId, { phase: "awaiting_human" }),
        pending: [...withoutCall(state.pending, event.callId), pendingItemOf(event)],
      };
    case "human_response":
      return { ...reset(closeCall(state, event.callId)), stepsSinceInput: 0 };
    case "child_paused":
      return {
        ...state,
        openCalls: updateCall(state.openCalls, event.callId, {
          phase: "child_paused",
          childThreadId: event.childThreadId,
        }),
        pending: [
          ...withoutCall(state.pending, event.callId),
          {
            kind: "child",
            callId: event.callId,
            childThreadId: event.childThreadId,
            childStatus: event.childStatus,
            since: event.at,
          },
        ],
      };
    case "child_resumed":
      return {
        ...state,
        openCalls: updateCall(state.openCalls, event.callId, { phase: "child_resumed" }),
        pending: withoutCall(state.pending, event.callId),
      };
    case "timer_set": {
      const timer: ActiveTimer = {
        timerId: event.timerId,
        until: event.until,
        since: event.at,
        ...(event.reason === undefined ? {} : { reason: event.reason }),
        ...(event.callId === undefined ? {} : { callId: event.callId }),
        ...(event.result === undefined ? {} : { result: event.result }),
      };
      return {
        ...state,
        openCalls: event.callId === undefined ? state.openCalls : updateCall(state.openCalls, event.callId, { phase: "waiting" }),
        timers: [...state.timers.filter((open) => open.timerId !== event.timerId), timer],
      };
    }
    case "timer_fired":
      // A call's timer is followed by the call's tool_result, which closes the call.
      return { ...state, timers: state.timers.filter((timer) => timer.timerId !== event.timerId) };
    case "deadline_passed":
      return {
        ...state,
        pending: state.pending.map((item) =>
          item.callId === event.callId && item.kind !== "child" && item.deadline
            ? { ...item, deadline: { ...item.deadline, passed: true } }
            : item,
        ),
      };
    case "done":
      return { ...state, terminal: "done", openCalls: [], pending: [], timers: [] };
    case "failed":
      return { ...state, terminal: "failed", openCalls: [], pending: [], timers: [], failureCode: event.code ?? null };
    case "resumed":
      // Only a failure with a code is resumed (`agent.resume` checks); the error counters start again.
      return state.terminal === "failed" && state.failureCode !== null ? { ...reset(state), terminal: null, failureCode: null } : state;
    case "model_call_retried":
    case "model_warning":
      return state;
    case "tools_listed":
      return { ...state, toolLists: new Map(state.toolLists).set(event.source, { index, sinceInput: true }) };
    case "handoff": {
      // The new agent starts with its own step budget and no error streak of the one before.
      const handedOff = event.callId === undefined ? state : closeCall(state, event.callId);
      return { ...reset(handedOff), stepsSinceInput: 0, agent: event.to };
    }
    case "cancel":
      // A call that was running when the cancel was stored has an unknown outcome: it stays open, so
      // its result may still be recorded and, if none comes, a message that reopens the thread leads
      // to recovery (re-run with the same key, or ask a person) instead of forgetting the call.
      return {
        ...state,
        terminal: "canceled",
        openCalls: state.openCalls.filter((call) => call.phase === "started"),
        pending: [],
        timers: [],
      };
    case "compaction":
      return { ...state, compactedUpTo: event.upTo, compactionSummary: event.summary };
    case "custom":
      return state;
    default:
      throw new InternalError(`Unknown event type ${JSON.stringify((event as { type?: unknown }).type)}; events must match eventSchema.`);
  }
}
