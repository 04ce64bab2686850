/**
 * The run loop: advances a thread whose lease this task holds until it waits or finishes.
 *
 * Invariants: every batch is appended with the lease's fence before the next effect; the batch after
 * which the thread rests also releases the lease (nothing is written or run after it); no tool runs
 * unless this process can still be sure it holds the lease (`guard`); a version conflict (someone
 * appended without the lease: a cancel) reloads and goes on from what is stored, keeping the outcomes
 * of tools that ran; a store outage leaves the thread `running` for the next sweep; any other error
 * is recorded as a `failed` event, so the thread does not look stuck and no sweep retries it forever.
 */
import { StateConflictError, type Agent, type Lease, type Thread } from "agentfold";
import {
  describeError,
  keepOutcomes,
  LeaseLostError,
  StoreUnavailableError,
  VersionConflictError,
  type LeaseGuard,
} from "agentfold/runtime";
import type { AdvanceOutcome, RunnerContext } from "./context.ts";

/** How many version conflicts in a row the loop reloads after before it records the failure. */
const CONFLICT_RELOADS = 5;

/** Runs a loaded thread until it waits or finishes, appending every batch with the lease's fence. */
export async function runThread(
  context: RunnerContext,
  start: Thread,
  startAgent: Agent,
  lease: Lease,
  signal: AbortSignal,
  guard: LeaseGuard,
): Promise<AdvanceOutcome> {
  const { store, notify, onError } = context;
  let thread = start;
  let agent = startAgent;
  for (let attempt = 0; ; attempt++) {
    const action = agent.nextAction(thread);
    if (action.type === "wait" || action.type === "stop") return { result: "settled", thread };
    try {
      // A handoff passed the thread to another agent: it takes the next steps, under the same lease.
      if (action.type === "handoff") agent = handedTo(context, thread, action.to);
      thread = await agent.run(thread, {
        model: await context.models.forThread(thread, agent),
        // Child agents keep their threads in this store (a module never makes one).
        threads: store,
        signal,
        // The runner's time: events are stamped with it and a tool's sleep counts from it.
        clock: context.clock,
        // No tool runs unless this process can still be sure it holds the lease.
        lease: guard,
        // Pieces of the model's reply for people watching (the thread stream); never stored.
        onModelDelta: (delta, seen) => context.notifyDelta(seen.id, delta, seen.version),
        commit: async (next, previous) => {
          // The batch after which the thread rests (waits or stops) is this task's last write: it
          // releases the lease too, saving a round trip. No tool can run after it (`assertHeld`).
          const last = resting(agent, next);
          try {
            await store.append(next, { expectedVersion: previous.version, fence: lease.token, releaseLease: last });
            if (last) guard.released();
          } catch (error) {
            // A cancel (the one write without the lease) came in while a tool ran: the batch is
            // refused, but the tool's outcome must not be lost with it.
            if (error instanceof VersionConflictError) await keepToolOutcomes(context, next, previous, lease);
            throw error;
          }
          thread = next;
          notify(next);
        },
      });
    } catch (error) {
      if (signal.aborted || error instanceof LeaseLostError) return { result: "stopped", thread };
      if (error instanceof StoreUnavailableError) {
        // The database is away: not the thread's failure. Even when it is back in time to take a
        // `failed` event, the thread stays `running` and the next sweep goes on from what is stored.
        onError(error, thread.id);
        return { result: "stopped", thread };
      }
      if (error instanceof VersionConflictError && attempt < CONFLICT_RELOADS) {
        // Someone appended without the lease (a cancel, another tool): go on from what is stored.
        const reloaded = await store.load(thread.id);
        if (!reloaded) return { result: "not_found", thread: undefined };
        thread = reloaded;
        continue;
      }
      onError(error, thread.id);
      // Record why the thread stopped, so it does not look stuck; a new message continues it.
      const failed = thread.append([
        { type: "failed", reason: `The runner stopped: ${describeError(error)} Fix the cause, then send a message to continue.` },
      ]);
      try {
        await store.append(failed, { expectedVersion: thread.version, fence: lease.token });
        notify(failed);
        return { result: "settled", thread: failed };
      } catch (appendError) {
        onError(appendError, thread.id);
        return { result: "stopped", thread };
      }
    }
  }
}

/**
 * Whether the loop stops after this thread: it is not `running` (a resting thread never is, so most
 * commits skip the planner) and the agent's next action is to wait or stop. A plan that throws here
 * counts as "not resting": the batch is stored first, and the loop's own next plan raises the error.
 */
function resting(agent: Agent, thread: Thread): boolean {
  if (thread.status === "running") return false;
  try {
    const next = agent.nextAction(thread).type;
    return next === "wait" || next === "stop";
  } catch {
    return false;
  }
}

/** The agent a handoff named; an error the thread records when this server does not run it. */
function handedTo(context: RunnerContext, thread: Thread, name: string): Agent {
  const agent = context.agents.get(name);
  if (agent) return agent;
  throw new StateConflictError(
    `Thread ${thread.id} was handed off to agent "${name}", which this server does not run. Agents here: ${[...context.agents.keys()].join(", ")}.`,
  );
}

/** `keepOutcomes` of core, telling this process's subscribers about what it stored. */
async function keepToolOutcomes(context: RunnerContext, next: Thread, previous: Thread, lease: Lease): Promise<void> {
  const kept = await keepOutcomes(context.store, next, previous, lease.token);
  if (kept) context.notify(kept);
}
