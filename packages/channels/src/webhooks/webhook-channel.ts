/**
 * Signed webhooks (Standard Webhooks, via the `standardwebhooks` package). Outbound: pending requests
 * routed to a hook, and finished threads, POSTed to the hook's URL, signed, retried with backoff, each
 * attempt in a delivery log. Inbound: `POST /v1/hooks/:name` starts or resumes threads; a bad
 * signature or a timestamp more than 5 minutes away is a 401, a repeated webhook id a 200 with no effect.
 */
import { randomUUID } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import { ConfigurationError, type JsonValue, type Thread } from "agentfold";
import type { WebhookDelivery } from "@agentfold/stores";
import { errorJson, type Channel, type ChannelContext, type DeliverableItem, type InboundAction } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import { jsonValueSchema } from "@agentfold/stores";
import { decisionPayloadSchema, invalidPayload, looseMessagePayloadSchema, messagePayloadSchema, payloadShapes } from "./webhook-payloads.ts";

export type WebhookEventType = WebhookDelivery["type"];
const allEvents: readonly WebhookEventType[] = ["approval.requested", "question.asked", "thread.finished"];

export interface WebhookHook {
  /** The shared secret, `whsec_<base64>` as Standard Webhooks defines it. */
  secret: string;
  /** Outbound: where this hook's events go. */
  url?: string;
  /**
   * Outbound: the events this hook gets. Default all of them. `approval.requested` and
   * `question.asked` are sent only for requests routed to the hook (see routing); `thread.finished`
   * for every finished thread of `agent` (of any agent when `agent` is not set). A routed request
   * whose event is not listed here is not sent to this hook.
   */
  events?: readonly WebhookEventType[];
  /** The agent an inbound `{ message }` starts, and the only agent whose finished threads are sent. */
  agent?: string;
  /** Turns an inbound payload that is not `{ message }` into a first message (e.g. a CI event). */
  toMessage?: (payload: unknown) => string | undefined;
}

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

