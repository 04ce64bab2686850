/**
 * `Idempotency-Key` on launches, messages, approvals and answers: a client that retries after a lost
 * answer gets the result of its first request instead of a second thread or a second event.
 *
 * Nothing is kept in memory or in a side table; the thread is the only state. A launch's thread id is
 * derived from (caller, key), so a retry meets the thread the first request created. A message or a
 * decision records the key and a hash of the request on its event, and a retry finds that event.
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { Thread } from "agentfold";
import { canonicalJson } from "agentfold/runtime";
import { ApiError } from "./http-errors.ts";

/** 1 to 255 printable ASCII characters (a UUID is the usual choice). */
const keyPattern = /^[\x20-\x7e]{1,255}$/;

/**
 * The request's `Idempotency-Key`, or `undefined` when it has none.
 *
 * @example
 * const key = idempotencyKeyOf(c); // "5f1d0c2e-…" or undefined
 */
export function idempotencyKeyOf(c: Context): string | undefined {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return undefined;
  if (!keyPattern.test(key)) {
    throw new ApiError(
      400,
      "invalid_request",
      "The Idempotency-Key header must be 1 to 255 printable ASCII characters (a UUID is a good key); send a new key for each new request.",
    );
  }
  return key;
}

/**
 * A hash of what a request asks for: its route, path parameters and body (not `?wait=`, which only
 * says how long to wait for the answer). Equal requests give equal hashes whatever their key order.
 */
export function requestHash(route: string, params: Record<string, string>, body: unknown): string {
  return createHash("sha256").update(canonicalJson({ route, params, body })).digest("hex");
}

/**
 * The id of the thread a keyed launch creates: the same caller and key always name the same thread,
 * so a retry cannot create a second one, in this process or any other. Two callers' keys never meet.
 * The prefix keeps these apart from child-agent thread ids, which hash other inputs.
 */
export function launchThreadId(actor: string, key: string, tenant = ""): string {
  return `thr_${createHash("sha256").update(`launch\u0000${tenant}\u0000${actor}\u0000${key}`).digest("hex").slice(0, 32)}`;
}

/** The metadata entry a keyed launch records, to tell a retry from a different request with the same key. */
export const idempotencyMetadataKey = "idempotency";

/** The refusal for a key that was used with a different request. */
export function keyReusedError(key: string, what: string): ApiError {
  return new ApiError(
    422,
    "idempotency_key_reused",
    `Idempotency-Key ${JSON.stringify(key)} was already used for a different request (${what}); send a new key for a new request, or the same body to retry.`,
  );
}

/**
 * Checks a keyed launch against the thread that has its id: the same request returns that thread,
 * another is a 422.
 */
export function checkLaunchReplay(existing: Thread, key: string, hash: string): void {
  const recorded = existing.metadata[idempotencyMetadataKey];
  const recordedHash =
    recorded && typeof recorded === "object" && !Array.isArray(recorded) ? (recorded as Record<string, unknown>).requestHash : undefined;
  if (recordedHash !== hash) throw keyReusedError(key, `thread ${existing.id} was launched with it`);
}

/**
 * The event a keyed message or decision made earlier, if the caller sent this key to this thread
 * before: `undefined` means the request is new. The same key with a different request is a 422.
 */
export function findKeyedEvent(thread: Thread, actor: string, key: string, hash: string): Thread["events"][number] | undefined {
  for (let index = thread.events.length - 1; index >= 0; index--) {
    const event = thread.events[index]!;
    if (!("idempotencyKey" in event) || event.type === "tool_started") continue;
    if (event.idempotencyKey !== key || event.actor !== actor) continue;
    if (event.requestHash !== hash)
      throw keyReusedError(key, `event ${index + 1} (${event.type}) of thread ${thread.id} was recorded with it`);
    return event;
  }
  return undefined;
}
