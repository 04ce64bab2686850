/**
 * The SQLite file's schema: versioned migrations applied in order at open, and the settings every
 * connection to it uses (WAL, `synchronous = FULL`). The thread store and the channel store open the
 * same file through these, so their tables share one migration history and one durability setting.
 */
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ConfigurationError } from "agentfold";
import { z } from "zod";
import { importLegacyChannelRecords, insertStatement } from "./legacy-channel-records.ts";
// Through getBuiltinModule, not `import`: importing node:fs as a module builds its namespace, which
// loads fs/promises, readline and streams, a few milliseconds of every short command (see
// docs/decisions/2026-11-30-cold-start.md).
const { mkdirSync } = process.getBuiltinModule("node:fs");

/**
 * Schema migrations, applied in order at open; each runs once, recorded in `schema_migrations`. Never
 * edit a released one: add a new one.
 *
 * @example
 * const newest = SQLITE_MIGRATIONS.at(-1)?.version; // the schema version this code writes
 */
export const SQLITE_MIGRATIONS: readonly { version: number; name: string; sql: string; after?: (db: DatabaseSync) => void }[] = [
  {
    version: 1,
    name: "threads and events",
    sql: `
      CREATE TABLE threads (
        key INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order: list order and cursor
        id TEXT NOT NULL UNIQUE,
        agent TEXT,
        metadata TEXT,                          -- JSON object, NULL when empty
        schema_version INTEGER NOT NULL,
        status TEXT NOT NULL,                   -- derived from the events, written with them
        version INTEGER NOT NULL,               -- the number of events
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        lease_owner TEXT,                       -- NULL when no lease is held
        lease_token INTEGER NOT NULL DEFAULT 0, -- the newest fencing token ever granted
        lease_expires_at INTEGER                -- milliseconds since the epoch
      );
      CREATE INDEX threads_by_status ON threads (status, key);
      CREATE INDEX threads_by_agent ON threads (agent, key);
      CREATE TABLE events (
        thread_key INTEGER NOT NULL REFERENCES threads (key),
        seq INTEGER NOT NULL,
        schema_version INTEGER NOT NULL,
        body TEXT NOT NULL,                     -- the event's JSON
        PRIMARY KEY (thread_key, seq)
      );`,
  },
  {
    version: 2,
    name: "channel bookkeeping",
    // Times a record expires are epoch milliseconds; other times ISO 8601 text. JSON columns hold text.
    sql: `
      CREATE TABLE channel_origins (
        thread_id TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        person TEXT NOT NULL,
        data TEXT NOT NULL,                     -- JSON object
        updated_at TEXT NOT NULL
      );
      CREATE TABLE channel_deliveries (
        channel TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        call_id TEXT NOT NULL,
        state TEXT NOT NULL,                    -- 'sending' (claimed until expires_at) or 'sent'
        record TEXT NOT NULL,                   -- JSON: what the channel's deliver returned
        expires_at INTEGER,                     -- while sending
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (channel, thread_id, call_id)
      );
      CREATE TABLE channel_links (
        channel TEXT NOT NULL,
        external_id TEXT NOT NULL,              -- a Slack thread ts, an email Message-ID
        thread_id TEXT NOT NULL,
        call_id TEXT,
        PRIMARY KEY (channel, external_id)
      );
      CREATE TABLE channel_claims (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        expires_at INTEGER,                     -- NULL: kept
        PRIMARY KEY (kind, key)
      );
      CREATE INDEX channel_claims_by_expiry ON channel_claims (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE channel_seen (
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (source, id)
      );
      CREATE INDEX channel_seen_by_expiry ON channel_seen (expires_at);
      CREATE TABLE channel_schedule_ticks (
        schedule TEXT PRIMARY KEY,
        tick INTEGER NOT NULL,                  -- the last fired tick
        fired_at TEXT NOT NULL
      );
      CREATE TABLE channel_webhook_deliveries (
        key INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order
        id TEXT NOT NULL UNIQUE,
        hook TEXT NOT NULL,
        url TEXT NOT NULL,
        type TEXT NOT NULL,
        state TEXT NOT NULL,                    -- 'pending', 'delivered' or 'failed'
        attempts TEXT NOT NULL,                 -- JSON array
        body TEXT,                              -- kept while pending
        next_attempt_at INTEGER,
        created_at TEXT NOT NULL
      );
      CREATE INDEX channel_webhook_deliveries_by_state ON channel_webhook_deliveries (state, key);`,
    after: importLegacySqlite,
  },
  {
    version: 3,
    name: "thread wake times",
    // When a thread's next timer or request deadline falls due (nextWakeAt), written with its status.
    // Threads stored before this version have neither (both came with it): NULL is their true value.
    sql: `
      ALTER TABLE threads ADD COLUMN wake_at INTEGER;  -- milliseconds since the epoch; NULL when nothing is due
      CREATE INDEX threads_by_wake_at ON threads (wake_at, key) WHERE wake_at IS NOT NULL;`,
  },
  {
    version: 4,
    name: "tenant lists",
    // As in Postgres (bench/results/inbox-query.md): a server lists one tenant's threads, by status
    // (the inbox) or not (the threads page), and a creation-time range. The expression must stay
    // exactly the one the store's list filters on, or SQLite cannot use the index.
    sql: `
      CREATE INDEX threads_by_tenant_status ON threads (coalesce(json_extract(metadata, '$.tenant'), 'default'), status, key);
      CREATE INDEX threads_by_tenant ON threads (coalesce(json_extract(metadata, '$.tenant'), 'default'), key);
      CREATE INDEX threads_by_created_at ON threads (created_at);`,
  },
];

