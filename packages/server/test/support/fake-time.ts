/**
 * Waiting on a fake clock: tests advance it in small steps until what they wait for happened,
 * instead of sleeping. A wait that never ends fails after `limitMs` of fake time, not by hanging.
 */
import type { FakeClock } from "agentfold/testing";

export interface AdvanceOptions {
  /** How far each step moves the clock. Default 10 ms. */
  stepMs?: number;
  /** How much fake time may pass before the wait fails. Default 60 s. */
  limitMs?: number;
}

/** Advances `clock` until `done()` holds; throws once `limitMs` of fake time passed without it. */
export async function advanceUntil(clock: FakeClock, done: () => boolean | Promise<boolean>, options: AdvanceOptions = {}): Promise<void> {
  const stepMs = options.stepMs ?? 10;
  const limitMs = options.limitMs ?? 60_000;
  for (let waited = 0; !(await done()); waited += stepMs) {
    if (waited >= limitMs) throw new Error(`Still waiting after ${limitMs} ms on the fake clock.`);
    await clock.advance(stepMs);
  }
}

/** Advances `clock` until `promise` settles, and returns (or throws) what it settled with. */
export async function advanceThrough<T>(clock: FakeClock, promise: Promise<T>, options: AdvanceOptions = {}): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await advanceUntil(clock, () => settled, options);
  return promise;
}
