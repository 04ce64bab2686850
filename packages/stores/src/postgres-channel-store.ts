/**
 * `ChannelStore` in Postgres, for several server processes on one database, in tables the schema's
 * versioned migrations create (the thread store's schema by default). Each call is one statement; a
 * claim is one `INSERT … ON CONFLICT … RETURNING`, so exactly one process wins each key. Expiry
 * times come from the database clock, so processes on machines with skewed clocks agree.
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
import { migratePostgres, quoteSchema } from "./postgres-migrations.ts";
import { createOwnedPool, unavailableError, type PostgresPool } from "./postgres-pool.ts";

export type PostgresChannelStoreOptions = (
  | { /** e.g. `postgres://user@host:5432/db`. The store owns the pool it makes and ends it on `close()`. */ connectionString: string }
  | { /** A `pg.Pool` you own, with an `on("error")` listener: `close()` leaves it open. */ pool: PostgresPool }
) & {
  /** The schema holding the tables, created and migrated if needed. Default `"agentfold"` (the thread store's). */
  schema?: string;
};

/** Now, in epoch milliseconds, by the database clock. */
const NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/**
 * @example
 * const channelStore = await createPostgresChannelStore({ connectionString: process.env.DATABASE_URL! });
 * createChannels({ channels: [slackChannel()], store: channelStore });
 */
