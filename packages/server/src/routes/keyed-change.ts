/** The `Idempotency-Key` of a message or a decision, as the change that records it sees it. */
import type { Thread } from "agentfold";
import type { Context } from "hono";
import { findKeyedEvent, idempotencyKeyOf, requestHash } from "../idempotency.ts";
import type { Env } from "./route-context.ts";

export interface KeyedChange {
  /** Goes on the event the change appends (nothing without a key). */
  fields: { idempotencyKey?: string; requestHash?: string };
  /** True when that event is already in the thread: the request is a retry, nothing is appended. */
  replayed(thread: Thread): boolean;
}

/**
 * Read inside the runner's change, under the thread's lease, so two retries at once cannot both
 * append.
 *
 * @example
 * const keyed = keyedChange(c, "message", { id }, { text });
 * runner.change(id, (thread, agent) => (keyed.replayed(thread) ? thread : applyHumanAction(agent, thread, action)));
 */
export function keyedChange(c: Context<Env>, route: string, params: Record<string, string>, body: unknown): KeyedChange {
  const key = idempotencyKeyOf(c);
  if (key === undefined) return { fields: {}, replayed: () => false };
  const hash = requestHash(route, params, body);
  const actor = c.get("actor");
  return {
    fields: { idempotencyKey: key, requestHash: hash },
    replayed: (thread) => findKeyedEvent(thread, actor, key, hash) !== undefined,
  };
}
