/**
 * Cancel: the one write without the lease. It only ever stops a thread, so it does not wait for the
 * runner that holds the lease; that runner meets a version conflict on its next append, reloads,
 * sees the cancel and stops.
 *
 * Invariants: the cancel is appended with the version it was made from, reloading on a conflict;
 * only once it is stored is this process's work on the thread aborted and are subscribers told. Then
 * it cascades: every unfinished descendant (child agents' threads) is canceled, parents first, and a
 * descendant's tool that had not started by then never starts (core's child-agent.ts looks). A
 * canceled child agent's thread lets its waiting parent go on by itself. A cascade cut short by a
 * crash is finished by the recovery sweep.
 */
import { StateConflictError, type Thread } from "agentfold";
import { faultPoint, parentOf, ThreadNotFoundError, VersionConflictError } from "agentfold/runtime";
import { cascadeCancel } from "./cancel-cascade.ts";
import type { ThreadQueue } from "./thread-queue.ts";
import { agentOfThread, continueParent, type TaskContext } from "./thread-task.ts";

/** How many version conflicts in a row a cancel reloads after before it gives up. */
const CONFLICT_RELOADS = 10;

/** Appends a cancel without waiting for the lease, and stops this process's work on the thread. */
export async function cancelThread(
  context: TaskContext,
  queue: ThreadQueue,
  threadId: string,
  options: { actor?: string; reason?: string },
): Promise<Thread> {
  const { store } = context;
  for (let attempt = 0; ; attempt++) {
    const thread = await store.load(threadId);
    if (!thread) throw new ThreadNotFoundError(threadId);
    const agent = await agentOfThread(context, thread);
    if (!agent)
      throw new StateConflictError(`Thread ${threadId} belongs to agent "${thread.drivingAgent}", which this server does not run.`);
    const next = agent.cancel(thread, options);
    try {
      await store.append(next, { expectedVersion: thread.version });
    } catch (error) {
      if (error instanceof VersionConflictError && attempt < CONFLICT_RELOADS) continue;
      throw error;
    }
    // The cancel is stored; the work it stops still runs: after a crash here, recovery finds a
    // canceled thread, and its sweep finishes the cascade (cancel-cascade.ts).
    faultPoint("cancel");
    context.notify(next);
    queue.get(threadId)?.controller?.abort(new StateConflictError(`Thread ${threadId} was canceled.`));
    await cascadeCancel(context, queue, next, options);
    // The parent goes on by itself, after this answer: a canceled child is a failed call it reads.
    if (parentOf(next)) void continueParent(context, next);
    return next;
  }
}
