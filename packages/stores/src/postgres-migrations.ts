/**
 * Versioned schema migrations for the Postgres store. Each runs once, in order, recorded in
 * `<schema>.schema_migrations`. All of them run in one transaction under an advisory lock, so two
 * processes starting at once against an empty database do not race: the second waits, then finds
 * the work done.
 */
import { ConfigurationError } from "agentfold";
import { z } from "zod";
import type { ChannelTableRow } from "./channel-rows.ts";
import { importLegacyChannelRecords, insertStatement } from "./legacy-channel-records.ts";
import type { PostgresClient, PostgresPool } from "./postgres-pool.ts";

/**
 * The SQL of each migration, given the quoted schema name. Never edit a released one: add a new one.
 *
 * @example
 * const newest = POSTGRES_MIGRATIONS.at(-1)?.version; // the schema version this code writes
 */
export const POSTGRES_MIGRATIONS: readonly {
  version: number;
  name: string;
  sql: (schema: string) => string;
  /** Moves data, in the same transaction, after `sql`. */
  after?: (client: PostgresClient, schema: string) => Promise<void>;
}[] = [
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
  {
    version: 2,
    name: "channel bookkeeping",
    // As in SQLite: expiry times are epoch milliseconds (bigint, from the database clock), other
    // times ISO 8601 text, JSON columns text.
    sql: (schema) => `
      CREATE TABLE ${schema}.channel_origins (
        thread_id text PRIMARY KEY,
        channel text NOT NULL,
        person text NOT NULL,
        data text NOT NULL,                      -- JSON object
        updated_at text NOT NULL
      );
      CREATE TABLE ${schema}.channel_deliveries (
        channel text NOT NULL,
        thread_id text NOT NULL,
        call_id text NOT NULL,
        state text NOT NULL,                     -- 'sending' (claimed until expires_at) or 'sent'
        record text NOT NULL,                    -- JSON: what the channel's deliver returned
        expires_at bigint,                       -- while sending
        created_at text NOT NULL,
        updated_at text NOT NULL,
        PRIMARY KEY (channel, thread_id, call_id)
      );
      CREATE TABLE ${schema}.channel_links (
        channel text NOT NULL,
        external_id text NOT NULL,               -- a Slack thread ts, an email Message-ID
        thread_id text NOT NULL,
        call_id text,
        PRIMARY KEY (channel, external_id)
      );
      CREATE TABLE ${schema}.channel_claims (
        kind text NOT NULL,
        key text NOT NULL,
        expires_at bigint,                       -- NULL: kept
        PRIMARY KEY (kind, key)
      );
      CREATE INDEX channel_claims_by_expiry ON ${schema}.channel_claims (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE ${schema}.channel_seen (
        source text NOT NULL,
        id text NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (source, id)
      );
      CREATE INDEX channel_seen_by_expiry ON ${schema}.channel_seen (expires_at);
      CREATE TABLE ${schema}.channel_schedule_ticks (
        schedule text PRIMARY KEY,
        tick bigint NOT NULL,                    -- the last fired tick
        fired_at text NOT NULL
      );
      CREATE TABLE ${schema}.channel_webhook_deliveries (
        key bigserial PRIMARY KEY,               -- creation order
        id text NOT NULL UNIQUE,
        hook text NOT NULL,
        url text NOT NULL,
        type text NOT NULL,
        state text NOT NULL,                     -- 'pending', 'delivered' or 'failed'
        attempts text NOT NULL,                  -- JSON array
        body text,                               -- kept while pending
        next_attempt_at bigint,
        created_at text NOT NULL
      );
      CREATE INDEX channel_webhook_deliveries_by_state ON ${schema}.channel_webhook_deliveries (state, key);`,
    after: importLegacyPostgres,
  },
  {
    version: 3,
    name: "thread wake times",
    // When a thread's next timer or request deadline falls due (nextWakeAt), written with its status.
    // Threads stored before this version have neither (both came with it): NULL is their true value.
    sql: (schema) => `
      ALTER TABLE ${schema}.threads ADD COLUMN wake_at timestamptz;  -- NULL when nothing is due
      CREATE INDEX threads_by_wake_at ON ${schema}.threads (wake_at, key) WHERE wake_at IS NOT NULL;`,
  },
  {
    version: 4,
    name: "tenant lists",
    // A server always lists one tenant's threads: the inbox by status, the threads page without.
    // Without these, finding a small tenant's waiting threads walks every thread of that status,
    // parsing its metadata (bench/results/inbox-query.md). The expression must stay exactly the
    // one the store's list filters on, or the planner cannot use the index.
    sql: (schema) => `
      CREATE INDEX threads_by_tenant_status ON ${schema}.threads ((coalesce(metadata::jsonb ->> 'tenant', 'default')), status, key);
      CREATE INDEX threads_by_tenant ON ${schema}.threads ((coalesce(metadata::jsonb ->> 'tenant', 'default')), key);
      CREATE INDEX threads_by_created_at ON ${schema}.threads (created_at);`,
  },
];

const legacyRow = z.object({
  key: z.string(),
  value: z.string(),
  updated_at: z.string(),
  expires_at: z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number)
    .nullable(),
});

/**
 * Moves the rows of @agentfold/channels 0.1's `agentfold_channel_records` table in this schema, when
 * there is one, into the channel tables, and renames it `agentfold_channel_records_imported` (see
 * legacy-channel-records.ts).
 */
async function importLegacyPostgres(client: PostgresClient, schema: string): Promise<void> {
  const { rows: found } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [`${schema}.agentfold_channel_records`]);
  if (found[0]?.found !== true) return;
  const { rows } = await client.query(
    `SELECT key, value::text AS value, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
            (extract(epoch FROM expires_at) * 1000)::bigint::text AS expires_at
     FROM ${schema}.agentfold_channel_records ORDER BY updated_at, key`,
  );
  const inserts: ChannelTableRow[] = [];
  importLegacyChannelRecords(
    rows.map((row) => {
      const parsed = legacyRow.parse(row);
      return { key: parsed.key, value: parsed.value, updatedAt: parsed.updated_at, expiresAt: parsed.expires_at };
    }),
    (row) => inserts.push(row),
  );
  for (const row of inserts) {
    const { sql, values } = insertStatement(
      row,
      (table) => `${schema}.${table}`,
      (index) => `$${index}`,
    );
    await client.query(sql, values);
  }
  await client.query(`ALTER TABLE ${schema}.agentfold_channel_records RENAME TO agentfold_channel_records_imported`);
}

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
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoted}.schema_migrations`);
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
      await migration.after?.(client, quoted);
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
