/**
 * One attempt of an outbound webhook, from its log in the channel store: sign, POST, record the
 * result. Each attempt number is claimed in the store, so when several processes resume the same
 * delivery only one of them sends it.
 */
import type { Webhook } from "standardwebhooks";
import type { WebhookDelivery } from "@agentfold/stores";
import type { ChannelContext } from "../channel.ts";

export interface AttemptSettings {
  readonly verifiers: ReadonlyMap<string, Webhook>;
  /** Waits between attempts; one attempt more than there are delays, then the delivery failed. */
  readonly delays: readonly number[];
  readonly timeoutMs: number;
  readonly fetcher: typeof fetch;
}

async function finish(context: ChannelContext, log: WebhookDelivery): Promise<void> {
  // The payload is dropped once nothing will send it again.
  const { body: _body, nextAttemptAt: _next, ...kept } = log;
  await context.store.saveWebhookDelivery(kept);
}

/** POSTs the signed body; the result as the log records it (a status, or the error of a failed request). */
async function post(
  settings: AttemptSettings,
  verifier: Webhook,
  id: string,
  url: string,
  body: string,
): Promise<{ at: string; status?: number; error?: string }> {
  const at = new Date();
  const signature = verifier.sign(id, at, body);
  // Called as a plain function, as `fetch` expects (not as a method of `settings`).
  const { fetcher } = settings;
  try {
    const response = await fetcher(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body,
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    await response.body?.cancel();
    return { at: at.toISOString(), status: response.status };
  } catch (error) {
    return { at: at.toISOString(), error: (error as Error).message };
  }
}

/**
 * Makes the next attempt of pending delivery `id`, if this process wins its claim. Returns the wait
 * before another attempt when this one failed and retries are left (the log then says when), else
 * `undefined` (delivered, failed for good, not pending, or claimed elsewhere).
 */
export async function attemptDelivery(settings: AttemptSettings, context: ChannelContext, id: string): Promise<number | undefined> {
  const log = await context.store.getWebhookDelivery(id);
  if (log?.state !== "pending") return undefined;
  const verifier = settings.verifiers.get(log.hook);
  if (!verifier || log.body === undefined) {
    const reason = verifier ? "the payload was not kept" : `hook "${log.hook}" is no longer configured`;
    await finish(context, {
      ...log,
      state: "failed",
      attempts: [...log.attempts, { at: new Date().toISOString(), error: `Cannot retry: ${reason}.` }],
    });
    return undefined;
  }
  // Expires, so an attempt interrupted by a crash is made again by the next sweep.
  if (!(await context.store.claim({ kind: "webhook-attempt", key: `${id}:${log.attempts.length}`, ttlMs: settings.timeoutMs + 60_000 })))
    return undefined;
  const result = await post(settings, verifier, id, log.url, log.body);
  const attempts = [...log.attempts, result];
  const success = result.status !== undefined && result.status >= 200 && result.status < 300;
  const failed = !success && attempts.length > settings.delays.length;
  if (success || failed) {
    await finish(context, { ...log, attempts, state: success ? "delivered" : "failed" });
    return undefined;
  }
  const delayMs = settings.delays[attempts.length - 1]!;
  await context.store.saveWebhookDelivery({ ...log, attempts, nextAttemptAt: new Date(Date.now() + delayMs).toISOString() });
  return delayMs;
}
