/**
 * Small, focused agents (factor 10): one agent calls another as a tool. The child runs in its own
 * thread (id derived from the parent's thread and call), with its own limits; when the child waits
 * for a person, the parent waits with it.
 */
import { z } from "zod";
import { tenantMetadata, tenantOf } from "./access.ts";
import type { Clock } from "./clock.ts";
import { ConfigurationError, StateConflictError } from "./errors.ts";
import { sha256Hex } from "./hash.ts";
import { holdLease } from "./lease.ts";
import type { Model } from "./model.ts";
import type { ThreadStore } from "./store.ts";
import { ChildPaused, ChildResult, type StepOptions } from "./step.ts";
import type { Thread, ThreadOptions } from "./thread.ts";
import { defineTool, type AnyTool, type ApprovalPolicy } from "./tools.ts";

/** The part of an agent a child tool needs (kept narrow to avoid a cycle with agent.ts). */
interface ChildAgent {
  name: string;
  description: string | undefined;
  start(input: string, options?: ThreadOptions): Thread;
  run(thread: Thread, options: StepOptions): Promise<Thread>;
}

export interface ChildAgentToolOptions {
  /** Where the child threads live (the same store as the parent's, usually). */
  threads: ThreadStore;
  /** Default: the child agent's name. */
  intent?: string;
  description?: string;
  approval?: ApprovalPolicy<{ message: string }>;
  /** The child's model; default: the model of the parent's step. */
  model?: Model;
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
  if (!options.threads || typeof options.threads.load !== "function") {
    throw new ConfigurationError(`asTool() of agent "${agent.name}" needs { threads }: the store its child threads live in.`);
  }
  return defineTool({
    intent,
    description: options.description ?? agent.description ?? `Ask the ${agent.name} agent to do a task.`,
    args: z.object({ message: z.string().describe(`The task for ${agent.name}, in plain words`) }),
    // The child thread is durable and keyed by the call, so running again continues it.
    idempotent: true,
    ...(options.approval === undefined ? {} : { approval: options.approval }),
    async run({ message }, context) {
      const id = childThreadId(context.thread.id, context.callId);
      let child = await options.threads.load(id);
      if (!child) {
        // A child works for the parent's tenant: it is listed and readable only where the parent is.
        const metadata = {
          ...tenantMetadata(tenantOf(context.thread.metadata)),
          parentThreadId: context.thread.id,
          parentCallId: context.callId,
        };
        child = agent.start(message, { id, metadata });
        await options.threads.create(child);
      }
      // The child's thread is advanced under its own lease, like any thread, so a runner's recovery
      // never takes it for a crashed one while it runs here.
      child = await holdLease(options.threads, id, { owner: `parent:${context.thread.id}`, waitMs: 5_000 }, (fence, signal, guard) =>
        agent.run(child!, {
          model: options.model ?? context.model,
          signal: AbortSignal.any([signal, context.signal]),
          lease: guard,
          clock: context.clock,
          commit: (next, previous) => options.threads.append(next, { expectedVersion: previous.version, fence }),
        }),
      );
      switch (child.status) {
        case "done": {
          const done = child.events.findLast((event) => event.type === "done");
          return new ChildResult(id, done?.type === "done" ? done.message : null);
        }
        case "awaiting_approval":
        case "awaiting_human":
          return new ChildPaused(id, child.status);
        default: {
          const failed = child.events.findLast((event) => event.type === "failed");
          throw new Error(`Agent ${agent.name} ${child.status} in thread ${id}${failed?.type === "failed" ? `: ${failed.reason}` : ""}.`);
        }
      }
    },
  });
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
