/**
 * `ChannelStore` in Postgres, for several server processes on one database: a claim is one
 * `INSERT … ON CONFLICT DO …` statement, so exactly one process wins each key.
 */
import { ConfigurationError, type JsonValue } from "agentfold";
import { createOwnedPool, type PostgresPool } from "@agentfold/stores";
import type { ChannelRecord, ChannelStore } from "./channel-store.ts";

export type PostgresChannelStoreOptions = ({ connectionString: string } | { /** A `pg.Pool` you own, with an `on("error")` listener. */ pool: PostgresPool }) & {
  /** The schema holding the table, created if missing. Default `"agentfold"` (the thread store's). */
  schema?: string;
};

/**
 * @example
 * const channelStore = await createPostgresChannelStore({ connectionString: process.env.DATABASE_URL! });
 */
export async function createPostgresChannelStore(options: PostgresChannelStoreOptions): Promise<ChannelStore> {
  const schema = options.schema ?? "agentfold";
  if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigurationError(`Postgres schema name ${JSON.stringify(schema)} is invalid: use letters, digits and "_".`);
  }
  const ownsPool = "connectionString" in options;
  // pg is loaded only here (an optional install), and the pool survives the database dropping its
  // idle connections (see createOwnedPool).
  const pool = "pool" in options ? options.pool : await createOwnedPool({ connectionString: options.connectionString, max: 4 });
  const table = `"${schema}".agentfold_channel_records`;
  try {
    const client = await pool.connect();
    const lock = `${schema}.channel_records`;
    let locked = false;
    let broken: Error | undefined;
    try {
      // Two processes may start at once: serialize the DDL.
      await client.query("SELECT pg_advisory_lock(hashtext($1))", [lock]);
      locked = true;
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
        key TEXT PRIMARY KEY,
        value JSONB NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        expires_at TIMESTAMPTZ
      )`);
    } finally {
      // A session lock outlives a failed statement: left held, the pooled connection would block
      // every other process's start. If unlocking fails too, the connection is dropped instead.
      if (locked) {
        await client.query("SELECT pg_advisory_unlock(hashtext($1))", [lock]).catch((error: Error) => {
          broken = error;
        });
      }
      client.release(broken);
    }
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => {});
    throw new ConfigurationError(`Cannot prepare the channel store in Postgres: ${(error as Error).message}. Check the connection string and that the server runs.`, { cause: error });
  }
  let claims = 0;
  return {
    async claim(key, value = null, claimOptions = {}) {
      if (++claims % 500 === 0) await pool.query(`DELETE FROM ${table} WHERE expires_at <= now()`);
      const result = await pool.query(
        `INSERT INTO ${table} (key, value, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now(), expires_at = excluded.expires_at
         WHERE ${table}.expires_at IS NOT NULL AND ${table}.expires_at <= now()
         RETURNING key`,
        [key, JSON.stringify(value), claimOptions.ttlMs ?? null],
      );
      return result.rowCount === 1;
    },
    async put(key, value) {
      await pool.query(
        `INSERT INTO ${table} (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now(), expires_at = NULL`,
        [key, JSON.stringify(value)],
      );
    },
    async get(key) {
      const result = await pool.query(`SELECT value FROM ${table} WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`, [key]);
      return result.rows.length === 0 ? undefined : ((result.rows[0] as { value: JsonValue }).value);
    },
    async delete(key) {
      await pool.query(`DELETE FROM ${table} WHERE key = $1`, [key]);
    },
    async list(prefix, listOptions = {}) {
      const result = await pool.query<{ key: string; value: JsonValue; updated_at: Date }>(
        `SELECT key, value, updated_at FROM ${table} WHERE left(key, length($1)) = $1 AND (expires_at IS NULL OR expires_at > now())
         ORDER BY updated_at, key LIMIT $2`,
        [prefix, listOptions.limit ?? 100],
      );
      return result.rows.map((row: { key: string; value: JsonValue; updated_at: Date }): ChannelRecord => ({
        key: row.key,
        value: row.value,
        updatedAt: row.updated_at.toISOString(),
      }));
    },
    async close() {
      if (ownsPool) await pool.end();
    },
  };
}
