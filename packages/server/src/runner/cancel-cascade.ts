/**
 * A cancel's cascade to a thread's descendants (child agents' threads), and its repair after a crash.
 * A cancel is stored on the thread first and cascades after; a process that dies in between leaves a
 * descendant unfinished under a canceled ancestor. Its tools never start (core's child-agent.ts looks
 * at the ancestors), but its request stays in the inbox until the cascade is finished:
 * `finishCancelCascades` does that on every recovery sweep.
 *
 * Invariants: every cancel here is appended like any cancel, without the lease and with the version
 * it was made from (core's `cancelDescendants`), so whoever runs the descendant meets a version
 * conflict and stops; repeating a cascade changes nothing already finished; a failure on one thread
 * goes to `onError` and does not stop the repair of the others.
 */
import { StateConflictError, type Agent, type Thread, type ThreadStatus } from "agentfold";
import { canceledAncestor, cancelDescendants, childAgentOf, parentOf } from "agentfold/runtime";
import type { RunnerContext } from "./context.ts";
import type { ThreadQueue } from "./thread-queue.ts";

/** The statuses of a thread that is not finished: a canceled ancestor's cascade must still reach it. */
const UNFINISHED: readonly ThreadStatus[] = ["running", "awaiting_approval", "awaiting_human", "waiting"];

/** Threads of one status and child agent that one sweep looks at; more wait for the next sweep. */
const CHILDREN_PER_SWEEP = 1000;

/** Families deeper than this are refused as a loop (as in core's thread-family.ts). */
const MAX_DEPTH = 32;

/**
 * Cancels every unfinished descendant of `canceled`, tells this process's subscribers, and aborts
 * this process's work on each. Returns the descendants it canceled.
 */
export async function cascadeCancel(
  context: RunnerContext,
  queue: ThreadQueue,
  canceled: Thread,
  options: { actor?: string },
): Promise<Thread[]> {
  const descendants = await cancelDescendants(context.store, canceled, { ...options, clock: context.clock });
  for (const descendant of descendants) {
    context.notify(descendant);
    queue.get(descendant.id)?.controller?.abort(new StateConflictError(`Thread ${descendant.id} was canceled with its parent.`));
  }
  return descendants;
}

/**
 * The names of the agents that run as children of `agents` (through `asTool()`), at any depth: the
 * only agents whose threads can have a parent.
 */
export function childAgentNames(agents: Iterable<Agent>): Set<string> {
  const names = new Set<string>();
  const visit = (agent: Agent, depth: number) => {
    if (depth >= MAX_DEPTH) return;
    for (const tool of agent.policy.tools.values()) {
      const child = childAgentOf(tool) as Agent | undefined;
      if (!child || names.has(child.name)) continue;
      names.add(child.name);
      visit(child, depth + 1);
    }
  };
  for (const agent of agents) visit(agent, 0);
  return names;
}

/** Who canceled `thread` (its last `cancel` event), so a repaired cascade names the same person. */
function cancelActor(thread: Thread): { actor?: string } {
  const cancel = thread.events.findLast((event) => event.type === "cancel");
  return cancel?.type === "cancel" && cancel.actor !== undefined ? { actor: cancel.actor } : {};
}

/**
 * Finishes the cascades a crash cut short: each unfinished thread of a child agent whose ancestor is
 * canceled is canceled, with the rest of that ancestor's family. Resolves with the threads it
 * canceled. Only child agents' threads are read (listed by agent and status), so a server's sweep
 * does not load every thread that waits for a person.
 */
export async function finishCancelCascades(
  context: RunnerContext,
  queue: ThreadQueue,
  childAgents: ReadonlySet<string>,
): Promise<Thread[]> {
  const { store } = context;
  const repaired: Thread[] = [];
  /** Ancestors whose cascade this sweep already finished: their family is done. */
  const finished = new Set<string>();
  for (const agent of childAgents) {
    for (const status of UNFINISHED) {
      const page = await store.list({ agent, status, limit: CHILDREN_PER_SWEEP });
      for (const summary of page.threads) {
        try {
          const thread = await store.load(summary.id);
          if (!thread || !parentOf(thread) || thread.state.terminal) continue;
          const ancestor = await canceledAncestor(thread, (id) => store.load(id));
          if (!ancestor || finished.has(ancestor.id)) continue;
          finished.add(ancestor.id);
          repaired.push(...(await cascadeCancel(context, queue, ancestor, cancelActor(ancestor))));
        } catch (error) {
          context.onError(error, summary.id);
        }
      }
    }
  }
  return repaired;
}
