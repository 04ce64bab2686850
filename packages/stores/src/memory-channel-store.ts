/** A `ChannelStore` in memory, for tests and single-process servers that may forget on restart. */
import {
  channelLinkSchema,
  channelOriginSchema,
  checkInput,
  claimSchema,
  deliveryKeySchema,
  idSchema,
  jsonValueSchema,
  scheduleTickSchema,
  seenIdSchema,
  ttlMsSchema,
  webhookDeliverySchema,
  webhookQuery,
  type ChannelLink,
  type ChannelOrigin,
  type ChannelStore,
  type DeliveryKey,
  type DeliveryRecord,
  type WebhookDelivery,
} from "./channel-store.ts";

const deliveryId = (key: DeliveryKey) => JSON.stringify([key.channel, key.threadId, key.callId]);
const pairId = (first: string, second: string) => JSON.stringify([first, second]);

/**
 * @example
 * const store = createMemoryChannelStore();
 * await store.claim({ kind: "finished", key: "thread-1" }); // true
 * await store.claim({ kind: "finished", key: "thread-1" }); // false
 */
export function createMemoryChannelStore(): ChannelStore {
  const origins = new Map<string, ChannelOrigin>();
  const deliveries = new Map<string, DeliveryRecord & { expiresAt: number | undefined }>();
  const links = new Map<string, ChannelLink>();
  const claims = new Map<string, number | undefined>();
  const seen = new Map<string, number>();
  const ticks = new Map<string, number>();
  const webhooks = new Map<string, WebhookDelivery>();
  const live = (expiresAt: number | undefined) => expiresAt === undefined || expiresAt > Date.now();
  const now = () => new Date().toISOString();

  return {
    async saveOrigin(threadId, origin) {
      origins.set(checkInput(idSchema, threadId, "thread id"), structuredClone(checkInput(channelOriginSchema, origin, "origin")));
    },
    async getOrigin(threadId) {
      const origin = origins.get(threadId);
      return origin && structuredClone(origin);
    },

    async claimDelivery(key, options) {
      const parsed = checkInput(deliveryKeySchema, key, "delivery key");
      const ttl = checkInput(ttlMsSchema, options.ttlMs, "ttlMs");
      const existing = deliveries.get(deliveryId(parsed));
      if (existing && (existing.state === "sent" || live(existing.expiresAt))) return false;
      deliveries.set(deliveryId(parsed), { ...parsed, state: "sending", record: null, updatedAt: now(), expiresAt: Date.now() + ttl });
      return true;
    },
    async markDelivered(key, record) {
      const parsed = checkInput(deliveryKeySchema, key, "delivery key");
      const value = checkInput(jsonValueSchema, record, "delivery record");
      deliveries.set(deliveryId(parsed), {
        ...parsed,
        state: "sent",
        record: structuredClone(value),
        updatedAt: now(),
        expiresAt: undefined,
      });
    },
    async releaseDelivery(key) {
      if (deliveries.get(deliveryId(key))?.state === "sending") deliveries.delete(deliveryId(key));
    },
    async getDelivery(key) {
      const found = deliveries.get(deliveryId(key));
      if (!found) return undefined;
      const { expiresAt: _expiresAt, ...record } = found;
      return structuredClone(record);
    },
    async listDeliveries(query) {
      return [...deliveries.values()]
        .filter((record) => record.channel === query.channel && record.threadId === query.threadId)
        .map(({ expiresAt: _expiresAt, ...record }) => structuredClone(record));
    },

    async saveLink(link) {
      const parsed = checkInput(channelLinkSchema, link, "link");
      links.set(pairId(parsed.channel, parsed.externalId), parsed);
    },
    async getLink(channel, externalId) {
      const link = links.get(pairId(channel, externalId));
      return link && { ...link };
    },

    async claim(claim) {
      const parsed = checkInput(claimSchema, claim, "claim");
      const id = pairId(parsed.kind, parsed.key);
      if (claims.has(id) && live(claims.get(id))) return false;
      claims.set(id, parsed.ttlMs === undefined ? undefined : Date.now() + parsed.ttlMs);
      return true;
    },
    async releaseClaim(claim) {
      claims.delete(pairId(claim.kind, claim.key));
    },

    async markSeen(entry) {
      const parsed = checkInput(seenIdSchema, entry, "seen id");
      const id = pairId(parsed.source, parsed.id);
      if (live(seen.get(id) ?? 0)) return false;
      seen.set(id, Date.now() + parsed.ttlMs);
      return true;
    },
    async forgetSeen(entry) {
      seen.delete(pairId(entry.source, entry.id));
    },

    async claimTick(tick) {
      const parsed = checkInput(scheduleTickSchema, tick, "schedule tick");
      const at = Date.parse(parsed.tick);
      if ((ticks.get(parsed.schedule) ?? -Infinity) >= at) return false;
      ticks.set(parsed.schedule, at);
      return true;
    },

    async saveWebhookDelivery(delivery) {
      const parsed = checkInput(webhookDeliverySchema, delivery, "webhook delivery");
      // Re-inserted at the end only when new: the map keeps creation order, as the SQL stores do.
      webhooks.set(parsed.id, structuredClone(parsed));
    },
    async getWebhookDelivery(id) {
      const delivery = webhooks.get(id);
      return delivery && structuredClone(delivery);
    },
    async listWebhookDeliveries(query) {
      const { state, dueBy, limit } = webhookQuery(query);
      const found: WebhookDelivery[] = [];
      for (const delivery of webhooks.values()) {
        if (found.length >= limit) break;
        if (state !== undefined && delivery.state !== state) continue;
        if (
          dueBy !== undefined &&
          (delivery.state !== "pending" || (delivery.nextAttemptAt !== undefined && Date.parse(delivery.nextAttemptAt) > Date.parse(dueBy)))
        )
          continue;
        found.push(structuredClone(delivery));
      }
      return found;
    },

    async prune() {
      let pruned = 0;
      for (const [id, expiresAt] of claims) {
        if (!live(expiresAt)) {
          claims.delete(id);
          pruned++;
        }
      }
      for (const [id, expiresAt] of seen) {
        if (!live(expiresAt)) {
          seen.delete(id);
          pruned++;
        }
      }
      return pruned;
    },
    async close() {},
  } satisfies ChannelStore;
}
