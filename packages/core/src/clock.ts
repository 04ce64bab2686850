/** Where "now" comes from. Injected so tests can use a fake clock (see `agentfold/testing`). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A new opaque id with a readable prefix, e.g. `thr_3f9c…`. */
export function newId(prefix: string): string {
  return `${prefix}_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
}
