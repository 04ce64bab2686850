/** Where "now" comes from. Injected so tests can use a fake clock (see `agentfold/testing`). */
export interface Clock {
  now(): Date;
}

/** An opaque handle from `TimerClock.setTimeout`, for `TimerClock.clearTimeout`. */
export interface TimerHandle {
  readonly __timerHandle: unique symbol;
}

/**
 * The clock-and-timers port: wall time, a monotonic clock for deadlines, and timers. Everything in
 * the runtime that waits (lease renewals and deadlines, backoff, the runner's sweeps and request
 * deadlines, cron ticks) goes through one, so a test can pass a fake clock (`createFakeClock` in
 * `agentfold/testing`) and advance it instead of sleeping. A `TimerClock` is a `Clock`: pass the same
 * object where only timestamps are needed.
 *
 * Invariants an implementation keeps: `monotonic()` never goes back and does not follow changes of
 * the wall clock; a timer never fires before `monotonic()` has moved `ms` past its creation; timers
 * due at the same moment fire in the order they were set; a cleared timer never fires.
 */
export interface TimerClock extends Clock {
  /** Wall time: timestamps and cron ticks. May jump (NTP, a fake clock's `set`). */
  now(): Date;
  /** Milliseconds that only move forward: deadlines and elapsed time. */
  monotonic(): number;
  /**
   * Calls `callback` once after `ms` milliseconds. Like the platform's timer it keeps the process
   * alive until it fires, unless `unref` is set (for background work: renewals, sweeps, cron).
   */
  setTimeout(callback: () => void, ms: number, options?: { unref?: boolean }): TimerHandle;
  /** Cancels a timer; nothing happens for `undefined` or a timer that already fired. */
  clearTimeout(timer: TimerHandle | undefined): void;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason once `signal` is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * `sleep` on top of a clock's own timers, for `TimerClock` implementations.
 *
 * @example
 * const clock = { ...timers, sleep: (ms, signal) => sleepOn(clock, ms, signal) };
 */
export function sleepOn(clock: Pick<TimerClock, "setTimeout" | "clearTimeout">, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const aborted = () => {
      clock.clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }, ms);
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

/** The platform's clock and timers: `Date`, `performance.now()` and `setTimeout`. */
export const systemClock: TimerClock = {
  now: () => new Date(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms, options) => {
    const timer = globalThis.setTimeout(callback, ms);
    if (options?.unref) (timer as { unref?: () => void }).unref?.();
    return timer as unknown as TimerHandle;
  },
  clearTimeout: (timer) => globalThis.clearTimeout(timer as unknown as ReturnType<typeof setTimeout> | undefined),
  sleep: (ms, signal) => sleepOn(systemClock, ms, signal),
};

/** A new opaque id with a readable prefix, e.g. `thr_3f9c…`. */
export function newId(prefix: string): string {
  return `${prefix}_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
}
