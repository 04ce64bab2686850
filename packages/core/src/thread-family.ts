/**
 * A thread's family (factor 10): the parent whose tool started it (`agent.asTool()`) and the child
 * agents it started. The links are data: a child's metadata names its parent thread and call
 * (`parentThreadId`, `parentCallId`); a child's id is derived from its parent's id and call
 * (`childThreadId`), so a parent finds a child that is running for the first time too.
 *
 * Invariants: a child thread is advanced only by its parent's tool, which holds the child agent, its
 * model and its limits, so a child is never run with an agent or a model found by name; a person's
 * change on a child is allowed only while every ancestor still waits for it; once an ancestor is
 * canceled, the child's tools do not start (see `child-agent.ts`) and `cancelDescendants` cancels
 * whatever of the family is not finished.
 */
import { childAgentOf, childThreadId } from "./child-agent.ts";
import { handoffTarget } from "./handoff.ts";
import type { Agent } from "./agent.ts";
import type { Clock } from "./clock.ts";
import { cancelThread } from "./human-changes.ts";
import { VersionConflictError, type ThreadStore } from "./store.ts";
import type { Thread } from "./thread.ts";

/** Where a child thread hangs in its parent: the parent thread and the call that started the child. */
export interface ParentLink {
  readonly threadId: string;
  readonly callId: string;
}

/** A child agent's thread started by one call of its parent. */
export interface ChildLink {
  readonly callId: string;
  readonly threadId: string;
}

type LoadThread = (threadId: string) => Promise<Thread | undefined>;

/** Families deeper than this are refused as a loop in forged metadata. */
const MAX_DEPTH = 32;

/** How many version conflicts in a row a cancel of a descendant reloads after. */
const CONFLICT_RELOADS = 10;

/**
 * The parent of a child agent's thread, or `undefined` for a thread no tool started.
 *
 * @example
 * const link = parentOf(thread); // { threadId: "thr_…", callId: "call_1_0" }
 */
export function parentOf(thread: Thread): ParentLink | undefined {
  const { parentThreadId, parentCallId } = thread.metadata;
  if (typeof parentThreadId !== "string" || typeof parentCallId !== "string") return undefined;
  return { threadId: parentThreadId, callId: parentCallId };
}

/** Whether `parent` still waits for the child of `callId`: it is not finished and that call is open. */
export function waitsForChild(parent: Thread, callId: string): boolean {
  return parent.state.terminal === null && parent.state.openCalls.some((call) => call.callId === callId);
}

/** The intent of one call of a thread's model decisions. */
function intentOfCall(thread: Thread, callId: string): string | undefined {
  for (const event of thread.events) {
    if (event.type !== "model_decision") continue;
    const call = event.calls.find((candidate) => candidate.callId === callId);
    if (call) return call.intent;
  }
  return undefined;
}

/**
 * The children a thread started, oldest first. With the thread's agent: every started call of a
 * child-agent tool. Without: the children its events name, and the ids the calls it has started and
 * not closed would give their children (such a thread may not exist: not every tool is an agent).
 *
 * @example
 * for (const child of childLinksOf(thread, agent)) console.log(child.threadId);
 */
export function childLinksOf(thread: Thread, agent?: Agent): ChildLink[] {
  const links = new Map<string, string>();
  for (const event of thread.events) {
    if (event.type === "child_paused" || event.type === "child_resumed") links.set(event.callId, event.childThreadId);
    else if (event.type === "tool_result" && event.childThreadId !== undefined) links.set(event.callId, event.childThreadId);
    else if (event.type === "tool_started" && !links.has(event.callId)) {
      const tool = agent?.policy.tools.get(event.intent);
      if (tool && childAgentOf(tool)) links.set(event.callId, childThreadId(thread.id, event.callId));
    }
  }
  if (!agent) {
    for (const call of thread.state.openCalls) {
      if (call.phase === "started" && !links.has(call.callId)) links.set(call.callId, childThreadId(thread.id, call.callId));
    }
  }
  return [...links].map(([callId, threadId]) => ({ callId, threadId }));
}

/**
 * The agent that owns a thread. A child's is the agent its parent's tool runs (found through the
 * parent's agent, so a child agent need not be registered anywhere), or after a handoff in the child
 * the agent it was handed to (through the child agent's handoff tools, else `byName`); a thread no
 * tool started has the agent its `agent` names, looked up with `byName`.
 *
 * @example
 * const agent = await findThreadAgent(thread, { byName: (name) => agents.get(name), load: (id) => store.load(id) });
 */
export async function findThreadAgent(
  thread: Thread,
  options: { byName: (name: string) => Agent | undefined; load: LoadThread },
  depth = 0,
): Promise<Agent | undefined> {
  const link = parentOf(thread);
  if (link && depth < MAX_DEPTH) {
    const parent = await options.load(link.threadId);
    const parentAgent = parent ? await findThreadAgent(parent, options, depth + 1) : undefined;
    const intent = parent ? intentOfCall(parent, link.callId) : undefined;
    const tool = intent === undefined ? undefined : parentAgent?.policy.tools.get(intent);
    const bound = tool ? (childAgentOf(tool) as Agent | undefined) : undefined;
    // A child handed off goes on as the agent it was handed to, reached through its handoff tools.
    const driving = thread.drivingAgent;
    if (bound) return driving === undefined || driving === bound.name ? bound : (handoffTarget(bound, driving) ?? options.byName(driving));
  }
  // After a handoff, the agent it passed the thread to.
  const name = thread.drivingAgent;
  return name === undefined ? undefined : options.byName(name);
}

