/**
 * Small, focused agents (factor 10): one agent calls another as a tool. The child runs in its own
 * thread (id derived from the parent's thread and call), in the parent's store, with its own agent,
 * model and limits; when the child waits for a person or a timer, the parent waits with it. A child
 * that hands off goes on as the agent it handed to, whose final answer is the parent's result.
 *
 * Invariants: the child is advanced only here, by its parent's tool, under the child's own lease (so
 * what the tool holds — the agent, its model — is what runs it, in any process); a child's tool does
 * not start once an ancestor's cancel is stored: every batch the child commits is followed by a look
 * at its ancestors, and a canceled one stops the child before its next effect.
 */
import { z } from "zod";
import { tenantMetadata, tenantOf } from "./access.ts";
import type { Clock } from "./clock.ts";
import { ConfigurationError, StateConflictError } from "./errors.ts";
import { sha256Hex } from "./hash.ts";
import { cancelThread } from "./human-changes.ts";
import { keepOutcomes } from "./keep-outcomes.ts";
import { handoffTarget } from "./handoff.ts";
import { holdLease, type LeaseGuard } from "./lease.ts";
import type { Model, ModelDelta } from "./model.ts";
import { VersionConflictError, type ThreadStore } from "./store.ts";
import { ChildFailed, ChildPaused, ChildResult, type StepOptions } from "./step.ts";
import type { Thread, ThreadOptions } from "./thread.ts";
import { canceledAncestor } from "./thread-family.ts";
import { fireDue } from "./timers.ts";
import { defineTool, type AnyTool, type ApprovalPolicy, type ToolContext } from "./tools.ts";

/** The part of an agent a child tool needs (kept narrow to avoid a cycle with agent.ts). */
interface ChildAgent {
  name: string;
  description: string | undefined;
  /** Its tools: a handoff tool among them names the agent that goes on as the child. */
  policy: { tools: ReadonlyMap<string, AnyTool> };
  start(input: string, options?: ThreadOptions): Thread;
  run(thread: Thread, options: StepOptions): Promise<Thread>;
}

export interface ChildAgentToolOptions {
  /**
   * Where the child threads live when the step is given no store. Usually left out: a runner
   * (`agentfold serve`, the CLI) passes its store to every step (`StepOptions.threads`), and a child
   * then always lives in its parent's store, whatever is given here.
   */
  threads?: ThreadStore;
  /** Default: the child agent's name. */
  intent?: string;
  description?: string;
  approval?: ApprovalPolicy<{ message: string }>;
  /** The child's model, in every step of the child, in any process; default: the model of the parent's step. */
  model?: Model;
}

/** The child agent behind each tool made by `asTool()`. */
const childAgents = new WeakMap<AnyTool, ChildAgent>();

/**
 * The agent a tool runs as a child (the tool came from `agent.asTool()`), or `undefined`.
 *
 * @example
 * const child = childAgentOf(parent.policy.tools.get("refunder")!);
 */
export function childAgentOf(tool: AnyTool): ChildAgent | undefined {
  return childAgents.get(tool);
}

/**
 * The id of the thread a child agent runs in for one call of the parent: derived, so running the
 * call again continues the same child; hashed, so nested children keep short ids.
 */
export function childThreadId(parentThreadId: string, callId: string): string {
  return `thr_${sha256Hex(`${parentThreadId}/${callId}`).slice(0, 32)}`;
}

