/**
 * Versioned schema migrations for the Postgres store. Each runs once, in order, recorded in
 * `<schema>.schema_migrations`. All of them run in one transaction under an advisory lock, so two
 * processes starting at once against an empty database do not race: the second waits, then finds
 * the work done.
 */
import { ConfigurationError } from "agentfold";
import type { PostgresPool } from "./postgres-pool.ts";

/**
 * The SQL of each migration, given the quoted schema name. Never edit a released one: add a new one.
 *
 * @example
 * const newest = POSTGRES_MIGRATIONS.at(-1)?.version; // the schema version this code writes
 */
export const POSTGRES_MIGRATIONS: readonly { version: number; name: string; sql: (schema: string) => string }[] = [
  {
    version: 1,
    name: "threads and events",
    sql: (schema) => `
      CREATE TABLE ${schema}.threads (
        key bigserial PRIMARY KEY,               -- creation order: list order and cursor
        id text NOT NULL UNIQUE,
        agent text,
        metadata text,                           -- JSON object, NULL when empty
        schema_version integer NOT NULL,
        status text NOT NULL,                    -- derived from the events, written with them
        version integer NOT NULL,                -- the number of events
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        lease_owner text,                        -- NULL when no lease is held
        lease_token bigint NOT NULL DEFAULT 0,   -- the newest fencing token ever granted
        lease_expires_at timestamptz
      );
      CREATE INDEX threads_by_status ON ${schema}.threads (status, key);
      CREATE INDEX threads_by_agent ON ${schema}.threads (agent, key);
      -- text, not jsonb: jsonb reorders keys and rejects some strings JSON allows; the bytes stay as written.
      CREATE TABLE ${schema}.events (
        thread_key bigint NOT NULL REFERENCES ${schema}.threads (key),
        seq integer NOT NULL,
        schema_version integer NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (thread_key, seq)
      );`,
  },
];

/** First key of the two-key advisory lock: "agentfold migrations". The second is the schema's hash. */
const LOCK_CLASS = 0x61666d67;

/** A schema name checked to be a plain identifier, and its quoted form for SQL. */
export function quoteSchema(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigurationError(
      `Invalid Postgres schema name ${JSON.stringify(schema)}: use letters, digits and underscores, starting with a letter or underscore (at most 63 characters).`,
    );
  }
  return `"${schema}"`;
}

/**
 * Brings `schema` up to the newest migration. Safe to call from several processes at once.
 *
 * @example
 * await migratePostgres(pool, "agentfold");
 */
export async function migratePostgres(pool: PostgresPool, schema: string): Promise<void> {
  const quoted = quoteSchema(schema);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Held until COMMIT/ROLLBACK; also makes CREATE SCHEMA IF NOT EXISTS safe against a concurrent twin.
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_CLASS, schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${quoted}.schema_migrations`,
    );
    const current = rows[0]?.version ?? 0;
    const newest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]?.version ?? 0;
    if (current > newest) {
      throw new ConfigurationError(
        `Postgres schema ${schema} is at version ${current}, but this @agentfold/stores knows up to ${newest}. Upgrade @agentfold/stores to use it.`,
      );
    }
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql(quoted));
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
