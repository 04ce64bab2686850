/** A thread as the API shows it, and the status code that goes with it. */
import type { Thread } from "agentfold";
import type { Context } from "hono";
import type { z } from "zod";
import type { threadView } from "../api-routes.ts";
import type { Env } from "./route-context.ts";

export type ThreadView = z.infer<typeof threadView>;

export function viewOf(thread: Thread): ThreadView {
  return {
    id: thread.id,
    agent: thread.agent ?? null,
    status: thread.status,
    version: thread.version,
    metadata: { ...thread.metadata },
    events: thread.events as unknown as ThreadView["events"],
    pending: thread.pending as unknown as ThreadView["pending"],
  };
}

/** 200 once the thread waits or is finished, 202 while it still runs. */
export function respondWithThread(c: Context<Env>, thread: Thread) {
  return c.json(viewOf(thread), thread.status === "running" ? 202 : 200);
}