export function childAgentTool(agent: ChildAgent, options: ChildAgentToolOptions): AnyTool {
  const intent = options.intent ?? agent.name.replaceAll(".", "_");
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/.test(intent)) {
    throw new ConfigurationError(
      `Agent "${agent.name}" cannot be a tool under its own name: pass asTool({ intent: "a_valid_name", ... }).`,
    );
  }
  if (options.threads !== undefined && typeof options.threads?.load !== "function") {
    throw new ConfigurationError(`asTool({ threads }) of agent "${agent.name}" must be a ThreadStore, or left out.`);
  }
  const tool = defineTool({
    intent,
    description: options.description ?? agent.description ?? `Ask the ${agent.name} agent to do a task.`,
    args: z.object({ message: z.string().describe(`The task for ${agent.name}, in plain words`) }),
    // The child thread is durable and keyed by the call, so running again continues it.
    idempotent: true,
    ...(options.approval === undefined ? {} : { approval: options.approval }),
    async run({ message }, context) {
      const threads = context.threads ?? options.threads;
      if (!threads) {
        throw new ConfigurationError(
          `Agent "${agent.name}" runs as a child of thread ${context.thread.id}, whose step was given no store: pass the parent's store as agent.run(thread, { model, threads }). agentfold serve and the CLI pass theirs.`,
        );
      }
      const child = await runChild(agent, threads, message, context, options.model);
      return outcomeOf(agent, child);
    },
  });
  childAgents.set(tool, agent);
  return tool;
}

/** Creates the child's thread on the first run of the call, then runs it under its own lease. */
async function runChild(agent: ChildAgent, threads: ThreadStore, message: string, context: ToolContext, model?: Model): Promise<Thread> {
  const id = childThreadId(context.thread.id, context.callId);
  let child = await threads.load(id);
  if (!child) {
    // A child works for the parent's tenant: it is listed and readable only where the parent is.
    const metadata = {
      ...tenantMetadata(tenantOf(context.thread.metadata)),
      parentThreadId: context.thread.id,
      parentCallId: context.callId,
    };
    child = agent.start(message, { id, metadata });
    await threads.create(child);
  }
  const stored = child;
  try {
    // Under the child's own lease, like any thread, so a runner's recovery never takes it for a
    // crashed one while it runs here.
    return await holdLease(threads, id, { owner: `parent:${context.thread.id}`, waitMs: 5_000 }, async (fence, signal, guard) => {
      // A child's timer that has come due fires here, under the child's lease and fence, like every
      // advance (see timers.ts): whoever continues the parent wakes the child, and a second holder
      // reloads and finds it fired.
      let current = fireDue(stored, context.clock);
      if (current !== stored) await threads.append(current, { expectedVersion: stored.version, fence });
      // After a handoff in the child, the agent it was handed to goes on as the child, under the
      // same lease and with the same model, and its final answer is the parent's result.
      for (let driving: ChildAgent = agent; ; ) {
        current = await driving.run(current, runOptions(fence, signal, guard));
        const to = current.state.terminal ? undefined : (current.drivingAgent ?? driving.name);
        if (to === undefined || to === driving.name) return current;
        driving = handedTo(agent, driving, to, current);
      }
    });
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    // Written without the lease meanwhile (a person's cancel, a parent's cancel reaching it): what
    // is stored decides what the parent reads.
    const stored = await threads.load(id);
    if (!stored?.state.terminal) throw error;
    return stored;
  }

  function runOptions(fence: number, signal: AbortSignal, guard: LeaseGuard): StepOptions {
    return {
      model: model ?? context.model,
      signal: AbortSignal.any([signal, context.signal]),
      lease: guard,
      clock: context.clock,
      threads,
      ...(context.onModelDelta ? { onModelDelta: towardParent(context.onModelDelta, context.thread) } : {}),
      commit: async (next, previous) => {
        try {
          await threads.append(next, { expectedVersion: previous.version, fence });
        } catch (error) {
          // Canceled while a tool ran: the tool's outcome is stored all the same.
          if (error instanceof VersionConflictError) await keepOutcomes(threads, next, previous, fence);
          throw error;
        }
        await stopIfAncestorCanceled(threads, next, previous, fence, context.clock);
      },
    };
  }
}

/**
 * The child's model deltas for the watchers of the child's thread (and below) as they come, and once
 * more, marked with the thread whose model wrote them, for the watchers of the parent (`after` its
 * events as the tool saw them). A piece already marked came from deeper down and has been given to
 * this parent's own parent: each ancestor is told once.
 */
function towardParent(up: (delta: ModelDelta, thread: Thread) => void, parent: Thread): (delta: ModelDelta, thread: Thread) => void {
  return (delta, seen) => {
    up(delta, seen);
    if (delta.childThreadId === undefined) up({ ...delta, childThreadId: seen.id }, parent);
  };
}

