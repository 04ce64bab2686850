/**
 * One queued task on a thread: take the lease, keep it while working (core's `keepLease`), apply a
 * person's change if there is one, run the thread on; a child agent's thread instead lets its
 * waiting parent go on, which runs the child.
 *
 * Invariants: nothing is read or written before the lease is held; a plain advance does not wait for
 * another process's lease (`leased_elsewhere`), a change waits until its deadline; the lease is
 * released when the task ends, whatever its outcome; while it is held, the queue entry's controller
 * aborts the task (a cancel, the runner closing).
 */
import { StateConflictError, type Agent, type Lease, type Thread } from "agentfold";
import {
  acquireLeaseBy,
  familyRefusal,
  findThreadAgent,
  fireDue,
  keepLease,
  parentOf,
  resumePausedChild,
  ThreadBusyError,
  ThreadNotFoundError,
  type LeaseGuard,
} from "agentfold/runtime";
import type { AdvanceOutcome, RunnerContext, ThreadChange } from "./context.ts";
import { appendChange, type PendingChange } from "./person-change.ts";
import { runThread } from "./run-thread.ts";
import type { QueueEntry, ThreadQueue } from "./thread-queue.ts";

/** The task's context: the runner's, and how to queue a change on another thread (a child's parent). */
export interface TaskContext extends RunnerContext {
  change(threadId: string, change: ThreadChange): Promise<{ settled: Promise<AdvanceOutcome> }>;
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

/**
 * Takes the lease, applies `change` if given, and runs the thread until it waits or finishes. A
 * child agent's thread is not run here: once it can go on, its parent is (`continueParent`).
 */
export async function advanceTask(
  context: TaskContext,
  threadId: string,
  entry: QueueEntry,
  change: PendingChange | undefined,
): Promise<AdvanceOutcome> {
  const { store, clock } = context;
  // The thread comes with the lease where the store can read both in one round trip.
  const lease = await acquireLeaseBy(store, threadId, context.owner, context.leaseTtlMs, change ? change.deadline : 0, clock, undefined, {
    load: true,
  });
  if (!lease) {
    if (change) throw new ThreadBusyError(threadId, clock.now().getTime() - (change.deadline - context.leaseWaitMs));
    return { result: "leased_elsewhere", thread: await store.load(threadId) };
  }
  if (change && !change.claim()) {
    // The request was already answered 409 thread_busy: applying the change now would contradict it.
    await store.releaseLease(lease).catch((error: unknown) => context.onError(error, threadId));
    return { result: "stopped", thread: undefined };
  }
  const outcome = await withLease(context, lease, entry, async (signal, guard) => {
    let thread = lease.thread ?? (await store.load(threadId));
    if (!thread) throw new ThreadNotFoundError(threadId);
    if (lease.takenOverFrom !== undefined)
      context.leaseTakenOver({ threadId, agent: thread.agent ?? "unknown", previousOwner: lease.takenOverFrom, token: lease.token });
    const agent = await agentOfThread(context, thread);
    if (!agent) {
      if (change)
        throw new StateConflictError(
          `Thread ${threadId} belongs to agent "${thread.drivingAgent}", which this server does not run. Agents here: ${[...context.agents.keys()].join(", ")}.`,
        );
      return { result: "unknown_agent" as const, thread };
    }
    const child = parentOf(thread) !== undefined;
    if (change) {
      const refusal = child ? await familyRefusal(thread, (id) => store.load(id)) : undefined;
      if (refusal) throw new StateConflictError(refusal);
      const next = change.apply(thread, agent);
      if (next !== thread) {
        thread = await appendChange(context, thread, next, lease);
        context.notify(thread);
      }
      change.applied(thread);
    }
    // Timers and deadlines due now fire under this lease, once: whoever holds the lease next reloads
    // and finds them fired (see core's timers.ts).
    const due = fireDue(thread, clock);
    if (due !== thread) {
      thread = await appendChange(context, thread, due, lease);
      context.notify(thread);
    }
    // A child runs only inside its parent's tool, with the agent and model that tool holds.
    if (child) return { result: "settled" as const, thread };
    return runThread(context, thread, agent, lease, signal, guard);
  });
  // After the child's lease is released: its parent's tool takes it to run the child.
  return outcome.thread && parentOf(outcome.thread) ? continueParent(context, outcome.thread) : outcome;
}

/** The agent of a thread: by its name here, or, for a child agent's thread, the one its parent's tool runs. */
export function agentOfThread(context: Pick<RunnerContext, "agents" | "store">, thread: Thread): Promise<Agent | undefined> {
  const { agents, store } = context;
  // After a handoff, the agent it passed the thread to drives it.
  if (!parentOf(thread)) return Promise.resolve(agents.get(thread.drivingAgent ?? ""));
  return findThreadAgent(thread, { byName: (name) => agents.get(name), load: (id) => store.load(id) });
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
 * A child agent's thread (see `agent.asTool`) that can go on (a person answered it, canceled it, its
 * timer fired…)
 * lets its parent go on: the parent's next step continues the child with the child's own agent and
 * model and reads its result. Resolves once the parent settled, with the child as stored then. A
 * parent that is itself a child continues its own parent the same way (`advanceTask`).
 */
export async function continueParent(context: TaskContext, child: Thread): Promise<AdvanceOutcome> {
  const link = parentOf(child);
  // A child that still waits (for a person, or for a timer not due yet) leaves its parent waiting.
  if (!link || child.status === "awaiting_approval" || child.status === "awaiting_human" || child.status === "waiting") {
    return { result: "settled", thread: child };
  }
  try {
    const { settled } = await context.change(link.threadId, (parent) => resumePausedChild(parent, link.callId));
    await settled;
    return { result: "settled", thread: (await context.store.load(child.id)) ?? child };
  } catch (error) {
    // Never rejects: a cancel calls this without waiting, and a rejection nobody awaits ends the process.
    context.onError(error, link.threadId);
    return { result: "settled", thread: child };
  }
}
