/**
 * Holding a thread's lease while working on it: every writer that advances a thread outside a
 * runner (a CLI, a child agent, your own loop) takes the lease, so a runner's crash recovery never
 * mistakes a live run for a crashed one, and appends carry the fencing token.
 */
import { AgentfoldError } from "./errors.ts";
import { LeaseLostError, type Lease, type ThreadStore } from "./store.ts";

/** Another process holds the thread's lease and did not release it in time. */
export class ThreadBusyError extends AgentfoldError {
  constructor(threadId: string, waitedMs: number) {
    super("thread_busy", `Thread ${threadId} is being advanced by another process (waited ${waitedMs} ms); retry in a few seconds.`);
  }
}

export interface HoldLeaseOptions {
  /** Who holds it, e.g. `cli:host:pid`. */
  owner: string;
  /** How long the lease lasts between renewals (default 30 s); it is renewed every third of that. */
  ttlMs?: number;
  /** How long to wait for a lease another process holds (default 0: fail at once). */
  waitMs?: number;
}

/**
 * Runs `work` while holding the thread's lease: takes it (waiting up to `waitMs`), renews it, aborts
 * `work`'s signal if it is lost, and releases it. `work` gets the fencing token to pass to appends.
 *
 * @example
 * await holdLease(store, thread.id, { owner: "cli:my-host:42" }, (fence, signal) =>
 *   agent.run(thread, { model, signal, commit: (next, previous) => store.append(next, { expectedVersion: previous.version, fence }) }),
 * );
 */
export async function holdLease<T>(
  store: ThreadStore,
  threadId: string,
  options: HoldLeaseOptions,
  work: (fence: number, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ttlMs = options.ttlMs ?? 30_000;
  const waitMs = options.waitMs ?? 0;
  const started = Date.now();
  let lease: Lease | undefined;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    lease = await store.acquireLease(threadId, options.owner, ttlMs);
    if (lease || Date.now() - started + delay > waitMs) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  if (!lease) throw new ThreadBusyError(threadId, Date.now() - started);
  const controller = new AbortController();
  let held = lease;
  const renewal = setInterval(() => {
    store.renewLease(held, ttlMs).then(
      (renewed) => {
        if (renewed) held = renewed;
        else controller.abort(new LeaseLostError(threadId, held.token));
      },
      (error: unknown) => controller.abort(error),
    );
  }, Math.max(50, Math.floor(ttlMs / 3)));
  // The renewal alone must not keep a process alive.
  (renewal as { unref?: () => void }).unref?.();
  try {
    return await work(lease.token, controller.signal);
  } finally {
    clearInterval(renewal);
    await store.releaseLease(held).catch(() => {});
  }
}
