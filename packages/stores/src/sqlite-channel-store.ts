/**
 * `ChannelStore` in a SQLite file (node:sqlite), in tables the file's versioned migrations create,
 * with the thread store's settings (WAL, `synchronous = FULL`): pass the thread store's file.
 * Each call is one statement, so one transaction; a claim is one `INSERT … ON CONFLICT … RETURNING`,
 * which exactly one connection wins, across processes sharing the file.
 */
import { ConfigurationError } from "agentfold";
import {
  channelLinkSchema,
  channelOriginSchema,
  checkInput,
  claimSchema,
  deliveryKeySchema,
  idSchema,
  jsonValueSchema,
  PRUNE_EVERY,
  scheduleTickSchema,
  seenIdSchema,
  ttlMsSchema,
  webhookDeliverySchema,
  webhookQuery,
  type ChannelStore,
} from "./channel-store.ts";
import { deliveryFromRow, linkFromRow, originFromRow, returned, webhookDeliveryRow, webhookFromRow } from "./channel-rows.ts";
import { migrateSqlite, openDatabase } from "./sqlite-migrations.ts";
import { mapDiskFaults } from "./sqlite-store.ts";

export interface SqliteChannelStoreOptions {
  /** The database file (the thread store's is fine), or `":memory:"`. */
  path: string;
  /** How long to wait for another connection's write lock, in milliseconds. Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * @example
 * const channelStore = createSqliteChannelStore({ path: "./agentfold.db" });
 * createChannels({ channels: [slackChannel()], store: channelStore });
 */
export function createSqliteChannelStore(options: SqliteChannelStoreOptions): ChannelStore {
  const db = openDatabase(options?.path, options?.busyTimeoutMs ?? 5000, "createSqliteChannelStore");
  try {
    migrateSqlite(db, options.path);
  } catch (error) {
    db.close();
    throw error;
  }
  const statements = {
    saveOrigin: db.prepare(`INSERT INTO channel_origins (thread_id, channel, person, data, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (thread_id) DO UPDATE SET channel = excluded.channel, person = excluded.person, data = excluded.data, updated_at = excluded.updated_at`),
    getOrigin: db.prepare("SELECT channel, person, data FROM channel_origins WHERE thread_id = ?"),
    claimDelivery:
      db.prepare(`INSERT INTO channel_deliveries (channel, thread_id, call_id, state, record, expires_at, created_at, updated_at)
      VALUES (?, ?, ?, 'sending', 'null', ?, ?, ?)
      ON CONFLICT (channel, thread_id, call_id) DO UPDATE SET expires_at = excluded.expires_at, updated_at = excluded.updated_at
      WHERE channel_deliveries.state = 'sending' AND channel_deliveries.expires_at <= ?
      RETURNING call_id`),
    markDelivered:
      db.prepare(`INSERT INTO channel_deliveries (channel, thread_id, call_id, state, record, expires_at, created_at, updated_at)
      VALUES (?, ?, ?, 'sent', ?, NULL, ?, ?)
      ON CONFLICT (channel, thread_id, call_id) DO UPDATE SET state = 'sent', record = excluded.record, expires_at = NULL, updated_at = excluded.updated_at`),
    releaseDelivery: db.prepare("DELETE FROM channel_deliveries WHERE channel = ? AND thread_id = ? AND call_id = ? AND state = 'sending'"),
    getDelivery: db.prepare("SELECT * FROM channel_deliveries WHERE channel = ? AND thread_id = ? AND call_id = ?"),
    listDeliveries: db.prepare("SELECT * FROM channel_deliveries WHERE channel = ? AND thread_id = ? ORDER BY created_at, call_id"),
    saveLink: db.prepare(`INSERT INTO channel_links (channel, external_id, thread_id, call_id) VALUES (?, ?, ?, ?)
      ON CONFLICT (channel, external_id) DO UPDATE SET thread_id = excluded.thread_id, call_id = excluded.call_id`),
    getLink: db.prepare("SELECT * FROM channel_links WHERE channel = ? AND external_id = ?"),
    claim: db.prepare(`INSERT INTO channel_claims (kind, key, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (kind, key) DO UPDATE SET expires_at = excluded.expires_at
      WHERE channel_claims.expires_at IS NOT NULL AND channel_claims.expires_at <= ?
      RETURNING key`),
    releaseClaim: db.prepare("DELETE FROM channel_claims WHERE kind = ? AND key = ?"),
    markSeen: db.prepare(`INSERT INTO channel_seen (source, id, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (source, id) DO UPDATE SET expires_at = excluded.expires_at WHERE channel_seen.expires_at <= ?
      RETURNING id`),
    forgetSeen: db.prepare("DELETE FROM channel_seen WHERE source = ? AND id = ?"),
    claimTick: db.prepare(`INSERT INTO channel_schedule_ticks (schedule, tick, fired_at) VALUES (?, ?, ?)
      ON CONFLICT (schedule) DO UPDATE SET tick = excluded.tick, fired_at = excluded.fired_at WHERE channel_schedule_ticks.tick < excluded.tick
      RETURNING schedule`),
    saveWebhook:
      db.prepare(`INSERT INTO channel_webhook_deliveries (id, hook, url, type, state, attempts, body, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET hook = excluded.hook, url = excluded.url, type = excluded.type, state = excluded.state,
        attempts = excluded.attempts, body = excluded.body, next_attempt_at = excluded.next_attempt_at`),
    getWebhook: db.prepare("SELECT * FROM channel_webhook_deliveries WHERE id = ?"),
    listWebhooks: db.prepare(`SELECT * FROM channel_webhook_deliveries
      WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR (state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)))
      ORDER BY key LIMIT ?3`),
    pruneClaims: db.prepare("DELETE FROM channel_claims WHERE expires_at IS NOT NULL AND expires_at <= ?"),
    pruneSeen: db.prepare("DELETE FROM channel_seen WHERE expires_at <= ?"),
  };
  let closed = false;
  let claims = 0;
  const open = () => {
    if (closed) throw new ConfigurationError("This SQLite channel store was closed; create a new one to keep using the file.");
  };
  const prune = () => {
    const now = Date.now();
    return Number(statements.pruneClaims.run(now).changes) + Number(statements.pruneSeen.run(now).changes);
  };
  /** Expired claims and seen ids are dropped now and then, so the tables stay small. */
  const counted = () => {
    if (++claims % PRUNE_EVERY === 0) prune();
  };

  const store: ChannelStore = {
    async saveOrigin(threadId, origin) {
      open();
      const id = checkInput(idSchema, threadId, "thread id");
      const { channel, person, data } = checkInput(channelOriginSchema, origin, "origin");
      statements.saveOrigin.run(id, channel, person, JSON.stringify(data), new Date().toISOString());
    },
    async getOrigin(threadId) {
      open();
      const row = statements.getOrigin.get(threadId);
      return row && originFromRow(row);
    },

    async claimDelivery(key, claimOptions) {
      open();
      const { channel, threadId, callId } = checkInput(deliveryKeySchema, key, "delivery key");
      const ttl = checkInput(ttlMsSchema, claimOptions?.ttlMs, "ttlMs");
      const now = Date.now();
      const at = new Date(now).toISOString();
      return returned(statements.claimDelivery.all(channel, threadId, callId, now + ttl, at, at, now));
    },
    async markDelivered(key, record) {
      open();
      const { channel, threadId, callId } = checkInput(deliveryKeySchema, key, "delivery key");
      const value = checkInput(jsonValueSchema, record, "delivery record");
      const at = new Date().toISOString();
      statements.markDelivered.run(channel, threadId, callId, JSON.stringify(value), at, at);
    },
    async releaseDelivery(key) {
      open();
      statements.releaseDelivery.run(key.channel, key.threadId, key.callId);
    },
    async getDelivery(key) {
      open();
      const row = statements.getDelivery.get(key.channel, key.threadId, key.callId);
      return row && deliveryFromRow(row);
    },
    async listDeliveries(query) {
      open();
      return statements.listDeliveries.all(query.channel, query.threadId).map(deliveryFromRow);
    },

    async saveLink(link) {
      open();
      const { channel, externalId, threadId, callId } = checkInput(channelLinkSchema, link, "link");
      statements.saveLink.run(channel, externalId, threadId, callId ?? null);
    },
    async getLink(channel, externalId) {
      open();
      const row = statements.getLink.get(channel, externalId);
      return row && linkFromRow(row);
    },

    async claim(claim) {
      open();
      const { kind, key, ttlMs } = checkInput(claimSchema, claim, "claim");
      counted();
      const now = Date.now();
      return returned(statements.claim.all(kind, key, ttlMs === undefined ? null : now + ttlMs, now));
    },
    async releaseClaim(claim) {
      open();
      statements.releaseClaim.run(claim.kind, claim.key);
    },

    async markSeen(seen) {
      open();
      const { source, id, ttlMs } = checkInput(seenIdSchema, seen, "seen id");
      counted();
      const now = Date.now();
      return returned(statements.markSeen.all(source, id, now + ttlMs, now));
    },
    async forgetSeen(seen) {
      open();
      statements.forgetSeen.run(seen.source, seen.id);
    },

    async claimTick(tick) {
      open();
      const { schedule, tick: at } = checkInput(scheduleTickSchema, tick, "schedule tick");
      return returned(statements.claimTick.all(schedule, Date.parse(at), new Date().toISOString()));
    },

    async saveWebhookDelivery(delivery) {
      open();
      const { values } = webhookDeliveryRow(checkInput(webhookDeliverySchema, delivery, "webhook delivery"), new Date().toISOString());
      statements.saveWebhook.run(
        values.id ?? null,
        values.hook ?? null,
        values.url ?? null,
        values.type ?? null,
        values.state ?? null,
        values.attempts ?? null,
        values.body ?? null,
        values.next_attempt_at ?? null,
        values.created_at ?? null,
      );
    },
    async getWebhookDelivery(id) {
      open();
      const row = statements.getWebhook.get(id);
      return row && webhookFromRow(row);
    },
    async listWebhookDeliveries(query) {
      open();
      const { state, dueBy, limit } = webhookQuery(query);
      return statements.listWebhooks.all(state ?? null, dueBy === undefined ? null : Date.parse(dueBy), limit).map(webhookFromRow);
    },

    async prune() {
      open();
      return prune();
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  return mapDiskFaults(store, options.path);
}