/**
 * Why a person may not change a child's thread now, or `undefined` when they may: every ancestor
 * must still wait for its child. A canceled, finished or missing ancestor no longer does.
 *
 * @example
 * const refusal = await familyRefusal(thread, (id) => store.load(id));
 * if (refusal) throw new StateConflictError(refusal);
 */
export async function familyRefusal(thread: Thread, load: LoadThread): Promise<string | undefined> {
  let current = thread;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const link = parentOf(current);
    if (!link) return undefined;
    const parent = await load(link.threadId);
    if (!parent) return `Thread ${thread.id} is a child agent's thread whose parent thread ${link.threadId} no longer exists.`;
    if (!waitsForChild(parent, link.callId)) {
      return `Thread ${thread.id} is a child agent's thread, and its ${current === thread ? "parent" : "ancestor"} thread ${parent.id} is ${parent.status} and no longer waits for it; act on thread ${parent.id} instead.`;
    }
    current = parent;
  }
  return undefined;
}

/**
 * The top ancestor of `thread` (itself when it has no parent), as stored; a missing parent ends the walk.
 *
 * @example
 * const root = await rootThreadOf(child, (id) => store.load(id));
 */
export async function rootThreadOf(thread: Thread, load: LoadThread): Promise<Thread> {
  let current = thread;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const link = parentOf(current);
    const parent = link ? await load(link.threadId) : undefined;
    if (!parent) return current;
    current = parent;
  }
  return current;
}

/**
 * The nearest ancestor of `thread` that is canceled, as stored, or `undefined`.
 *
 * @example
 * if (await canceledAncestor(child, (id) => store.load(id))) stop();
 */
export async function canceledAncestor(thread: Thread, load: LoadThread): Promise<Thread | undefined> {
  let link = parentOf(thread);
  for (let depth = 0; link && depth < MAX_DEPTH; depth++) {
    const parent = await load(link.threadId);
    if (!parent) return undefined;
    if (parent.status === "canceled") return parent;
    link = parentOf(parent);
  }
  return undefined;
}

/**
 * Cancels every descendant of a canceled thread that is not finished, parents before their children,
 * each without its lease (like any cancel: whoever runs it meets a version conflict and stops).
 * Returns the threads it canceled. Safe to repeat: finished descendants are left as they are.
 *
 * @example
 * const canceled = await cancelDescendants(store, parent, { actor: "alice" });
 */
export async function cancelDescendants(
  store: ThreadStore,
  thread: Thread,
  options: { actor?: string; clock?: Clock } = {},
  depth = 0,
): Promise<Thread[]> {
  if (depth >= MAX_DEPTH) return [];
  const canceled: Thread[] = [];
  for (const link of childLinksOf(thread)) {
    const child = await cancelChild(store, link, thread.id, options);
    if (!child) continue;
    canceled.push(child, ...(await cancelDescendants(store, child, options, depth + 1)));
  }
  return canceled;
}

/**
 * Finishes a cancel's cascade that a crash cut short, for the family of `thread`: the highest of
 * `thread` and its ancestors that is canceled has every unfinished descendant canceled (in the name
 * of whoever canceled it), and so does each of its descendants that was canceled before the cascade
 * stopped. Returns the threads it canceled: none when the family is whole. What a runner's recovery
 * sweep does for a whole store, for one family, where no sweep runs (the CLI).
 *
 * @example
 * const repaired = await finishCanceledFamily(store, thread);
 */
export async function finishCanceledFamily(store: ThreadStore, thread: Thread, options: { clock?: Clock } = {}): Promise<Thread[]> {
  let top: Thread | undefined = thread.status === "canceled" ? thread : undefined;
  let current = thread;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const link = parentOf(current);
    const parent = link ? await store.load(link.threadId) : undefined;
    if (!parent) break;
    if (parent.status === "canceled") top = parent;
    current = parent;
  }
  return top ? finishCascade(store, top, options, 0) : [];
}

/** Cancels the unfinished descendants of a canceled thread, and goes on below those canceled earlier. */
async function finishCascade(store: ThreadStore, canceled: Thread, options: { clock?: Clock }, depth: number): Promise<Thread[]> {
  if (depth >= MAX_DEPTH) return [];
  const repaired = await cancelDescendants(store, canceled, { ...cancelActorOf(canceled), ...options });
  for (const link of childLinksOf(canceled)) {
    const child = await store.load(link.threadId);
    if (child?.status !== "canceled" || parentOf(child)?.threadId !== canceled.id || repaired.some((done) => done.id === child.id))
      continue;
    repaired.push(...(await finishCascade(store, child, options, depth + 1)));
  }
  return repaired;
}

/** Who canceled `thread` (its last `cancel` event), so a finished cascade names the same person. */
function cancelActorOf(thread: Thread): { actor?: string } {
  const cancel = thread.events.findLast((event) => event.type === "cancel");
  return cancel?.type === "cancel" && cancel.actor !== undefined ? { actor: cancel.actor } : {};
}

/** Appends a cancel to one child, reloading on a conflict; `undefined` when there is nothing to cancel. */
async function cancelChild(
  store: ThreadStore,
  link: ChildLink,
  parentId: string,
  options: { actor?: string; clock?: Clock },
): Promise<Thread | undefined> {
  for (let attempt = 0; ; attempt++) {
    const child = await store.load(link.threadId);
    if (!child || parentOf(child)?.threadId !== parentId || child.state.terminal) return undefined;
    const next = cancelThread(child, {
      reason: `Its parent thread ${parentId} was canceled.`,
      ...(options.actor === undefined ? {} : { actor: options.actor }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    try {
      await store.append(next, { expectedVersion: child.version });
      return next;
    } catch (error) {
      if (error instanceof VersionConflictError && attempt < CONFLICT_RELOADS) continue;
      throw error;
    }
  }
}
