/**
 * Migration 3 (thread wake times) on databases written before it: the threads stored then load and
 * list as before, nothing is due, and a thread that starts waiting afterwards is found by listDue.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import type { ThreadStore } from "agentfold";
import { createPostgresStore, createSqliteStore, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from "../src/index.ts";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-wake-migration-"));
after(async () => {
  rmSync(directory, { recursive: true, force: true });
  await dropSchemas();
});

const event = JSON.stringify({ type: "user_input", text: "an old thread", at: "2026-11-01T00:00:00.000Z" });

async function checkMigrated(store: ThreadStore): Promise<void> {
  const old = await store.load("thr_old");
  assert.equal(old?.status, "running");
  assert.deepEqual(
    (await store.list()).threads.map((summary) => [summary.id, summary.wakeAt]),
    [["thr_old", undefined]],
  );
  assert.deepEqual(await store.listDue({ by: new Date("2100-01-01T00:00:00.000Z") }), []);
  const waiting = old!.append([{ type: "timer_set", timerId: "t1", until: "2026-12-01T09:10:00.000Z" }]);
  await store.append(waiting, { expectedVersion: old!.version });
  const due = await store.listDue({ by: new Date("2026-12-01T09:10:00.000Z") });
  assert.deepEqual(
    due.map((summary) => [summary.id, summary.status, summary.wakeAt]),
    [["thr_old", "waiting", "2026-12-01T09:10:00.000Z"]],
  );
}

describe("migration 3, thread wake times", () => {
  it("SQLite: a file at version 2 is migrated; its threads load, nothing is due, new waits are found", async () => {
    const path = join(directory, "v2.db");
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    for (const migration of SQLITE_MIGRATIONS.filter((candidate) => candidate.version <= 2)) {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(migration.version, migration.name, "2026-11-01");
    }
    db.prepare(
      "INSERT INTO threads (id, agent, schema_version, status, version, created_at, updated_at) VALUES ('thr_old', 'bot', 1, 'running', 1, '2026-11-01', '2026-11-01')",
    ).run();
    db.prepare("INSERT INTO events (thread_key, seq, schema_version, body) VALUES (1, 0, 1, ?)").run(event);
    db.close();
    const store = createSqliteStore({ path });
    try {
      await checkMigrated(store);
    } finally {
      await store.close();
    }
  });

  it("Postgres: a schema at version 2 is migrated; its threads load, nothing is due, new waits are found", async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(
        `CREATE TABLE "${schema}".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const migration of POSTGRES_MIGRATIONS.filter((candidate) => candidate.version <= 2)) {
        await client.query(migration.sql(`"${schema}"`));
        await client.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      await client.query(
        `INSERT INTO "${schema}".threads (id, agent, schema_version, status, version, created_at, updated_at) VALUES ('thr_old', 'bot', 1, 'running', 1, now(), now())`,
      );
      await client.query(`INSERT INTO "${schema}".events (thread_key, seq, schema_version, body) VALUES (1, 0, 1, $1)`, [event]);
    } finally {
      await client.end();
    }
    const store = await createPostgresStore({ connectionString: postgresUrl, schema });
    try {
      await checkMigrated(store);
    } finally {
      await store.close();
    }
  });
});
