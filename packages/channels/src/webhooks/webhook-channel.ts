/**
 * Signed webhooks (Standard Webhooks, via the `standardwebhooks` package). Outbound: pending requests
 * routed to a hook, and finished threads, POSTed to the hook's URL, signed, retried with backoff, each
 * attempt in a delivery log. Inbound: `POST /v1/hooks/:name` starts or resumes threads; a bad
 * signature or a timestamp more than 5 minutes away is a 401, a repeated webhook id a 200 with no effect.
 *
 * The hooks' settings are in webhook-hooks.ts; outbound events in webhook-outbound.ts, their
 * attempts and retries in webhook-attempt.ts and webhook-retries.ts; inbound requests in
 * webhook-receive.ts and what their payloads ask for in webhook-inbound.ts.
 */
import type { WebhookDelivery } from "@agentfold/stores";
import type { Channel } from "../channel.ts";
import { webhookVerifiers, type WebhookHook } from "./webhook-hooks.ts";
import { webhookOutbound } from "./webhook-outbound.ts";
import { receiveWebhook } from "./webhook-receive.ts";
import { createWebhookRetries } from "./webhook-retries.ts";

export type { WebhookEventType, WebhookHook } from "./webhook-hooks.ts";

export interface WebhookChannelOptions {
  hooks: Readonly<Record<string, WebhookHook>>;
  /** Waits between attempts. Default 1 s, 5 s, 30 s, 2 min, 10 min. */
  retryDelaysMs?: readonly number[];
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** One outbound webhook and its attempts, as the channel store keeps it (`store.listWebhookDeliveries()`). */
export type WebhookDeliveryLog = WebhookDelivery;

/**
 * @example
 * const webhooks = webhookChannel({
 *   hooks: {
 *     ci: { secret: process.env.CI_WEBHOOK_SECRET!, agent: "deploybot" },
 *     ops: { secret: process.env.OPS_WEBHOOK_SECRET!, url: "https://ops.example.com/agentfold" },
 *   },
 * });
 */
export function webhookChannel(options: WebhookChannelOptions): Channel {
  const verifiers = webhookVerifiers(options.hooks);
  const retries = createWebhookRetries({
    verifiers,
    delays: options.retryDelaysMs ?? [1_000, 5_000, 30_000, 120_000, 600_000],
    timeoutMs: options.timeoutMs ?? 10_000,
    fetcher: options.fetch ?? fetch,
  });
  return {
    name: "webhook",
    paths: ["/v1/hooks/:name"],
    configured: verifiers.size > 0,
    ...webhookOutbound(options.hooks, retries),
    receive: (request, params, context) => receiveWebhook(options.hooks, verifiers, request, params, context),
    /**
     * Resumes due retries that no timer of this process holds: those a restart or another process
     * left behind. They run at the sweep's pace (`sweepIntervalMs`), not to the millisecond.
     */
    sweep: (context) => retries.sweep(context),
    async close() {
      retries.close();
    },
  };
}
