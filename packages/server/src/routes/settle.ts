/**
 * Answering after a change: launches and a person's changes hand the thread to the runner, then wait
 * up to `?wait=` seconds for it to pause or finish. Each returns the thread as stored.
 */
import type { Thread } from "agentfold";
import { ThreadExistsError, faultPoint } from "agentfold/runtime";
import { checkLaunchReplay } from "../idempotency.ts";
import type { AdvanceOutcome, ThreadChange } from "../runner.ts";
import type { RouteContext } from "./route-context.ts";
import { loadThread } from "./thread-access.ts";

// Not unref'd: a request waiting for its thread keeps the process alive until it is answered.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until the runner is done with the thread or `waitSeconds` pass; then the thread as stored. */
export async function settle(
  context: RouteContext,
  threadId: string,
  settled: Promise<AdvanceOutcome>,
  waitSeconds: number,
): Promise<Thread> {
  const deadline = Date.now() + waitSeconds * 1000;
  let elapse = () => {};
  const timeout = new Promise<undefined>((resolve) => (elapse = () => resolve(undefined)));
  const timer = setTimeout(elapse, waitSeconds * 1000);
  const outcome = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  if (outcome?.result === "settled" && outcome.thread) return outcome.thread;
  // Another runner has the thread (or the wait ran out): watch the store until it settles.
  for (;;) {
    const thread = await loadThread(context.store, threadId);
    const remaining = deadline - Date.now();
    if (thread.status !== "running" || remaining <= 0) return thread;
    await sleep(Math.min(context.pollIntervalMs, remaining));
  }
}

/** Applies a person's change through the runner, then answers like a launch. */
export async function changeAndSettle(context: RouteContext, threadId: string, waitSeconds: number, change: ThreadChange): Promise<Thread> {
  const { applied, settled } = await context.runner.change(threadId, change);
  // Stored, not yet answered: the client's keyed retry must find the change already made.
  faultPoint("before-reply");
  if (waitSeconds === 0) return applied;
  return settle(context, threadId, settled, waitSeconds);
}

/** Stores a new thread (a launch or a fork) and runs it; `replay` marks a keyed launch. */
export async function launchAndSettle(
  context: RouteContext,
  thread: Thread,
  waitSeconds: number,
  replay?: { key: string; hash: string },
): Promise<Thread> {
  try {
    await context.store.create(thread);
  } catch (error) {
    if (!replay || !(error instanceof ThreadExistsError)) throw error;
    // A retry of a keyed launch: the thread its first request created is the answer. Advancing it
    // is harmless (the runner takes the lease or finds it held) and picks up a thread whose first
    // process stopped before it could run it.
    const existing = await loadThread(context.store, thread.id);
    checkLaunchReplay(existing, replay.key, replay.hash);
    const settled = context.runner.advance(existing.id);
    if (waitSeconds === 0) return existing;
    return settle(context, existing.id, settled, waitSeconds);
  }
  const settled = context.runner.advance(thread.id);
  faultPoint("before-reply");
  if (waitSeconds === 0) return thread;
  return settle(context, thread.id, settled, waitSeconds);
}
