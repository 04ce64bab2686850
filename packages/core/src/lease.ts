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
 * Takes a thread's lease, retrying with backoff until `deadline` (a `Date.now()` time) while another
 * owner holds it. `undefined` when it is still held elsewhere at the deadline.
 *
 * @example
 * const lease = await acquireLeaseBy(store, threadId, "runner-a", 30_000, Date.now() + 10_000);
 */
export async function acquireLeaseBy(store: ThreadStore, threadId: string, owner: string, ttlMs: number, deadline: number): Promise<Lease | undefined> {
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    const lease = await store.acquireLease(threadId, owner, ttlMs);
    if (lease || Date.now() + delay > deadline) return lease;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export interface KeepLeaseOptions {
  ttlMs: number;
  /** Aborted together with `work`'s signal, e.g. when the thread is canceled. */
  controller?: AbortController;
  /**
   * A renewal or the release failed (the store was unreachable). Default: a failed renewal aborts
   * `work` and a failed release is ignored (the lease then simply expires).
   */
  onError?: (error: unknown) => void;
}

/**
 * Runs `work` while keeping a lease it already holds: renews it every third of `ttlMs`, aborts
 * `work`'s signal when it is lost, and releases it afterwards.
 *
 * @example
 * await keepLease(store, lease, { ttlMs: 30_000 }, (signal) => agent.run(thread, { model, signal, commit }));
 */
export async function keepLease<T>(store: ThreadStore, lease: Lease, options: KeepLeaseOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = options.controller ?? new AbortController();
  let held = lease;
  const renewal = setInterval(() => {
    store.renewLease(held, options.ttlMs).then(
      (renewed) => {
        if (renewed) held = renewed;
        else controller.abort(new LeaseLostError(lease.threadId, lease.token));
      },
      (error: unknown) => (options.onError ? options.onError(error) : controller.abort(error)),
    );
  }, Math.max(50, Math.floor(options.ttlMs / 3)));
  // The renewal alone must not keep a process alive.
  (renewal as { unref?: () => void }).unref?.();
  try {
    return await work(controller.signal);
  } finally {
    clearInterval(renewal);
    await store.releaseLease(held).catch((error: unknown) => options.onError?.(error));
  }
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
  const started = Date.now();
  const lease = await acquireLeaseBy(store, threadId, options.owner, ttlMs, started + (options.waitMs ?? 0));
  if (!lease) throw new ThreadBusyError(threadId, Date.now() - started);
  return keepLease(store, lease, { ttlMs }, (signal) => work(lease.token, signal));
}
