/**
 * Limits on open server-sent event streams. Each stream holds a connection, a subscription and a
 * timer that polls the store; two thousand of them cost hundreds of MB and, on Postgres, slowed every
 * other request. A caller (an API key) may hold `perKey` streams and the server `total`; past that a
 * new stream is a 429 with `Retry-After`, and a stream frees its slot when its client goes away.
 */
import { ApiError } from "./http-errors.ts";

export interface StreamLimits {
  /**
   * Takes a slot for a stream of `key`'s; returns the function that frees it (call it once, when the
   * stream ends). Throws a 429 `ApiError` that names the limit when none is free.
   */
  acquire(key: string): () => void;
  /** Streams open now, in all and per key (for tests and metrics). */
  readonly open: { total: number; byKey: ReadonlyMap<string, number> };
}

/** Seconds a refused client waits before trying again: streams are long-lived, so not at once. */
const retryAfterSeconds = 5;

/**
 * @example
 * const limits = createStreamLimits({ perKey: 100, total: 1000 });
 * const release = limits.acquire("alice"); // …stream…; then release()
 */
export function createStreamLimits(options: { perKey: number; total: number }): StreamLimits {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`Stream limit ${name} must be a whole number of at least 1, got ${value}.`);
  }
  const byKey = new Map<string, number>();
  let total = 0;
  const refuse = (message: string) => new ApiError(429, "too_many_streams", message, { "Retry-After": String(retryAfterSeconds) });
  return {
    acquire(key) {
      const held = byKey.get(key) ?? 0;
      if (held >= options.perKey) {
        throw refuse(
          `This API key ("${key}") already has ${held} open streams, the most one key may hold (maxStreamsPerKey: ${options.perKey}). Close a stream or retry later.`,
        );
      }
      if (total >= options.total) {
        throw refuse(
          `The server already has ${total} open streams, the most it serves at once (maxStreams: ${options.total}). Retry later.`,
        );
      }
      byKey.set(key, held + 1);
      total += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (byKey.get(key) ?? 1) - 1;
        if (left === 0) byKey.delete(key);
        else byKey.set(key, left);
      };
    },
    get open() {
      return { total, byKey };
    },
  };
}
