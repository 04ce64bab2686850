/**
 * Holding a thread's lease while working on it: every writer that advances a thread outside a
 * runner (a CLI, a child agent, your own loop) takes the lease, so a runner's crash recovery never
 * mistakes a live run for a crashed one, and appends carry the fencing token.
 */
import { AgentfoldError } from "./errors.ts";
import { LeaseLostError, type AcquireLeaseOptions, type Lease, type ThreadStore } from "./store.ts";
import { faultPoint } from "./fault-points.ts";
import { systemClock, type TimerClock, type TimerHandle } from "./clock.ts";

/**
 * Milliseconds on a clock that only moves forward and does not follow wall-clock changes. The
 * default is the `clock`'s `monotonic()`; tests pass a fake one to simulate a process that was stopped.
 */
export type MonotonicClock = () => number;

/**
 * How long a lease lasts without renewal unless told otherwise: 5 s, renewed every third of that.
 * Short enough that a thread whose process was killed is taken over within 10 s (the lease, its
 * margin, and a recovery sweep every third of the ttl: 5 + 0.5 + 1.7 s); long enough that a renewal
 * needs to be late by more than 3 s before the holder stops counting on its lease. See
 * docs/decisions/2026-11-30-recovery-time.md.
 */
export const DEFAULT_LEASE_TTL_MS = 5_000;

/**
 * The part of a lease nobody counts on: 10% of the ttl, at least 20 ms. A holder asks the store for
 * `ttlMs + margin` (so the store's expiry, on the store's clock, is at least that far after the
 * request arrived) and counts on only `ttlMs - margin` after it sent the request. Another owner
 * therefore takes the lease over at least two margins after the old holder stopped counting on it,
 * whatever the latency of the request and however the two clocks drift.
 *
 * @example
 * leaseMarginMs(30_000); // 3000
 */
export function leaseMarginMs(ttlMs: number): number {
  return Math.max(20, Math.ceil(ttlMs / 10));
}

/**
 * What a holder knows about a lease while it works: the fence to pass to appends and to downstream
 * systems, and whether it can still be sure it holds the lease.
 */
export interface LeaseGuard {
  /** The lease's fencing token. */
  readonly fence: number;
  /** Aborted once the lease is lost or can no longer be counted on. */
  readonly signal: AbortSignal;
  /** Milliseconds the holder can still count on the lease (0 once it cannot). */
  remainingMs(): number;
  /**
   * Throws unless the lease is surely still held: the abort reason when `signal` is aborted, else
   * `LeaseLostError` when the deadline passed (the process was stopped, or renewals failed). Call it
   * right before an effect that must not happen twice.
   */
  assertHeld(): void;
  /**
   * Says the lease was released by an append (`releaseLease`, the holder's last write): renewals
   * stop, nothing releases it again, and `assertHeld` throws from now on.
   */
  released(): void;
}

/** When each lease's request was sent, on the monotonic clock `acquireLeaseBy` was given. */
const requestedAt = new WeakMap<Lease, number>();

/** Another process holds the thread's lease and did not release it in time. */
export class ThreadBusyError extends AgentfoldError {
  constructor(threadId: string, waitedMs: number) {
    super("thread_busy", `Thread ${threadId} is being advanced by another process (waited ${waitedMs} ms); retry in a few seconds.`);
  }
}

export interface HoldLeaseOptions {
  /** Who holds it, e.g. `cli:host:pid`. */
  owner: string;
  /** How long the lease lasts between renewals (default `DEFAULT_LEASE_TTL_MS`, 5 s); it is renewed every third of that. */
  ttlMs?: number;
  /** How long to wait for a lease another process holds (default 0: fail at once). */
  waitMs?: number;
  /** The clock the lease's deadline is kept on (default: `clock.monotonic`). */
  monotonic?: MonotonicClock;
  /** Timers and time for renewals, the deadline's watchdog and the backoff while waiting (default `systemClock`). */
  clock?: TimerClock;
}

/**
 * Takes a thread's lease, retrying with backoff until `deadline` (a wall time in milliseconds, on
 * `clock.now()`) while another owner holds it. `undefined` when it is still held elsewhere at the
 * deadline. The lease's deadline is kept on `clock.monotonic()`, or on `monotonic` when given.
 *
 * @example
 * const lease = await acquireLeaseBy(store, threadId, "runner-a", 30_000, Date.now() + 10_000);
 */
export async function acquireLeaseBy(
  store: ThreadStore,
  threadId: string,
  owner: string,
  ttlMs: number,
  deadline: number,
  clock: TimerClock = systemClock,
  monotonic: MonotonicClock = () => clock.monotonic(),
  options: AcquireLeaseOptions = {},
): Promise<Lease | undefined> {
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    // The holder's deadline counts from when the request left, not from when the answer came back:
    // the store's expiry counts from a moment in between.
    const sent = monotonic();
    const lease = await store.acquireLease(threadId, owner, ttlMs + leaseMarginMs(ttlMs), options);
    if (lease) requestedAt.set(lease, sent);
    if (lease || clock.now().getTime() + delay > deadline) return lease;
    await clock.sleep(delay);
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
  /** The clock the deadline is kept on; the one `acquireLeaseBy` was given (default: `clock.monotonic`). */
  monotonic?: MonotonicClock;
  /** Timers for renewals and the deadline's watchdog (default `systemClock`). */
  clock?: TimerClock;
}

