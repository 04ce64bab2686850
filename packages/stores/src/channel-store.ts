/**
 * `ChannelStore`: the bookkeeping channels (Slack, email, webhooks, schedules) keep besides the
 * thread, as typed records in tables of their own. It is delivery bookkeeping, never agent state:
 * losing it can at worst re-send a notification, never change a thread.
 *
 * The records:
 * - origins: which channel and person started a thread (to answer there);
 * - deliveries: a pending approval or question sent on a channel — claimed while sending, then the
 *   channel's record of the message (Slack ts, email Message-ID) once sent;
 * - links: an outside message id (Slack thread ts, email Message-ID) to the thread and call it answers;
 * - claims: "this process handles it" markers, once per key, optionally expiring;
 * - seen ids: inbound event ids already handled (de-duplication), always expiring;
 * - schedule ticks: the last tick each schedule fired;
 * - webhook deliveries: each outbound webhook with its attempts, pending until delivered or failed.
 *
 * "At most once" rests on the claims (`claimDelivery`, `claim`, `markSeen`, `claimTick`): each is
 * one atomic insert-unless-present that succeeds for exactly one caller across processes.
 */
import { InvalidInputError, type JsonValue } from "agentfold";
import { z } from "zod";

/** Any JSON value; what crosses the storage boundary as JSON text is checked against it when read back. */
export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValueSchema), z.record(z.string(), jsonValueSchema)]),
);

const name = z.string().min(1).max(200);
/** A thread id, call id or outside message id. */
export const idSchema = z.string().min(1).max(1000);
const id = idSchema;
/** A time to live: a positive whole number of milliseconds, at most ten years. */
export const ttlMsSchema = z
  .number()
  .int()
  .positive()
  .max(10 * 365 * 24 * 60 * 60 * 1000);
const ttlMs = ttlMsSchema;
const isoTime = z.iso.datetime({ offset: true });

/** Where a thread a channel started came from: `{ channel: "slack", person: "U1", data: { channel, ts } }`. */
export const channelOriginSchema = z.object({
  channel: name,
  /** The person who started it, in the channel's terms. */
  person: z.string().max(1000),
  /** Channel-specific: Slack channel and ts, email Message-ID and subject. */
  data: z.record(z.string(), jsonValueSchema),
});
export type ChannelOrigin = z.infer<typeof channelOriginSchema>;

/** One pending item on one channel. */
export const deliveryKeySchema = z.object({ channel: name, threadId: id, callId: id });
export type DeliveryKey = z.infer<typeof deliveryKeySchema>;

export const deliveryStateSchema = z.enum(["sending", "sent"]);
export const deliveryRecordSchema = deliveryKeySchema.extend({
  /** `sending`: claimed, not sent yet (the claim expires); `sent`: the channel's record is kept for good. */
  state: deliveryStateSchema,
  /** What the channel's `deliver` returned (`null` while sending). */
  record: jsonValueSchema,
  updatedAt: isoTime,
});
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;

/** An outside message id that answers a thread (and, for a question, its call). */
export const channelLinkSchema = z.object({ channel: name, externalId: id, threadId: id, callId: id.optional() });
export type ChannelLink = z.infer<typeof channelLinkSchema>;

/** A once-only marker: `kind` names what is claimed (`resolved`, `finished`, `webhook-attempt`…). */
export const claimSchema = z.object({ kind: name, key: id, ttlMs: ttlMs.optional() });
export type Claim = z.infer<typeof claimSchema>;

/** An inbound id seen by `source` (`slack-event`, `email`, `webhook:ci`…), forgotten after `ttlMs`. */
export const seenIdSchema = z.object({ source: name, id, ttlMs });
export type SeenId = z.infer<typeof seenIdSchema>;

/** A schedule's tick: `schedule` names the schedule, `tick` is the scheduled time (ISO 8601). */
export const scheduleTickSchema = z.object({ schedule: id, tick: isoTime });
export type ScheduleTick = z.infer<typeof scheduleTickSchema>;