const namePattern = /^[a-zA-Z0-9_-]{1,64}$/;

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
  const verifiers = new Map<string, Webhook>();
  for (const [name, hook] of Object.entries(options.hooks ?? {})) {
    if (!namePattern.test(name)) throw new ConfigurationError(`Webhook name ${JSON.stringify(name)} is invalid: use letters, digits, "_" and "-".`);
    for (const type of hook.events ?? []) {
      if (!allEvents.includes(type)) throw new ConfigurationError(`Webhook "${name}": unknown event ${JSON.stringify(type)} in "events". Events: ${allEvents.join(", ")}.`);
    }
    try {
      verifiers.set(name, new Webhook(hook.secret));
    } catch (error) {
      throw new ConfigurationError(`Webhook "${name}": the secret must be "whsec_" plus base64 (${(error as Error).message}).`);
    }
  }
  const delays = options.retryDelaysMs ?? [1_000, 5_000, 30_000, 120_000, 600_000];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fetcher = options.fetch ?? fetch;
  /** Retry timers of this process, by webhook id. */
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let closed = false;
  const wants = (hook: WebhookHook, type: WebhookEventType) => (hook.events ?? allEvents).includes(type);

  function retryLater(context: ChannelContext, id: string, delayMs: number): void {
    if (closed || timers.has(id)) return;
    const timer = setTimeout(() => {
      timers.delete(id);
      context.background(() => attempt(context, id));
    }, Math.max(delayMs, 0));
    timer.unref?.();
    timers.set(id, timer);
  }

  async function finish(context: ChannelContext, log: WebhookDeliveryLog): Promise<void> {
    // The payload is dropped once nothing will send it again.
    const { body: _body, nextAttemptAt: _next, ...kept } = log;
    await context.store.saveWebhookDelivery(kept);
  }

  /**
   * One attempt of a pending delivery, from its log. Each attempt number is claimed in the store, so
   * when several processes resume the same delivery only one of them sends it.
   */
  async function attempt(context: ChannelContext, id: string): Promise<void> {
    const log = await context.store.getWebhookDelivery(id);
    if (!log || log.state !== "pending") return;
    const verifier = verifiers.get(log.hook);
    if (!verifier || log.body === undefined) {
      const reason = verifier ? "the payload was not kept" : `hook "${log.hook}" is no longer configured`;
      await finish(context, { ...log, state: "failed", attempts: [...log.attempts, { at: new Date().toISOString(), error: `Cannot retry: ${reason}.` }] });
      return;
    }
    // Expires, so an attempt interrupted by a crash is made again by the next sweep.
    if (!(await context.store.claim({ kind: "webhook-attempt", key: `${id}:${log.attempts.length}`, ttlMs: timeoutMs + 60_000 }))) return;
    const body = log.body;
    const at = new Date();
    const signature = verifier.sign(id, at, body);
    let result: { at: string; status?: number; error?: string };
    try {
      const response = await fetcher(log.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
          "webhook-signature": signature,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      result = { at: at.toISOString(), status: response.status };
    } catch (error) {
      result = { at: at.toISOString(), error: (error as Error).message };
    }
    const attempts = [...log.attempts, result];
    const success = result.status !== undefined && result.status >= 200 && result.status < 300;
    const failed = !success && attempts.length > delays.length;
    if (success || failed) {
      await finish(context, { ...log, attempts, state: success ? "delivered" : "failed" });
      return;
    }
    const delayMs = delays[attempts.length - 1]!;
    await context.store.saveWebhookDelivery({ ...log, attempts, nextAttemptAt: new Date(Date.now() + delayMs).toISOString() });
    retryLater(context, id, delayMs);
  }

  /** Logs and sends one event; retries go on in the background. Returns the webhook id. */
  async function send(context: ChannelContext, hookName: string, type: WebhookEventType, data: Record<string, JsonValue>): Promise<string> {
    const hook = options.hooks[hookName]!;
    const id = `msg_${randomUUID().replaceAll("-", "")}`;
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    // Pending until delivered or failed: the sweep of any process finds it by that state.
    await context.store.saveWebhookDelivery({ id, hook: hookName, url: hook.url!, type, state: "pending", attempts: [], body });
    await attempt(context, id);
    return id;
  }

  function itemData(thread: Thread, item: DeliverableItem): Record<string, JsonValue> {
    return { threadId: thread.id, agent: thread.agent ?? null, ...z.record(z.string(), jsonValueSchema).parse(JSON.parse(JSON.stringify(item))) };
  }

  async function inbound(name: string, payload: Record<string, unknown>, context: ChannelContext): Promise<{ action: InboundAction } | { status: number; code: string; message: string }> {
    const hook = options.hooks[name]!;
    const actor = `webhook:${name}`;
    if ("callId" in payload) {
      const parsed = decisionPayloadSchema.safeParse(payload);
      if (!parsed.success) return invalidPayload(parsed.error);
      const { threadId, callId, approved, comment, args, text } = parsed.data;
      const found = await context.audienceFor(threadId, callId, "webhook");
      if (!found) return { status: 409, code: "conflict", message: `Call ${callId} of ${threadId} is not pending, or not routed to webhooks.` };
      if (!allowedBy(found.audience, name)) {
        const message = `Webhook "${name}" may not decide this request: list it in the routing rule's people.`;
        const action = approved === true ? "approve" : approved === false ? "reject" : "answer";
        await context.refuseDecision(threadId, { actor, callId, intent: found.item.intent, action, source: "webhook", reason: message });
        return { status: 403, code: "forbidden", message };
      }
      if (approved !== undefined) {
        const withComment = comment === undefined ? {} : { comment };
        if (!approved) return { action: { type: "reject", threadId, callId, actor, ...withComment } };
        return { action: { type: "approve", threadId, callId, actor, ...withComment, ...(args === undefined ? {} : { args }) } };
      }
      if (text !== undefined) return { action: { type: "respond", threadId, callId, actor, text } };
      return { status: 400, code: "invalid_request", message: 'With "callId", send "approved" (true/false) or "text".' };
    }
    let start: { message: string | undefined; threadId: string | undefined; metadata: Record<string, JsonValue> | undefined };
    if ("message" in payload || !hook.toMessage) {
      const parsed = messagePayloadSchema.safeParse(payload);
      if (!parsed.success) return invalidPayload(parsed.error);
      start = { message: parsed.data.message, threadId: parsed.data.threadId, metadata: parsed.data.metadata };
    } else {
      const loose = looseMessagePayloadSchema.parse(payload);
      start = { message: hook.toMessage(payload), threadId: loose.threadId, metadata: loose.metadata };
    }
    const { message, threadId } = start;
    if (!message) return { status: 400, code: "invalid_request", message: payloadShapes };
    if (threadId) {
      const origin = await context.originOf(threadId);
      if (origin?.person !== name) return { status: 403, code: "forbidden", message: `Webhook "${name}" did not start thread ${threadId}.` };
      return { action: { type: "message", threadId, actor, text: message, source: "webhook" } };
    }
    const agent = hook.agent ?? (context.agents.size === 1 ? [...context.agents.keys()][0] : undefined);
    if (!agent) return { status: 400, code: "invalid_request", message: `Webhook "${name}" has no agent: set hooks.${name}.agent.` };
    const metadata = start.metadata === undefined ? {} : { metadata: start.metadata };
    return { action: { type: "start", agent, actor, text: message, source: "webhook", origin: { channel: "webhook", person: name, data: {} }, ...metadata } };
  }

  return {
    name: "webhook",
    paths: ["/v1/hooks/:name"],
    configured: verifiers.size > 0,

    async deliver({ thread, item, audience }, context) {
      const type = item.kind === "approval" ? "approval.requested" : "question.asked";
      const names = Object.keys(options.hooks).filter((name) => options.hooks[name]!.url && wants(options.hooks[name]!, type) && allowedBy(audience, name));
      const ids: string[] = [];
      for (const name of names) ids.push(await send(context, name, type, itemData(thread, item)));
      return ids;
    },

    async finished(thread, _origin, context) {
      const last = thread.events.at(-1);
      for (const [name, hook] of Object.entries(options.hooks)) {
        if (!hook.url || !wants(hook, "thread.finished")) continue;
        if (hook.agent && hook.agent !== thread.agent) continue;
        await send(context, name, "thread.finished", {
          threadId: thread.id,
          agent: thread.agent ?? null,
          status: thread.status,
          message: last?.type === "done" ? last.message : last?.type === "failed" ? last.reason : null,
        });
      }
    },

    async receive(request, params, context) {
      const name = params.name ?? "";
      const verifier = verifiers.get(name);
      if (!verifier) return errorJson(404, "not_found", `No inbound webhook named "${name}". Configured: ${[...verifiers.keys()].join(", ") || "none"}.`);
      const body = await request.text();
      const headers = Object.fromEntries(["webhook-id", "webhook-timestamp", "webhook-signature"].map((header) => [header, request.headers.get(header) ?? ""]));
      let verified: unknown;
      try {
        verified = verifier.verify(body, headers);
      } catch (error) {
        // `verify` parses the body only after the signature matched: a parse error is a signed, malformed body.
        if (!(error instanceof WebhookVerificationError)) return errorJson(400, "invalid_request", `The body is not valid JSON (${(error as Error).message}); send a JSON object.`);
        return errorJson(401, "unauthorized", `Webhook verification failed: ${error.message}. Sign with the hook's secret per Standard Webhooks; timestamps must be within 5 minutes.`);
      }
      const object = z.record(z.string(), z.unknown()).safeParse(verified);
      if (!object.success) return errorJson(400, "invalid_request", "The body must be a JSON object.");
      const payload = object.data;
      const seen = { source: `webhook:${name}`, id: headers["webhook-id"] ?? "" };
      // Kept well past the 5-minute signature window, so a replay is always recognized.
      if (!(await context.store.markSeen({ ...seen, ttlMs: 24 * 60 * 60 * 1000 }))) return Response.json({ status: "duplicate" });
      const result = await inbound(name, payload, context);
      if (!("action" in result)) {
        await context.store.forgetSeen(seen);
        return errorJson(result.status, result.code, result.message);
      }
      const outcome = await context.apply(result.action);
      if (!outcome.ok) {
        // Let the sender retry after a transient failure; a conflict stays a conflict.
        if (outcome.code === "internal" || outcome.code === "thread_busy") await context.store.forgetSeen(seen);
        return errorJson(outcome.code === "internal" ? 500 : 409, outcome.code, outcome.message);
      }
      return Response.json({ status: "applied", threadId: outcome.thread.id }, { status: result.action.type === "start" ? 201 : 200 });
    },

    /**
     * Resumes due retries that no timer of this process holds: those a restart or another process
     * left behind. They run at the sweep's pace (`sweepIntervalMs`), not to the millisecond.
     */
    async sweep(context) {
      for (const { id } of await context.store.listWebhookDeliveries({ state: "pending", dueBy: new Date().toISOString(), limit: 1000 })) {
        if (closed) return;
        if (timers.has(id)) continue;
        context.background(() => attempt(context, id));
      }
    },

    async close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
