/**
 * Durable timers and request deadlines (factor 8: durable sleep). A wait is an event, `timer_set`,
 * so a waiting thread is rows in a store like any paused one; it wakes when a `timer_fired` is
 * appended: by whatever process advances it once the time has come (the runner's sweep, `agentfold
 * resume`), or early, by a person or a new message. A request's deadline (`deadline` on an approval
 * or a question) passes the same way, as a `deadline_passed` event.
 *
 * Everything here is pure: the time is passed in. Exactly once comes from where the events are
 * appended — under the thread's lease, with `expectedVersion` and the fence — and from the fold: a
 * fired timer or a passed deadline is no longer due, so a process that reloads finds nothing to do.
 */
import { systemClock, type Clock } from "./clock.ts";
import { InvalidInputError, StateConflictError } from "./errors.ts";
import type { JsonValue, NewEvent } from "./event-schema.ts";
import { toJson } from "./model-output.ts";
import type { Thread } from "./thread.ts";
import type { ThreadState } from "./thread-state.ts";

export interface WaitOptions {
  /** Why the thread waits, shown with its status ("until the deploy settles"). */
  reason?: string;
  /** What the call yields when the timer fires. Default: `{ waitedUntil, wokeAt }` (and `early`, `by` when woken early). */
  result?: unknown;
}

/** What `sleep` and `waitUntil` return: a tool returns it from `run` and the call waits durably. */
export class Wait {
  /** Milliseconds from when the wait is recorded (for `sleep`). */
  readonly ms: number | undefined;
  /** The time to wake (for `waitUntil`). */
  readonly until: Date | undefined;
  readonly reason: string | undefined;
  readonly result: unknown;
  constructor(target: { ms: number } | { until: Date }, options: WaitOptions = {}) {
    this.ms = "ms" in target ? target.ms : undefined;
    this.until = "until" in target ? target.until : undefined;
    this.reason = options.reason;
    this.result = options.result;
  }
  /** The time the wait ends, for a wait recorded at `now`. */
  endsAt(now: Date): Date {
    return this.until ?? new Date(now.getTime() + (this.ms ?? 0));
  }
}

/**
 * A durable sleep: returned from a tool's `run`, the call waits `ms` milliseconds, across restarts,
 * then its result is recorded and the agent goes on.
 *
 * @example
 * const pause = defineTool({ intent: "wait_minutes", args: z.object({ minutes: z.number() }),
 *   run: ({ minutes }) => sleep(minutes * 60_000, { reason: "let the deploy settle" }) });
 */
export function sleep(ms: number, options?: WaitOptions): Wait {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidInputError(`sleep(ms) needs a finite number of milliseconds of 0 or more, got ${String(ms)}.`);
  }
  return new Wait({ ms }, options);
}

/**
 * A durable wait until a time (a `Date` or an ISO 8601 string with a zone); a time already past
 * wakes at the next advance.
 *
 * @example
 * run: ({ at }) => waitUntil(at, { reason: "the maintenance window" })
 */
export function waitUntil(time: Date | string, options?: WaitOptions): Wait {
  const until = typeof time === "string" && /(Z|[+-]\d\d:\d\d)$/i.test(time) ? new Date(time) : time;
  if (!(until instanceof Date) || Number.isNaN(until.getTime())) {
    throw new InvalidInputError(
      `waitUntil needs a Date or an ISO 8601 time with a zone (e.g. "2026-12-01T09:00:00Z"), got ${JSON.stringify(time)}.`,
    );
  }
  return new Wait({ until }, options);
}

/**
 * The `timer_set` event for a wait recorded at `now`; with `callId`, the call waits and gets its
 * result when the timer fires. Policies that wait record this event themselves.
 *
 * @example
 * thread = thread.append([timerSetEvent(sleep(600_000), { timerId: `wait_${thread.version}`, now: clock.now() })]);
 */
export function timerSetEvent(wait: Wait, options: { timerId: string; callId?: string; now: Date }): NewEvent {
  return {
    type: "timer_set",
    timerId: options.timerId,
    until: wait.endsAt(options.now).toISOString(),
    ...(wait.reason === undefined ? {} : { reason: wait.reason }),
    ...(options.callId === undefined ? {} : { callId: options.callId }),
    ...(wait.result === undefined ? {} : { result: toJson(wait.result) }),
  };
}

/**
 * The earliest time something in the thread falls due — a timer, or a request's deadline not passed
 * yet — as ISO 8601, or undefined. Stores keep it beside the status to find due threads.
 *
 * @example
 * nextWakeAt(thread.state); // "2026-12-01T09:00:00.000Z"
 */
