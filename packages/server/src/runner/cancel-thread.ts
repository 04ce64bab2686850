/**
 * Cancel: the one write without the lease. It only ever stops a thread, so it does not wait for the
 * runner that holds the lease; that runner meets a version conflict on its next append, reloads,
 * sees the cancel and stops.
 *
 * Invariants: the cancel is appended with the version it was made from, reloading on a conflict;
 * only once it is stored is this process's work on the thread aborted and are subscribers told.
 */
import { StateConflictError, type Thread } from "agentfold";
import { faultPoint, ThreadNotFoundError, VersionConflictError } from "agentfold/runtime";
import type { RunnerContext } from "./context.ts";
import type { ThreadQueue } from "./thread-queue.ts";

/** How many version conflicts in a row a cancel reloads after before it gives up. */
const CONFLICT_RELOADS = 10;

/** Appends a cancel without waiting for the lease, and stops this process's work on the thread. */
export async function cancelThread(
  context: RunnerContext,
  queue: ThreadQueue,
  threadId: string,
  options: { actor?: string; reason?: string },
): Promise<Thread> {
  const { store, agents } = context;
  for (let attempt = 0; ; attempt++) {
    const thread = await store.load(threadId);
    if (!thread) throw new ThreadNotFoundError(threadId);
    const agent = agents.get(thread.agent ?? "");
    if (!agent) throw new StateConflictError(`Thread ${threadId} belongs to agent "${thread.agent}", which this server does not run.`);
    const next = agent.cancel(thread, options);
    try {
      await store.append(next, { expectedVersion: thread.version });
    } catch (error) {
      if (error instanceof VersionConflictError && attempt < CONFLICT_RELOADS) continue;
      throw error;
    }
    // The cancel is stored; the work it stops still runs: after a crash here, recovery finds a canceled thread.
    faultPoint("cancel");
    context.notify(next);
    queue.get(threadId)?.controller?.abort(new StateConflictError(`Thread ${threadId} was canceled.`));
    return next;
  }
}