/**
 * Runs `work` while keeping a lease it already holds: renews it every third of `ttlMs`, aborts
 * `work`'s signal when it is lost or when its deadline passes without a renewal, and releases it
 * afterwards. The deadline is `ttlMs - leaseMarginMs(ttlMs)` after the newest acquire or renewal
 * request was sent, on a monotonic clock; `work` gets a `LeaseGuard` to check it right before an
 * effect (`agent.run(thread, { lease })` does so before every tool run).
 *
 * @example
 * await keepLease(store, lease, { ttlMs: 30_000 }, (signal, guard) => agent.run(thread, { model, signal, lease: guard, commit }));
 */
export async function keepLease<T>(
  store: ThreadStore,
  lease: Lease,
  options: KeepLeaseOptions,
  work: (signal: AbortSignal, guard: LeaseGuard) => Promise<T>,
): Promise<T> {
  const controller = options.controller ?? new AbortController();
  const clock = options.clock ?? systemClock;
  const monotonic = options.monotonic ?? (() => clock.monotonic());
  const countable = options.ttlMs - leaseMarginMs(options.ttlMs);
  // A lease not taken through acquireLeaseBy was requested at some unknown earlier time: counting
  // from now overstates it by that delay, so such a holder renews at once to count from a known send.
  const sent = requestedAt.get(lease);
  let deadline = (sent ?? monotonic()) + countable;
  let held = lease;
  /** Set once an append released the lease: nothing renews or releases it after that. */
  let releasedByAppend = false;
  const lost = () => new LeaseLostError(lease.threadId, lease.token);
  let watchdog: TimerHandle | undefined;
  // Aborts `work` when the deadline passes, e.g. while a tool runs and renewals fail; a process that
  // was stopped runs this late, which is why `assertHeld` also compares the clock itself.
  const watch = () => {
    clock.clearTimeout(watchdog);
    if (controller.signal.aborted || releasedByAppend) return;
    const remaining = deadline - monotonic();
    if (remaining <= 0) return controller.abort(lost());
    watchdog = clock.setTimeout(watch, Math.ceil(remaining), { unref: true });
  };
  const failed = (error: unknown) => (options.onError ? options.onError(error) : controller.abort(error));
  const renew = () => {
    if (releasedByAppend) return;
    const renewalSent = monotonic();
    store.renewLease(held, options.ttlMs + leaseMarginMs(options.ttlMs)).then(
      (renewed) => {
        // An append released the lease meanwhile: its answer, whatever it is, no longer matters.
        if (releasedByAppend) return;
        if (renewed) {
          held = renewed;
          // Answers may arrive out of order: the deadline only moves forward.
          deadline = Math.max(deadline, renewalSent + countable);
          watch();
          // A crash while renewing: the next holder must wait out the lease just extended. A thrown
          // fault is handled like a failed renewal.
          try {
            faultPoint("lease-renewal");
          } catch (error) {
            failed(error);
          }
        } else controller.abort(lost());
      },
      (error: unknown) => {
        if (!releasedByAppend) failed(error);
      },
    );
  };
  // Renews every third of the ttl, counted from each timer's firing (not from the renewal's answer),
  // so a slow store does not stretch the interval. The renewal alone must not keep a process alive.
  const every = Math.max(50, Math.floor(options.ttlMs / 3));
  let renewal: TimerHandle | undefined;
  const renewLater = () => {
    renewal = clock.setTimeout(
      () => {
        renewLater();
        renew();
      },
      every,
      { unref: true },
    );
  };
  renewLater();
  if (sent === undefined) renew();
  const guard: LeaseGuard = {
    fence: lease.token,
    signal: controller.signal,
    remainingMs: () => (controller.signal.aborted || releasedByAppend ? 0 : Math.max(0, deadline - monotonic())),
    assertHeld: () => {
      controller.signal.throwIfAborted();
      if (releasedByAppend || monotonic() >= deadline) {
        const error = lost();
        controller.abort(error);
        throw error;
      }
    },
    released: () => {
      releasedByAppend = true;
      clock.clearTimeout(renewal);
      clock.clearTimeout(watchdog);
    },
  };
  watch();
  try {
    return await work(controller.signal, guard);
  } finally {
    clock.clearTimeout(renewal);
    clock.clearTimeout(watchdog);
    if (!releasedByAppend) await store.releaseLease(held).catch((error: unknown) => options.onError?.(error));
  }
}

/**
 * Runs `work` while holding the thread's lease: takes it (waiting up to `waitMs`), renews it, aborts
 * `work`'s signal if it is lost, and releases it. `work` gets the fencing token to pass to appends,
 * and a `LeaseGuard` to pass to `agent.run(thread, { lease })` so no tool runs once the lease can no
 * longer be counted on.
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
  work: (fence: number, signal: AbortSignal, guard: LeaseGuard) => Promise<T>,
): Promise<T> {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const clock = options.clock ?? systemClock;
  const monotonic = options.monotonic ?? (() => clock.monotonic());
  const started = clock.now().getTime();
  const lease = await acquireLeaseBy(store, threadId, options.owner, ttlMs, started + (options.waitMs ?? 0), clock, monotonic);
  if (!lease) throw new ThreadBusyError(threadId, clock.now().getTime() - started);
  return keepLease(store, lease, { ttlMs, monotonic, clock }, (signal, guard) => work(lease.token, signal, guard));
}
