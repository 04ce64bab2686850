/** Loading a thread for a request: missing is a 404, another tenant's too, an unknown agent a 409. */
import type { Agent, Thread, ThreadStore } from "agentfold";
import { ThreadNotFoundError } from "agentfold/runtime";
import type { Context } from "hono";
import { checkThreadAllowed } from "../authorization.ts";
import { ApiError } from "../http-errors.ts";
import { agentOfThread } from "../runner/thread-task.ts";
import type { Env, RouteContext } from "./route-context.ts";

export async function loadThread(store: ThreadStore, threadId: string): Promise<Thread> {
  const thread = await store.load(threadId);
  if (!thread) throw new ThreadNotFoundError(threadId);
  return thread;
}

/** The thread, if the caller may see it: another tenant's is a 404 (see authorization.ts). */
export async function loadThreadFor(context: RouteContext, c: Context<Env>, threadId: string): Promise<Thread> {
  return checkThreadAllowed(c.get("caller"), await loadThread(context.store, threadId));
}

/** The agent a thread names (a child agent's: the one its parent's tool runs); a 409 when this server does not run it. */
export async function agentOf(context: RouteContext, thread: Thread): Promise<Agent> {
  const agent = await agentOfThread(context, thread);
  if (!agent) {
    throw new ApiError(
      409,
      "unknown_agent",
      `Thread ${thread.id} belongs to agent "${thread.drivingAgent}", which this server does not run. Agents here: ${[...context.agents.keys()].join(", ")}.`,
    );
  }
  return agent;
}
