/**
 * This process's wake-ups: a clock timer per thread that falls due soon (a durable timer, a request's
 * deadline), which advances the thread at its time. The advance fires what is due under the
 * thread's lease (`advanceTask`), so the wake-up itself decides nothing and may come twice, early,
 * or in several processes at once: exactly once is the lease's and the fold's doing.
 *
 * Invariants: at most one timer per thread (a new time replaces the old); a time further away than
 * `horizonMs` sets none — the next sweep, which lists what falls due before the sweep after it,
 * sets it then; a wake-up that finds its time not yet come (the wall clock behind the timer) sets
 * itself again, and one whose time has passed without firing (another process holds the thread)
 * leaves it to that process and to the sweep; after `close()` no timer is set or fires.
 */
import type { Thread } from "agentfold";
import { nextWakeAt, type TimerClock, type TimerHandle } from "agentfold/runtime";
import type { AdvanceOutcome } from "./context.ts";

export interface WakeTimers {
  /** Sets (or moves, or clears with `undefined`) the wake-up of a thread. */
  schedule(threadId: string, wakeAt: string | undefined): void;
  /** The wake-up for a thread as it now stands: call after each append. */
  follow(thread: Thread): void;
  /** Threads with a wake-up set in this process. */
  readonly size: number;
  close(): void;
}

/**
 * @example
 * const wakes = createWakeTimers({ clock, horizonMs: 30_000, advance: (id) => runner.advance(id), onError });
 * wakes.follow(thread); // a thread that waits until 09:10 is advanced at 09:10
 */
export function createWakeTimers(options: {
  clock: TimerClock;
  horizonMs: number;
  advance(threadId: string): Promise<AdvanceOutcome>;
  onError(error: unknown, threadId: string): void;
}): WakeTimers {
  const { clock } = options;
  const timers = new Map<string, TimerHandle>();
  let closed = false;

  const wake = (threadId: string, wakeAt: string) => {
    timers.delete(threadId);
    options.advance(threadId).then(
      (outcome) => {
        // The thread's next time (or this one again, when the wall clock was behind the timer); a time
        // already past is held up elsewhere (another process's lease), and the sweep retries it.
        const next = outcome.thread ? nextWakeAt(outcome.thread.state) : wakeAt;
        if (next !== undefined && Date.parse(next) > clock.now().getTime()) schedule(threadId, next);
      },
      (error: unknown) => options.onError(error, threadId),
    );
  };

  function schedule(threadId: string, wakeAt: string | undefined): void {
    clock.clearTimeout(timers.get(threadId));
    timers.delete(threadId);
    if (closed || wakeAt === undefined) return;
    const delay = Math.max(0, Date.parse(wakeAt) - clock.now().getTime());
    if (delay > options.horizonMs) return;
    timers.set(
      threadId,
      clock.setTimeout(() => wake(threadId, wakeAt), delay, { unref: true }),
    );
  }

  return {
    schedule,
    follow: (thread) => schedule(thread.id, nextWakeAt(thread.state)),
    get size() {
      return timers.size;
    },
    close() {
      closed = true;
      for (const timer of timers.values()) clock.clearTimeout(timer);
      timers.clear();
    },
  };
}
