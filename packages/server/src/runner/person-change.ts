/**
 * The person-change protocol: an approval, answer or message is applied under the thread's lease,
 * inside the thread's queue, by the task that then runs the thread on.
 *
 * Invariants: one deadline (`leaseWaitMs` from the call) covers waiting behind this process's earlier
 * tasks and for another process's lease; the request is answered exactly once, either with the
 * thread right after the change or with an error (`thread_busy` at the deadline, or the change's own
 * error); a change is applied only if its request was still waiting when the lease was taken, so a
 * request answered `thread_busy` never takes effect later; a change whose store call failed is read
 * back, and counts as applied when the stored thread holds exactly its events.
 */
import type { Lease, Thread } from "agentfold";
import {
  canonicalJson,
  describeError,
  LeaseLostError,
  StoreUnavailableError,
  ThreadBusyError,
  ThreadNotFoundError,
  VersionConflictError,
} from "agentfold/runtime";
import type { AdvanceOutcome, RunnerContext, ThreadChange } from "./context.ts";
import type { QueueEntry, ThreadQueue } from "./thread-queue.ts";

/** A person's change on its way in: it may be applied only while its request still waits for it. */
export interface PendingChange {
  apply: ThreadChange;
  /** When the request stops waiting (set when `change()` was called), on the clock's wall time. */
  deadline: number;
  /** Called once the lease is held: `false` when the request already gave up, so the change must not be applied. */
  claim: () => boolean;
  /** Called with the thread right after the change is stored. */
  applied: (thread: Thread) => void;
}

/** Runs one queued task for the thread, with the change to apply once the lease is held. */
export type ChangeTask = (threadId: string, entry: QueueEntry, change: PendingChange) => Promise<AdvanceOutcome>;

/**
 * Queues `change` on the thread and resolves once it is stored, with the task's outcome to come as
 * `settled`; rejects with `ThreadBusyError` when the lease is not held by the deadline.
 */
export function requestChange(
  context: RunnerContext,
  queue: ThreadQueue,
  runTask: ChangeTask,
  threadId: string,
  change: ThreadChange,
): Promise<{ applied: Thread; settled: Promise<AdvanceOutcome> }> {
  const { clock, leaseWaitMs } = context;
  // One deadline for the whole request: waiting behind this process's earlier work on the thread,
  // then for another process's lease. Once the lease is held, the change goes ahead.
  const called = clock.now().getTime();
  const deadline = called + leaseWaitMs;
  return new Promise((resolve, reject) => {
    let state: "waiting" | "claimed" | "applied" | "expired" = "waiting";
    const expire = () => {
      if (state !== "waiting") return;
      state = "expired";
      clock.clearTimeout(timer);
      reject(new ThreadBusyError(threadId, clock.now().getTime() - called));
    };
    // Not unref'd: a request waiting for its answer keeps the process alive.
    const timer = clock.setTimeout(expire, leaseWaitMs);
    const settled = queue.enqueue(threadId, (entry) => {
      if (state !== "waiting") return Promise.resolve<AdvanceOutcome>({ result: "stopped", thread: undefined });
      return runTask(threadId, entry, {
        apply: change,
        deadline,
        claim: () => {
          if (state === "waiting" && clock.now().getTime() > deadline) expire();
          if (state !== "waiting") return false;
          state = "claimed";
          clock.clearTimeout(timer);
          return true;
        },
        applied: (thread) => {
          state = "applied";
          resolve({ applied: thread, settled });
        },
      });
    });
    settled.catch((error: unknown) => {
      clock.clearTimeout(timer);
      if (state === "waiting" || state === "claimed") {
        state = "expired";
        reject(error);
      } else if (state === "applied") context.onError(error, threadId);
    });
  });
}

/**
 * Stores a person's change (a decision, an answer, a message) and returns the thread with it. When
 * the append fails for a reason other than a refusal, the write may still have committed (the
 * connection dropped after COMMIT, a fault after the write), so the thread is read back: holding
 * exactly the change's events, it is the answer, and the runner goes on from it. Failing with the
 * error instead would hide a decision that took effect (its retry would only meet "already
 * decided") and leave the thread for the recovery sweep. When the read fails too, nobody can tell
 * yet: a StoreUnavailableError (503, Retry-After) says how to find out.
 */
export async function appendChange(context: RunnerContext, before: Thread, next: Thread, lease: Lease): Promise<Thread> {
  const { store } = context;
  try {
    await store.append(next, { expectedVersion: before.version, fence: lease.token });
    return next;
  } catch (error) {
    // Refusals: the store decided against the write, so nothing was stored.
    if (error instanceof VersionConflictError || error instanceof LeaseLostError || error instanceof ThreadNotFoundError) throw error;
    let stored: Thread | undefined;
    try {
      stored = await store.load(before.id);
    } catch (readError) {
      throw new StoreUnavailableError(
        `The store failed while recording this change to thread ${before.id} (${describeError(error)}) and could not be read back (${describeError(readError)}), so the change may or may not be recorded. GET the thread to see; a retry with the same Idempotency-Key is safe.`,
        { retryAfterSeconds: readError instanceof StoreUnavailableError ? readError.retryAfterSeconds : 1, cause: error },
      );
    }
    const changed = (thread: Thread) => canonicalJson(thread.events.slice(before.version, next.version));
    if (stored && stored.version >= next.version && changed(stored) === changed(next)) return stored;
    throw error;
  }
}
