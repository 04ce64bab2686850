/** A clock you move by hand, for deterministic timestamps and lease expiry in tests. */
import type { Clock } from "../clock.ts";

export interface FakeClock extends Clock {
  /** Moves time forward. */
  advance(milliseconds: number): void;
  set(time: Date | string): void;
}

/**
 * @example
 * const clock = createFakeClock("2026-01-01T00:00:00Z", { tickMs: 1000 });
 * clock.now().toISOString(); // "2026-01-01T00:00:00.000Z", then one second later on the next call
 */
export function createFakeClock(start: Date | string = "2026-01-01T00:00:00.000Z", options: { tickMs?: number } = {}): FakeClock {
  let time = new Date(start).getTime();
  const tick = options.tickMs ?? 0;
  return {
    now() {
      const now = new Date(time);
      time += tick;
      return now;
    },
    advance(milliseconds) {
      time += milliseconds;
    },
    set(value) {
      time = new Date(value).getTime();
    },
  };
}