export function nextWakeAt(state: ThreadState): string | undefined {
  if (state.terminal) return undefined;
  let earliest: number | undefined;
  const consider = (time: string) => {
    const ms = Date.parse(time);
    if (earliest === undefined || ms < earliest) earliest = ms;
  };
  for (const timer of state.timers) consider(timer.until);
  for (const item of state.pending) if (item.kind !== "child" && item.deadline && !item.deadline.passed) consider(item.deadline.by);
  return earliest === undefined ? undefined : new Date(earliest).toISOString();
}

/** The events that fire `timers` (each of a call followed by the call's result). */
function firedEvents(state: ThreadState, timers: ThreadState["timers"], now: Date, early?: { actor: string }): NewEvent[] {
  const events: NewEvent[] = [];
  for (const timer of timers) {
    events.push({ type: "timer_fired", timerId: timer.timerId, ...(early ? { early: true, actor: early.actor } : {}) });
    const call = timer.callId === undefined ? undefined : state.openCalls.find((open) => open.callId === timer.callId);
    if (!call) continue;
    const result: JsonValue = timer.result ?? {
      waitedUntil: timer.until,
      wokeAt: now.toISOString(),
      ...(early ? { early: true, by: early.actor } : {}),
    };
    events.push({ type: "tool_result", callId: call.callId, intent: call.intent, result });
  }
  return events;
}

/** Who a passed deadline is recorded as deciding, on a rejection or an answer it makes. */
export const DEADLINE_ACTOR = "deadline";

/**
 * What falls due at `now`: `timer_fired` (and the waiting call's result) for each timer whose time
 * has come, and for each request whose deadline passed, `deadline_passed` with what its policy does
 * — a rejection or a "no answer" reply, or nothing more for a reminder or an escalation. Empty when
 * nothing is due. Pure.
 *
 * @example
 * const events = dueEvents(thread, clock.now());
 * if (events.length > 0) thread = thread.append(events, clock);
 */
export function dueEvents(thread: Thread, now: Date): NewEvent[] {
  const { state } = thread;
  if (state.terminal) return [];
  const time = now.getTime();
  const events = firedEvents(
    state,
    state.timers.filter((timer) => Date.parse(timer.until) <= time),
    now,
  );
  for (const item of state.pending) {
    if (item.kind === "child" || !item.deadline || item.deadline.passed || Date.parse(item.deadline.by) > time) continue;
    const { action, to, by } = item.deadline;
    events.push({ type: "deadline_passed", callId: item.callId, action, ...(to === undefined ? {} : { to: [...to] }) });
    if (action !== "reject") continue;
    events.push(
      item.kind === "approval"
        ? {
            type: "approval_decision",
            callId: item.callId,
            approved: false,
            comment: `No decision came by the deadline (${by}).`,
            argsHash: item.argsHash,
            actor: DEADLINE_ACTOR,
          }
        : { type: "human_response", callId: item.callId, text: `No answer came by the deadline (${by}).`, actor: DEADLINE_ACTOR },
    );
  }
  return events;
}

/**
 * The thread with everything due at the clock's now appended (see `dueEvents`), or the same thread
 * when nothing is due.
 *
 * @example
 * const next = fireDue(thread, clock);
 * if (next !== thread) await store.append(next, { expectedVersion: thread.version, fence });
 */
export function fireDue(thread: Thread, clock: Clock = systemClock): Thread {
  const events = dueEvents(thread, clock.now());
  return events.length === 0 ? thread : thread.append(events, clock);
}

/**
 * Wakes a waiting thread before its time, as a person asked: every timer fires `early`, recorded
 * with `actor`.
 *
 * @throws StateConflictError when the thread waits for no timer.
 * @example
 * thread = wakeThread(thread, { actor: "cli:alice" });
 */
export function wakeThread(thread: Thread, options: { actor?: string; clock?: Clock } = {}): Thread {
  if (thread.state.timers.length === 0) {
    throw new StateConflictError(`Thread ${thread.id} is ${thread.status} and waits for no timer; there is nothing to wake.`);
  }
  const clock = options.clock ?? systemClock;
  return thread.append(firedEvents(thread.state, thread.state.timers, clock.now(), { actor: options.actor ?? "anonymous" }), clock);
}

/** The events that wake every timer early because a message came (see `addMessage`). */
export function wakeForMessage(thread: Thread, actor: string | undefined, now: Date): NewEvent[] {
  return firedEvents(thread.state, thread.state.timers, now, { actor: actor ?? "anonymous" });
}
