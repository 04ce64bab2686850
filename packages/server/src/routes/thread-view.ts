/**
 * A thread as the API shows it, with its family (the parent agent that started it, the child agents
 * it started), and the status code that goes with it.
 */
import type { Thread } from "agentfold";
import { childLinksOf, parentOf } from "agentfold/runtime";
import type { Context } from "hono";
import type { z } from "zod";
import type { threadView } from "../api-routes.ts";
import type { Caller } from "../api-keys.ts";
import { checkThreadAllowed } from "../authorization.ts";
import { agentOfThread } from "../runner/thread-task.ts";
import type { Env, RouteContext } from "./route-context.ts";

export type ThreadView = z.infer<typeof threadView>;

/** The latest user message of a thread: what a person deciding for its child needs to know. */
function taskOf(thread: Thread): string | null {
  const input = thread.events.findLast((event) => event.type === "user_input");
  return input?.type === "user_input" ? input.text : null;
}

/** Whether the caller may read `thread` itself: its family's details follow the same rules as a GET of it. */
function mayRead(caller: Caller, thread: Thread): boolean {
  try {
    checkThreadAllowed(caller, thread);
    return true;
  } catch {
    return false;
  }
}

async function parentView(context: RouteContext, caller: Caller, thread: Thread): Promise<ThreadView["parent"]> {
  const link = parentOf(thread);
  if (!link) return null;
  const loaded = await context.store.load(link.threadId);
  // A key limited to the child's agent learns that a parent exists (the child's own link says so),
  // not what the parent is about.
  const parent = loaded && mayRead(caller, loaded) ? loaded : undefined;
  return {
    id: link.threadId,
    callId: link.callId,
    agent: parent?.agent ?? null,
    status: parent?.status ?? null,
    task: parent ? taskOf(parent) : null,
  };
}

async function childrenView(context: RouteContext, caller: Caller, thread: Thread): Promise<ThreadView["children"]> {
  const agent = await agentOfThread(context, thread);
  const children = await Promise.all(
    childLinksOf(thread, agent).map(async (link) => ({ link, child: await context.store.load(link.threadId) })),
  );
  return children.flatMap(({ link, child }) =>
    child && parentOf(child)?.threadId === thread.id
      ? [
          mayRead(caller, child)
            ? { id: child.id, callId: link.callId, agent: child.agent ?? null, status: child.status }
            : { id: child.id, callId: link.callId, agent: null, status: null },
        ]
      : [],
  );
}

/** The timers a thread waits for, earliest first, or null. */
function waitingView(thread: Thread): ThreadView["waiting"] {
  const timers = [...thread.state.timers].sort((a, b) => Date.parse(a.until) - Date.parse(b.until));
  const [first] = timers;
  if (!first) return null;
  return {
    until: first.until,
    reason: first.reason ?? null,
    timers: timers.map((timer) => ({
      timerId: timer.timerId,
      until: timer.until,
      reason: timer.reason ?? null,
      callId: timer.callId ?? null,
    })),
  };
}

/** The thread as `caller` may see it: a parent's or child's details only when the caller may read that thread. */
export async function viewOf(context: RouteContext, caller: Caller, thread: Thread): Promise<ThreadView> {
  const [parent, children] = await Promise.all([parentView(context, caller, thread), childrenView(context, caller, thread)]);
  return {
    id: thread.id,
    // After a handoff, the agent driving the thread now; the list keeps the one it was launched for.
    agent: thread.drivingAgent ?? null,
    status: thread.status,
    version: thread.version,
    metadata: { ...thread.metadata },
    events: thread.events as unknown as ThreadView["events"],
    pending: thread.pending as unknown as ThreadView["pending"],
    waiting: waitingView(thread),
    parent,
    children,
  };
}

/** 200 once the thread waits or is finished, 202 while it still runs. */
export async function respondWithThread(context: RouteContext, c: Context<Env>, thread: Thread) {
  return c.json(await viewOf(context, c.get("caller"), thread), thread.status === "running" ? 202 : 200);
}
