/**
 * One queued task on a thread: take the lease, keep it while working (core's `keepLease`), apply a
 * person's change if there is one, run the thread on, and let a waiting parent agent go on.
 *
 * Invariants: nothing is read or written before the lease is held; a plain advance does not wait for
 * another process's lease (`leased_elsewhere`), a change waits until its deadline; the lease is
 * released when the task ends, whatever its outcome; while it is held, the queue entry's controller
 * aborts the task (a cancel, the runner closing).
 */
import { StateConflictError, type Lease, type Thread } from "agentfold";
import { acquireLeaseBy, keepLease, resumeChild, ThreadBusyError, ThreadNotFoundError, type LeaseGuard } from "agentfold/runtime";
import type { AdvanceOutcome, RunnerContext, ThreadChange } from "./context.ts";
import { appendChange, type PendingChange } from "./person-change.ts";
import { runThread } from "./run-thread.ts";
import type { QueueEntry, ThreadQueue } from "./thread-queue.ts";

/** The task's context: the runner's, and how to queue a change on another thread (a child's parent). */
export interface TaskContext extends RunnerContext {
  change(threadId: string, change: ThreadChange): Promise<unknown>;
}

/**
 * Queues a plain advance, or returns the one already queued and not started for the thread. Its
 * outcome never rejects: errors go to `onError` and the outcome says `stopped`.
 */
export function queueAdvance(context: TaskContext, queue: ThreadQueue, threadId: string): Promise<AdvanceOutcome> {
  const existing = queue.get(threadId)?.queuedAdvance;
  if (existing) return existing;
  let started = false;
  const promise = queue.enqueue(threadId, (entry) => {
    started = true;
    if (entry.queuedAdvance === promise) entry.queuedAdvance = undefined;
    return advanceTask(context, threadId, entry, undefined).catch((error: unknown): AdvanceOutcome => {
      if (error instanceof ThreadNotFoundError) return { result: "not_found", thread: undefined };
      context.onError(error, threadId);
      return { result: "stopped", thread: undefined };
    });
  });
  const entry = queue.get(threadId);
  if (entry && !started) entry.queuedAdvance = promise;
  return promise;
}

/** Takes the lease, applies `change` if given, and runs the thread until it waits or finishes. */
export async function advanceTask(
  context: TaskContext,
  threadId: string,
  entry: QueueEntry,
  change: PendingChange | undefined,
): Promise<AdvanceOutcome> {
  const { store, agents, clock } = context;
  const lease = await acquireLeaseBy(store, threadId, context.owner, context.leaseTtlMs, change ? change.deadline : 0, clock);
  if (!lease) {
    if (change) throw new ThreadBusyError(threadId, clock.now().getTime() - (change.deadline - context.leaseWaitMs));
    return { result: "leased_elsewhere", thread: await store.load(threadId) };
  }
  if (change && !change.claim()) {
    // The request was already answered 409 thread_busy: applying the change now would contradict it.
    await store.releaseLease(lease).catch((error: unknown) => context.onError(error, threadId));
    return { result: "stopped", thread: undefined };
  }
  return withLease(context, lease, entry, async (signal, guard) => {
    let thread = await store.load(threadId);
    if (!thread) throw new ThreadNotFoundError(threadId);
    const agent = agents.get(thread.agent ?? "");
    if (!agent) {
      if (change)
        throw new StateConflictError(
          `Thread ${threadId} belongs to agent "${thread.agent}", which this server does not run. Agents here: ${[...agents.keys()].join(", ")}.`,
        );
      return { result: "unknown_agent", thread };
    }
    if (change) {
      const next = change.apply(thread, agent);
      if (next !== thread) {
        thread = await appendChange(context, thread, next, lease);
        context.notify(thread);
      }
      change.applied(thread);
    }
    const outcome = await runThread(context, thread, agent, lease, signal, guard);
    if (outcome.thread) resumeParent(context, outcome.thread);
    return outcome;
  });
}

/** Holds a lease for the duration of `work` (see core's `keepLease`); a cancel aborts `work` too. */
async function withLease<T>(
  context: RunnerContext,
  lease: Lease,
  entry: QueueEntry,
  work: (signal: AbortSignal, guard: LeaseGuard) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  entry.controller = controller;
  try {
    const onError = (error: unknown) => context.onError(error, lease.threadId);
    return await keepLease(context.store, lease, { ttlMs: context.leaseTtlMs, controller, onError, clock: context.clock }, work);
  } finally {
    entry.controller = undefined;
  }
}

/**
 * A child agent's thread (see `agent.asTool`) that went on after a person answered it lets its
 * parent go on too: the parent's next step continues the child and reads its result.
 */
function resumeParent(context: TaskContext, child: Thread): void {
  const { parentThreadId, parentCallId } = child.metadata;
  if (typeof parentThreadId !== "string" || typeof parentCallId !== "string") return;
  if (child.status === "awaiting_approval" || child.status === "awaiting_human") return;
  context
    .change(parentThreadId, (parent) =>
      parent.pending.some((item) => item.kind === "child" && item.callId === parentCallId) ? resumeChild(parent, parentCallId) : parent,
    )
    .catch((error: unknown) => context.onError(error, parentThreadId));
}