export const webhookEventTypeSchema = z.enum(["approval.requested", "question.asked", "thread.finished"]);
export const webhookAttemptSchema = z.object({ at: isoTime, status: z.number().int().optional(), error: z.string().optional() });
/** One outbound webhook and its attempts. */
export const webhookDeliverySchema = z.object({
  /** The `webhook-id` header: `msg_…`. */
  id,
  hook: name,
  url: z.string().min(1),
  type: webhookEventTypeSchema,
  state: z.enum(["pending", "delivered", "failed"]),
  attempts: z.array(webhookAttemptSchema),
  /** The payload, kept while `pending` so a sweep in any process can resume the retries after a restart. */
  body: z.string().optional(),
  /** When the next attempt is due (while `pending`). */
  nextAttemptAt: isoTime.optional(),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryQuerySchema = z.object({
  state: z.enum(["pending", "delivered", "failed"]).optional(),
  /** Only pending ones due by this time (no `nextAttemptAt`, or at or before it). */
  dueBy: isoTime.optional(),
  /** At most this many, oldest first. Default 100. */
  limit: z.number().int().positive().max(10_000).optional(),
});
export type WebhookDeliveryQuery = z.infer<typeof webhookDeliveryQuerySchema>;

export interface ChannelStore {
  /** Records where a thread came from (replacing an earlier origin). */
  saveOrigin(threadId: string, origin: ChannelOrigin): Promise<void>;
  getOrigin(threadId: string): Promise<ChannelOrigin | undefined>;

  /**
   * Claims the delivery of one item on one channel: `true` for exactly one caller, unless the
   * delivery is already sent or another claim has not expired. The claim lasts `ttlMs`, so a process
   * that dies before `markDelivered` does not hold it for good.
   */
  claimDelivery(key: DeliveryKey, options: { ttlMs: number }): Promise<boolean>;
  /** Records the delivery as sent, with what the channel returned, for good. */
  markDelivered(key: DeliveryKey, record: JsonValue): Promise<void>;
  /** Drops an unfinished (`sending`) claim so the next sweep tries again; a sent delivery stays. */
  releaseDelivery(key: DeliveryKey): Promise<void>;
  getDelivery(key: DeliveryKey): Promise<DeliveryRecord | undefined>;
  /** The deliveries of one thread on one channel, oldest first. */
  listDeliveries(query: { channel: string; threadId: string }): Promise<DeliveryRecord[]>;

  /** Links an outside message id to a thread (replacing an earlier link of the same id). */
  saveLink(link: ChannelLink): Promise<void>;
  getLink(channel: string, externalId: string): Promise<ChannelLink | undefined>;

  /** Inserts the claim unless it exists and has not expired: `true` for exactly one caller. */
  claim(claim: Claim): Promise<boolean>;
  releaseClaim(claim: Pick<Claim, "kind" | "key">): Promise<void>;

  /** `true` the first time an id is seen within `ttlMs`, `false` for a repeat. */
  markSeen(seen: SeenId): Promise<boolean>;
  /** Forgets a seen id, so a retry of a request that failed for now is handled again. */
  forgetSeen(seen: Pick<SeenId, "source" | "id">): Promise<void>;

  /** Records `tick` as the schedule's last fired tick: `true` for exactly one caller, and only when it is later than the last. */
  claimTick(tick: ScheduleTick): Promise<boolean>;

  /** Inserts or replaces a webhook delivery by its id. */
  saveWebhookDelivery(delivery: WebhookDelivery): Promise<void>;
  getWebhookDelivery(id: string): Promise<WebhookDelivery | undefined>;
  /** Webhook deliveries, oldest first: e.g. `{ state: "pending", dueBy: now }` for the ones to retry. */
  listWebhookDeliveries(query?: WebhookDeliveryQuery): Promise<WebhookDelivery[]>;

  /** Deletes expired claims and seen ids; returns how many. Claims call it now and then by themselves. */
  prune(): Promise<number>;
  close(): Promise<void>;
}

/**
 * `value` checked against `schema`, or an `InvalidInputError` that names the field and what is wrong:
 * a bad argument is the caller's mistake and must not reach the database.
 */
export function checkInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? ` at "${issue.path.join(".")}"` : "";
  throw new InvalidInputError(`Invalid ${what}${path}: ${issue?.message ?? "invalid"}.`);
}

/** How often (in claims) a store prunes expired claims and seen ids by itself. */
export const PRUNE_EVERY = 500;

/** The parsed query with its default limit. */
export function webhookQuery(query: WebhookDeliveryQuery | undefined): WebhookDeliveryQuery & { limit: number } {
  const parsed = checkInput(webhookDeliveryQuerySchema, query ?? {}, "webhook delivery query");
  return { ...parsed, limit: parsed.limit ?? 100 };
}