const legacyRow = z.object({ key: z.string(), value: z.string(), updated_at: z.string(), expires_at: z.number().nullable() });

/**
 * Moves the rows of @agentfold/channels 0.1's `agentfold_channel_records` table, when the file has
 * one, into the channel tables, and renames it `agentfold_channel_records_imported` (see
 * legacy-channel-records.ts).
 */
function importLegacySqlite(db: DatabaseSync): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agentfold_channel_records'").get();
  if (!exists) return;
  const rows = db.prepare("SELECT key, value, updated_at, expires_at FROM agentfold_channel_records ORDER BY updated_at, key").all();
  const records = rows.map((row) => {
    const parsed = legacyRow.parse(row);
    return { key: parsed.key, value: parsed.value, updatedAt: parsed.updated_at, expiresAt: parsed.expires_at };
  });
  importLegacyChannelRecords(records, (row) => {
    const { sql, values } = insertStatement(
      row,
      (table) => table,
      () => "?",
    );
    db.prepare(sql).run(...values);
  });
  db.exec("ALTER TABLE agentfold_channel_records RENAME TO agentfold_channel_records_imported");
}

/**
 * Opens the file (creating it and its directory), in WAL mode with `synchronous = FULL`.
 *
 * @example
 * const db = openDatabase("./agentfold.db", 5000);
 */
export function openDatabase(path: string, busyTimeoutMs: number, factory = "createSqliteStore"): DatabaseSync {
  if (typeof path !== "string" || path.trim() === "") {
    throw new ConfigurationError(`${factory} needs a file path, e.g. { path: "./agentfold.db" }, or ":memory:".`);
  }
  try {
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    const db = new DatabaseSync(path, { timeout: busyTimeoutMs });
    db.exec("PRAGMA journal_mode = WAL");
    // FULL: in WAL mode, NORMAL may lose the last commits on power loss; an acknowledged append must not be lost.
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
    return db;
  } catch (error) {
    throw new ConfigurationError(
      `Cannot open SQLite database ${JSON.stringify(path)}: ${(error as Error).message}. Check that the path is a writable file (or a new one) and that it is a SQLite database.`,
      { cause: error },
    );
  }
}

/** Runs `work` inside `BEGIN IMMEDIATE` … `COMMIT`, rolling back when it throws. */
function immediate<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Brings the file up to the newest migration, in one write transaction (another process opening the
 * file at once waits, then finds the work done).
 *
 * @example
 * migrateSqlite(openDatabase("./agentfold.db", 5000), "./agentfold.db");
 */
export function migrateSqlite(db: DatabaseSync, path: string): void {
  immediate(db, () => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const row = z
      .object({ version: z.number().nullable() })
      .parse(db.prepare("SELECT max(version) AS version FROM schema_migrations").get());
    const current = row.version ?? 0;
    const newest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]?.version ?? 0;
    if (current > newest) {
      throw new ConfigurationError(
        `SQLite database ${JSON.stringify(path)} has schema version ${current}, but this @agentfold/stores knows up to ${newest}. Upgrade @agentfold/stores to open it.`,
      );
    }
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    for (const migration of SQLITE_MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      migration.after?.(db);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
  });
}
