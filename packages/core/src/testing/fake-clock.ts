/**
 * A clock you move by hand, for deterministic timestamps, lease expiry and timers in tests: a test
 * that waits for "nothing happened", or for a lease, a sweep or a cron tick, advances it instead of
 * sleeping.
 *
 * Invariants: time moves only in `advance`, `set` and the optional `tickMs` per `now()` call;
 * `advance` fires every timer due within the step in order of due time (then of creation), moving
 * the clock to each one's due time first and letting the work it started settle before the next;
 * `set` moves the wall clock only, as a wall-clock jump does, so monotonic deadlines do not follow it.
 */
import { sleepOn, type TimerClock, type TimerHandle } from "../clock.ts";

export interface FakeClock extends TimerClock {
  /**
   * Moves time forward by `milliseconds`, firing the timers that fall due on the way. With no timer
   * due the time moves before `advance` returns, so a caller that need not wait for timers may
   * ignore the promise.
   */
  advance(milliseconds: number): Promise<void>;
  /** Sets the wall clock (`now()`); the monotonic clock and the timers stay where they are. */
  set(time: Date | string): void;
  /** How many timers are set and not yet fired or cleared. */
  readonly pendingTimers: number;
}

interface FakeTimer {
  due: number;
  order: number;
  callback: () => void;
}

/** Lets the work a timer started run until it waits for something else (a macrotask: every queued microtask runs first). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * @example
 * const clock = createFakeClock("2026-01-01T00:00:00Z");
 * const runner = createRunner({ store: createMemoryStore({ clock }), agents, model, clock });
 * await clock.advance(30_000); // one sweep interval: the sweep's timer fires, its work settles
 */
export function createFakeClock(start: Date | string = "2026-01-01T00:00:00.000Z", options: { tickMs?: number } = {}): FakeClock {
  let wall = new Date(start).getTime();
  let monotonic = 0;
  let created = 0;
  const tick = options.tickMs ?? 0;
  const timers = new Set<FakeTimer>();
  const move = (milliseconds: number) => {
    wall += milliseconds;
    monotonic += milliseconds;
  };
  /** The earliest timer due by `until`, ties broken by creation. */
  const nextDue = (until: number): FakeTimer | undefined => {
    let next: FakeTimer | undefined;
    for (const timer of timers) {
      if (timer.due > until) continue;
      if (!next || timer.due < next.due || (timer.due === next.due && timer.order < next.order)) next = timer;
    }
    return next;
  };
  const clock: FakeClock = {
    now() {
      const now = new Date(wall);
      move(tick);
      return now;
    },
    monotonic: () => monotonic,
    setTimeout(callback, ms) {
      const timer: FakeTimer = { due: monotonic + Math.max(0, ms), order: created++, callback };
      timers.add(timer);
      return timer as unknown as TimerHandle;
    },
    clearTimeout(timer) {
      timers.delete(timer as unknown as FakeTimer);
    },
    sleep: (ms, signal) => sleepOn(clock, ms, signal),
    async advance(milliseconds) {
      const until = monotonic + milliseconds;
      for (let timer = nextDue(until); timer; timer = nextDue(until)) {
        move(Math.max(0, timer.due - monotonic));
        timers.delete(timer);
        timer.callback();
        await settle();
      }
      move(Math.max(0, until - monotonic));
    },
    set(value) {
      wall = new Date(value).getTime();
    },
    get pendingTimers() {
      return timers.size;
    },
  };
  return clock;
}