/**
 * The agent a child's thread was handed to: found through the handoff tools of the child agent (and
 * of those it hands to), since a child's agents are never looked up by name.
 */
function handedTo(child: ChildAgent, from: ChildAgent, name: string, thread: Thread): ChildAgent {
  const target = handoffTarget(from, name) ?? handoffTarget(child, name);
  if (!target) {
    throw new ConfigurationError(
      `Child agent thread ${thread.id} was handed to agent "${name}", which no handoff tool of agent "${child.name}" (or of the agents it hands to) names: hand off with ${name}.asHandoff().`,
    );
  }
  return target;
}

/**
 * After each batch the child commits: once an ancestor is canceled, the calls this batch started do
 * not run (each gets an error saying why), the child is canceled, and the child's run stops here.
 */
async function stopIfAncestorCanceled(threads: ThreadStore, next: Thread, previous: Thread, fence: number, clock: Clock): Promise<void> {
  const ancestor = await canceledAncestor(next, (threadId) => threads.load(threadId));
  if (!ancestor) return;
  const reason = `Its ancestor thread ${ancestor.id} was canceled.`;
  const startedNow = new Set(next.events.slice(previous.version).flatMap((event) => (event.type === "tool_started" ? [event.callId] : [])));
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = (await threads.load(next.id)) ?? next;
    const notRun = stored.state.openCalls.filter((call) => call.phase === "started" && startedNow.has(call.callId));
    let stopped = stored.append(
      notRun.map((call) => ({
        type: "error" as const,
        source: "tool" as const,
        callId: call.callId,
        intent: call.intent,
        message: `Not run: ${reason}`,
      })),
      clock,
    );
    if (!stopped.state.terminal) stopped = cancelThread(stopped, { reason, clock });
    if (stopped === stored) break;
    try {
      await threads.append(stopped, { expectedVersion: stored.version, fence });
      break;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  throw new StateConflictError(`Thread ${next.id} stopped: ${reason}`);
}

/** What the parent's call gets: the child's final message, a pause, or an error saying how it ended. */
function outcomeOf(agent: ChildAgent, child: Thread): ChildResult | ChildPaused {
  switch (child.status) {
    case "done": {
      const done = child.events.findLast((event) => event.type === "done");
      return new ChildResult(child.id, done?.type === "done" ? done.message : null);
    }
    case "awaiting_approval":
    case "awaiting_human":
    case "waiting":
      return new ChildPaused(child.id, child.status);
    default: {
      const last = child.events.findLast((event) => event.type === "failed" || event.type === "cancel");
      if (last?.type === "failed" && last.code) {
        throw new ChildFailed(`Child agent ${agent.name} failed in thread ${child.id}: ${last.reason}`, child.id, last.code);
      }
      const why = last?.type === "failed" ? `: ${last.reason}` : last?.type === "cancel" && last.reason ? `: ${last.reason}` : "";
      throw new Error(`Agent ${agent.name} ${child.status} in thread ${child.id}${why}.`);
    }
  }
}

/**
 * Marks a paused child as ready to go on (after its approval or answer); the parent's next step
 * continues the child thread.
 *
 * @example
 * parent = resumeChild(parent, "call_1_0");
 * parent = await manager.run(parent, { model });
 */
export function resumeChild(parent: Thread, callId: string, clock?: Clock): Thread {
  const item = parent.pendingItem(callId);
  if (item.kind !== "child") throw new StateConflictError(`Call ${callId} on thread ${parent.id} is not a child agent.`);
  return parent.append([{ type: "child_resumed", callId, childThreadId: item.childThreadId }], clock);
}

/**
 * `resumeChild` when the parent still shows the child of `callId` as paused, else the parent as it
 * is: what a change on a child does to its parent, whoever stored it first (a server, another command).
 *
 * @example
 * await runner.change(link.threadId, (parent) => resumePausedChild(parent, link.callId));
 */
export function resumePausedChild(parent: Thread, callId: string, clock?: Clock): Thread {
  return parent.pending.some((item) => item.kind === "child" && item.callId === callId) ? resumeChild(parent, callId, clock) : parent;
}
