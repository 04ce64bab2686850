/**
 * The channel tables come from the stores' versioned migrations (one history with the threads, the
 * same durability settings), and a database that still has the key-value table of
 * @agentfold/channels 0.1 has its rows moved into them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { Thread } from "agentfold";
import {
  createPostgresChannelStore,
  createPostgresStore,
  createSqliteChannelStore,
  createSqliteStore,
  POSTGRES_MIGRATIONS,
  SQLITE_MIGRATIONS,
  type ChannelStore,
} from "@agentfold/stores";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-channel-migrations-"));
after(async () => {
  rmSync(directory, { recursive: true, force: true });
  await dropSchemas();
});

const hour = 60 * 60 * 1000;
/** Rows as @agentfold/channels 0.1 wrote them: key, JSON value, expiry (ms from now, or null). */
const legacy: [key: string, value: unknown, expiresInMs: number | null][] = [
  ["origin:thr_a", { channel: "slack", person: "U1", data: { channel: "C1", ts: "1.1" } }, null],
  ["delivery:slack:thr_a:call_1", { state: "sent", record: { channel: "C1", ts: "2.2" } }, null],
  ["delivery:email:thr_a:call:2", { state: "sending" }, hour],
  ["slack-thread:C1:2.2", { threadId: "thr_a", callId: "call_1" }, null],
  ["email-message:<m@x>", { threadId: "thr_a" }, null],
  ["resolved:slack:thr_a:call_1", null, null],
  ["finished:slack:thr_a:9", null, null],
  ["schedule:reporter:0:2026-01-05T09:00:00Z", { cron: "0 9 * * *" }, hour],
  ["slack-event:Ev1", null, hour],
  ["hook-seen:ci:msg_in", null, hour],
  [
    "webhook-delivery:msg_1",
    { hook: "ops", url: "http://127.0.0.1:1/", type: "thread.finished", state: "pending", attempts: [], body: "{}" },
    null,
  ],
  ["webhook-pending:msg_1", null, null],
  ["custom:something", { mine: true }, null],
];

/** Checks that every legacy record above arrived in the typed tables. */
async function assertImported(store: ChannelStore): Promise<void> {
  assert.deepEqual(await store.getOrigin("thr_a"), { channel: "slack", person: "U1", data: { channel: "C1", ts: "1.1" } });
  const sent = await store.getDelivery({ channel: "slack", threadId: "thr_a", callId: "call_1" });
  assert.equal(sent?.state, "sent");
  assert.deepEqual(sent?.record, { channel: "C1", ts: "2.2" });
  assert.equal(
    await store.claimDelivery({ channel: "email", threadId: "thr_a", callId: "call:2" }, { ttlMs: 1000 }),
    false,
    "a live sending claim stays claimed",
  );
  assert.deepEqual(await store.getLink("slack", "C1:2.2"), { channel: "slack", externalId: "C1:2.2", threadId: "thr_a", callId: "call_1" });
  assert.deepEqual(await store.getLink("email", "<m@x>"), { channel: "email", externalId: "<m@x>", threadId: "thr_a" });
  assert.equal(await store.claim({ kind: "resolved", key: "slack:thr_a:call_1" }), false);
  assert.equal(await store.claim({ kind: "finished", key: "slack:thr_a:9" }), false);
  assert.equal(await store.claimTick({ schedule: "reporter:0", tick: "2026-01-05T09:00:00Z" }), false);
  assert.equal(await store.claimTick({ schedule: "reporter:0", tick: "2026-01-06T09:00:00Z" }), true);
  assert.equal(await store.markSeen({ source: "slack-event", id: "Ev1", ttlMs: hour }), false);
  assert.equal(await store.markSeen({ source: "webhook:ci", id: "msg_in", ttlMs: hour }), false);
  assert.deepEqual(
    (await store.listWebhookDeliveries({ state: "pending" })).map((delivery) => [delivery.id, delivery.body]),
    [["msg_1", "{}"]],
  );
}

describe("channel tables in SQLite", () => {
  it("are created by the file's migrations, with the thread store's settings", async () => {
    const path = join(directory, "shared.db");
    const threads = createSqliteStore({ path });
    const channels = createSqliteChannelStore({ path });
    await threads.create(Thread.start("hello", { agent: "calculator" }));
    await channels.saveOrigin("thr_x", { channel: "webhook", person: "ci", data: {} });
    await Promise.all([threads.close(), channels.close()]);
    const db = new DatabaseSync(path);
    try {
      const versions = db
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .all()
        .map((row) => row.version);
      assert.deepEqual(
        versions,
        SQLITE_MIGRATIONS.map((migration) => migration.version),
      );
      assert.ok(versions.includes(2));
      assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    } finally {
      db.close();
    }
  });

  it("moves the rows of the old key-value table into them, and keeps the old table renamed", async () => {
    const path = join(directory, "legacy.db");
    const db = new DatabaseSync(path);
    db.exec(
      `CREATE TABLE agentfold_channel_records (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL, expires_at INTEGER)`,
    );
    const insert = db.prepare("INSERT INTO agentfold_channel_records VALUES (?, ?, ?, ?)");
    for (const [key, value, expires] of legacy)
      insert.run(key, JSON.stringify(value), new Date().toISOString(), expires === null ? null : Date.now() + expires);
    db.close();
    const store = createSqliteChannelStore({ path });
    try {
      await assertImported(store);
    } finally {
      await store.close();
    }
    const check = new DatabaseSync(path);
    try {
      const tables = check
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'agentfold_channel_records%'")
        .all()
        .map((row) => row.name);
      assert.deepEqual(tables, ["agentfold_channel_records_imported"]);
      assert.equal(check.prepare("SELECT count(*) AS n FROM agentfold_channel_records_imported").get()?.n, legacy.length);
    } finally {
      check.close();
    }
  });
});

describe("channel tables in Postgres", () => {
  it("are created by the schema's migrations, once, however many stores start at once", async () => {
    const schema = freshSchema();
    const stores = await Promise.all([
      createPostgresStore({ connectionString: postgresUrl, schema }),
      createPostgresChannelStore({ connectionString: postgresUrl, schema }),
      createPostgresChannelStore({ connectionString: postgresUrl, schema }),
    ]);
    await Promise.all(stores.map((store) => store.close()));
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
      assert.deepEqual(
        rows.map((row) => row.version),
        POSTGRES_MIGRATIONS.map((migration) => migration.version),
      );
    } finally {
      await client.end();
    }
  });

  it("moves the rows of the old key-value table into them, and keeps the old table renamed", async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      // The table as createPostgresChannelStore of @agentfold/channels 0.1 made it.
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(`CREATE TABLE "${schema}".agentfold_channel_records (
        key TEXT PRIMARY KEY, value JSONB NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), expires_at TIMESTAMPTZ)`);
      for (const [key, value, expires] of legacy) {
        await client.query(
          `INSERT INTO "${schema}".agentfold_channel_records (key, value, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')`,
          [key, JSON.stringify(value), expires],
        );
      }
      const store = await createPostgresChannelStore({ connectionString: postgresUrl, schema });
      try {
        await assertImported(store);
      } finally {
        await store.close();
      }
      const { rows } = await client.query(
        `SELECT to_regclass($1) AS old, (SELECT count(*) FROM "${schema}".agentfold_channel_records_imported)::int AS kept`,
        [`"${schema}".agentfold_channel_records`],
      );
      assert.deepEqual(rows[0], { old: null, kept: legacy.length });
    } finally {
      await client.end();
    }
  });
});