export async function createPostgresChannelStore(options: PostgresChannelStoreOptions): Promise<ChannelStore> {
  const schemaName = options.schema ?? "agentfold";
  const schema = quoteSchema(schemaName);
  if ("connectionString" in options && typeof options.connectionString !== "string") {
    throw new ConfigurationError("createPostgresChannelStore needs a connectionString such as postgres://user@host:5432/db, or a pg Pool.");
  }
  const ownsPool = !("pool" in options);
  // pg is loaded only here (an optional install), and the pool survives the database dropping its
  // idle connections (see createOwnedPool).
  const pool = "pool" in options ? options.pool : await createOwnedPool({ connectionString: options.connectionString, max: 4 });
  try {
    await migratePostgres(pool, schemaName);
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => {});
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(
      `Cannot prepare the channel store in Postgres: ${(error as Error).message}. Check the connection string and that the server runs.`,
      { cause: error },
    );
  }
  const table = (name: string) => `${schema}.${name}`;
  let closed = false;
  let claims = 0;
  const query = async (text: string, values: unknown[]): Promise<unknown[]> => {
    if (closed) throw new ConfigurationError("This Postgres channel store was closed; create a new one to keep using it.");
    try {
      return (await pool.query(text, values)).rows;
    } catch (error) {
      throw unavailableError(error) ?? error;
    }
  };
  const prune = async () => {
    const claimed = await query(`DELETE FROM ${table("channel_claims")} WHERE expires_at <= ${NOW_MS} RETURNING 1`, []);
    const seen = await query(`DELETE FROM ${table("channel_seen")} WHERE expires_at <= ${NOW_MS} RETURNING 1`, []);
    return claimed.length + seen.length;
  };
  /** Expired claims and seen ids are dropped now and then, so the tables stay small. */
  const counted = async () => {
    if (++claims % PRUNE_EVERY === 0) await prune();
  };

  return {
    async saveOrigin(threadId, origin) {
      const id = checkInput(idSchema, threadId, "thread id");
      const { channel, person, data } = checkInput(channelOriginSchema, origin, "origin");
      await query(
        `INSERT INTO ${table("channel_origins")} (thread_id, channel, person, data, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (thread_id) DO UPDATE SET channel = excluded.channel, person = excluded.person, data = excluded.data, updated_at = excluded.updated_at`,
        [id, channel, person, JSON.stringify(data), new Date().toISOString()],
      );
    },
    async getOrigin(threadId) {
      const [row] = await query(`SELECT channel, person, data FROM ${table("channel_origins")} WHERE thread_id = $1`, [threadId]);
      return row === undefined ? undefined : originFromRow(row);
    },

    async claimDelivery(key, claimOptions) {
      const { channel, threadId, callId } = checkInput(deliveryKeySchema, key, "delivery key");
      const ttl = checkInput(ttlMsSchema, claimOptions?.ttlMs, "ttlMs");
      const at = new Date().toISOString();
      const deliveries = table("channel_deliveries");
      return returned(
        await query(
          `INSERT INTO ${deliveries} (channel, thread_id, call_id, state, record, expires_at, created_at, updated_at)
           VALUES ($1, $2, $3, 'sending', 'null', ${NOW_MS} + $4, $5, $5)
           ON CONFLICT (channel, thread_id, call_id) DO UPDATE SET expires_at = excluded.expires_at, updated_at = excluded.updated_at
           WHERE ${deliveries}.state = 'sending' AND ${deliveries}.expires_at <= ${NOW_MS}
           RETURNING call_id`,
          [channel, threadId, callId, ttl, at],
        ),
      );
    },
    async markDelivered(key, record) {
      const { channel, threadId, callId } = checkInput(deliveryKeySchema, key, "delivery key");
      const value = checkInput(jsonValueSchema, record, "delivery record");
      const at = new Date().toISOString();
      await query(
        `INSERT INTO ${table("channel_deliveries")} (channel, thread_id, call_id, state, record, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'sent', $4, NULL, $5, $5)
         ON CONFLICT (channel, thread_id, call_id) DO UPDATE SET state = 'sent', record = excluded.record, expires_at = NULL, updated_at = excluded.updated_at`,
        [channel, threadId, callId, JSON.stringify(value), at],
      );
    },
    async releaseDelivery(key) {
      await query(
        `DELETE FROM ${table("channel_deliveries")} WHERE channel = $1 AND thread_id = $2 AND call_id = $3 AND state = 'sending'`,
        [key.channel, key.threadId, key.callId],
      );
    },
    async getDelivery(key) {
      const [row] = await query(`SELECT * FROM ${table("channel_deliveries")} WHERE channel = $1 AND thread_id = $2 AND call_id = $3`, [
        key.channel,
        key.threadId,
        key.callId,
      ]);
      return row === undefined ? undefined : deliveryFromRow(row);
    },
    async listDeliveries(listQuery) {
      const rows = await query(
        `SELECT * FROM ${table("channel_deliveries")} WHERE channel = $1 AND thread_id = $2 ORDER BY created_at, call_id`,
        [listQuery.channel, listQuery.threadId],
      );
      return rows.map(deliveryFromRow);
    },

    async saveLink(link) {
      const { channel, externalId, threadId, callId } = checkInput(channelLinkSchema, link, "link");
      await query(
        `INSERT INTO ${table("channel_links")} (channel, external_id, thread_id, call_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel, external_id) DO UPDATE SET thread_id = excluded.thread_id, call_id = excluded.call_id`,
        [channel, externalId, threadId, callId ?? null],
      );
    },
    async getLink(channel, externalId) {
      const [row] = await query(`SELECT * FROM ${table("channel_links")} WHERE channel = $1 AND external_id = $2`, [channel, externalId]);
      return row === undefined ? undefined : linkFromRow(row);
    },

    async claim(claim) {
      const { kind, key, ttlMs } = checkInput(claimSchema, claim, "claim");
      await counted();
      const claimsTable = table("channel_claims");
      return returned(
        await query(
          `INSERT INTO ${claimsTable} (kind, key, expires_at) VALUES ($1, $2, ${NOW_MS} + $3::bigint)
           ON CONFLICT (kind, key) DO UPDATE SET expires_at = excluded.expires_at
           WHERE ${claimsTable}.expires_at IS NOT NULL AND ${claimsTable}.expires_at <= ${NOW_MS}
           RETURNING key`,
          [kind, key, ttlMs ?? null],
        ),
      );
    },
    async releaseClaim(claim) {
      await query(`DELETE FROM ${table("channel_claims")} WHERE kind = $1 AND key = $2`, [claim.kind, claim.key]);
    },

    async markSeen(seen) {
      const { source, id, ttlMs } = checkInput(seenIdSchema, seen, "seen id");
      await counted();
      const seenTable = table("channel_seen");
      return returned(
        await query(
          `INSERT INTO ${seenTable} (source, id, expires_at) VALUES ($1, $2, ${NOW_MS} + $3::bigint)
           ON CONFLICT (source, id) DO UPDATE SET expires_at = excluded.expires_at WHERE ${seenTable}.expires_at <= ${NOW_MS}
           RETURNING id`,
          [source, id, ttlMs],
        ),
      );
    },
    async forgetSeen(seen) {
      await query(`DELETE FROM ${table("channel_seen")} WHERE source = $1 AND id = $2`, [seen.source, seen.id]);
    },

    async claimTick(tick) {
      const { schedule, tick: at } = checkInput(scheduleTickSchema, tick, "schedule tick");
      const ticks = table("channel_schedule_ticks");
      return returned(
        await query(
          `INSERT INTO ${ticks} (schedule, tick, fired_at) VALUES ($1, $2, $3)
           ON CONFLICT (schedule) DO UPDATE SET tick = excluded.tick, fired_at = excluded.fired_at WHERE ${ticks}.tick < excluded.tick
           RETURNING schedule`,
          [schedule, Date.parse(at), new Date().toISOString()],
        ),
      );
    },

    async saveWebhookDelivery(delivery) {
      const { values } = webhookDeliveryRow(checkInput(webhookDeliverySchema, delivery, "webhook delivery"), new Date().toISOString());
      await query(
        `INSERT INTO ${table("channel_webhook_deliveries")} (id, hook, url, type, state, attempts, body, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET hook = excluded.hook, url = excluded.url, type = excluded.type, state = excluded.state,
           attempts = excluded.attempts, body = excluded.body, next_attempt_at = excluded.next_attempt_at`,
        [
          values.id,
          values.hook,
          values.url,
          values.type,
          values.state,
          values.attempts,
          values.body,
          values.next_attempt_at,
          values.created_at,
        ],
      );
    },
    async getWebhookDelivery(id) {
      const [row] = await query(`SELECT * FROM ${table("channel_webhook_deliveries")} WHERE id = $1`, [id]);
      return row === undefined ? undefined : webhookFromRow(row);
    },
    async listWebhookDeliveries(listQuery) {
      const { state, dueBy, limit } = webhookQuery(listQuery);
      const rows = await query(
        `SELECT * FROM ${table("channel_webhook_deliveries")}
         WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint IS NULL OR (state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $2)))
         ORDER BY key LIMIT $3`,
        [state ?? null, dueBy === undefined ? null : Date.parse(dueBy), limit],
      );
      return rows.map(webhookFromRow);
    },

    async prune() {
      return prune();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownsPool) await pool.end();
    },
  };
}
