/**
 * A runner's work queue (core's `WorkQueue`): work any process may do, that no caller in this
 * process waits for — a timer or a request's deadline falling due, a thread this process let go of
 * while closing. With several processes on one Postgres, `createPostgresWorkQueue` (in
 * @agentfold/stores) hands each request to one of them, woken at once and durable across restarts;
 * without a queue, this process's own wake-ups (`wake-timers.ts`) and the recovery sweep do it.
 *
 * A request decides nothing: the advance fires what is due under the thread's lease, so a request
 * that comes twice, early, or after the thread moved on costs a lease taken and released, nothing
 * more. Exactly once is the lease's and the fold's doing; the queue makes it prompt.
 *
 * Invariants of `createQueuedWakes`: a thread's wake time is requested once per change of it in this
 * process (an append that leaves it as it was asks nothing); a failed request is forgotten, so the
 * next append or sweep asks again; a request that ran asks again for the thread's next time (it
 * may have replaced the request for it); a runner's work queue closes only after the requests
 * already sent are answered; after `close()` nothing is requested.
 */
import type { Thread } from "agentfold";
import { nextWakeAt, type WorkQueue } from "agentfold/runtime";
import type { AdvanceOutcome } from "./context.ts";
import type { WakeTimers } from "./wake-timers.ts";

/** Wake times remembered per thread: enough for the threads one process appends to between two of their wakes. */
const REMEMBERED = 10_000;

/**
 * The wake-ups of a runner with a work queue: every wake time becomes a request at that time, so
 * whichever process is up then advances the thread, however far away the time is.
 *
 * @example
 * const wakes = createQueuedWakes(queue, onError);
 * wakes.follow(thread); // a thread that waits until 09:10 gets a request for 09:10
 */
export function createQueuedWakes(
  queue: WorkQueue,
  onError: (error: unknown, threadId: string) => void,
): WakeTimers & { sent(): Promise<void>; forget(threadId: string): void } {
  const requested = new Map<string, string>();
  /** Requests on their way to the queue: closing waits for them, so a timer set just before is not lost. */
  const sending = new Set<Promise<void>>();
  let closed = false;
  const schedule = (threadId: string, wakeAt: string | undefined) => {
    if (closed) return;
    // A wake time that went away leaves its request: advancing then finds nothing due.
    if (wakeAt === undefined) {
      requested.delete(threadId);
      return;
    }
    if (requested.get(threadId) === wakeAt) return;
    requested.delete(threadId);
    requested.set(threadId, wakeAt);
    if (requested.size > REMEMBERED) requested.delete(requested.keys().next().value!);
    const sent = queue
      .request(threadId, new Date(wakeAt))
      .catch((error: unknown) => {
        if (requested.get(threadId) === wakeAt) requested.delete(threadId);
        onError(error, threadId);
      })
      .finally(() => sending.delete(sent));
    sending.add(sent);
  };
  return {
    schedule,
    follow: (thread: Thread) => schedule(thread.id, nextWakeAt(thread.state)),
    get size() {
      return requested.size;
    },
    close() {
      closed = true;
      requested.clear();
    },
    async sent() {
      await Promise.all(sending);
    },
    /** Forgets what was requested for the thread, so its next `schedule` asks the queue even for the same time. */
    forget: (threadId) => {
      requested.delete(threadId);
    },
  };
}

/** What a runner does with a work queue: its wake-ups, taking requests, and handing work over when it closes. */
export interface RunnerWork {
  readonly wakes: WakeTimers;
  /** Starts taking requests: each advances its thread; one that stopped before the thread settled is tried again later. */
  start(): Promise<void>;
  /** Stops taking requests: the first thing a closing runner does, so it takes on nothing new, its own hand-overs included. */
  stopTaking(): Promise<void>;
  /** Asks for these threads (this process's work, just aborted) to be advanced now by a process still running. */
  handOver(threadIds: readonly string[]): Promise<void>;
  /** Stops taking requests. */
  close(): Promise<void>;
}

/**
 * @example
 * const work = createRunnerWork({ queue, advance: (id) => runner.advance(id), onError });
 * await work.start();
 */
export function createRunnerWork(options: {
  queue: WorkQueue;
  advance(threadId: string): Promise<AdvanceOutcome>;
  onError(error: unknown, threadId: string): void;
  /** The runner's clock, in milliseconds. */
  now(): number;
}): RunnerWork {
  const { queue, onError } = options;
  let closing = false;
  const wakes = createQueuedWakes(queue, onError);
  return {
    wakes,
    start: () =>
      queue.start(async (threadId) => {
        // Taken just as this process stopped taking requests: left to a process still running.
        if (closing) return queue.request(threadId);
        const outcome = await options.advance(threadId);
        // Stopped by a store outage or a lost lease: the queue tries again later, with backoff. Stopped
        // because this process closes: `handOver` asks again, for a process still running.
        if (outcome.result === "stopped" && !closing) {
          throw new Error(`Thread ${threadId} stopped before it settled; the queue tries it again later.`);
        }
        // This request may have replaced the one for the thread's next time (a request for now, at a
        // hand-over, replaces a timer's): ask for that time again, as the thread now stands.
        const next = outcome.thread ? nextWakeAt(outcome.thread.state) : undefined;
        if (next !== undefined && Date.parse(next) > options.now()) {
          wakes.forget(threadId);
          wakes.schedule(threadId, next);
        }
      }),
    async stopTaking() {
      closing = true;
      await queue.stopTaking().catch((error: unknown) => onError(error, "*"));
    },
    async handOver(threadIds) {
      await Promise.all(threadIds.map((threadId) => queue.request(threadId).catch((error: unknown) => onError(error, threadId))));
    },
    async close() {
      closing = true;
      // The wake times of the last appends reach the queue before it closes.
      await wakes.sent();
      await queue.close();
    },
  };
}
