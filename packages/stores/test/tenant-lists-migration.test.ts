/**
 * Migration 4 (tenant lists) on databases written before it: the threads stored then list by tenant,
 * status and creation time as before, and on Postgres the store's own list statements use the new
 * indexes — which holds only while each index's expression is the one the store filters on.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import type { ThreadListQuery, ThreadStore } from "agentfold";
import { createPostgresStore, createSqliteStore, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, type PostgresPool } from "../src/index.ts";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-tenant-migration-"));
after(async () => {
  rmSync(directory, { recursive: true, force: true });
  await dropSchemas();
});

/** Threads stored before the migration: [id, tenant metadata, status, created at]. */
const OLD_THREADS: [string, string | null, string, string][] = [
  ["thr_a1", '{"tenant":"acme"}', "awaiting_approval", "2026-11-01T10:00:00.000Z"],
  ["thr_d1", null, "awaiting_approval", "2026-11-01T11:00:00.000Z"],
  ["thr_a2", '{"tenant":"acme","note":"x"}', "done", "2026-11-02T10:00:00.000Z"],
  ["thr_a3", '{"tenant":"acme"}', "awaiting_approval", "2026-11-03T10:00:00.000Z"],
  ["thr_g1", '{"tenant":"globex"}', "awaiting_approval", "2026-11-03T11:00:00.000Z"],
];

const ids = async (store: ThreadStore, query: ThreadListQuery) => (await store.list(query)).threads.map((summary) => summary.id);

async function checkMigrated(store: ThreadStore): Promise<void> {
  assert.deepEqual(await ids(store, { status: "awaiting_approval", tenant: "acme" }), ["thr_a3", "thr_a1"]);
  assert.deepEqual(await ids(store, { status: "awaiting_approval", tenant: "default" }), ["thr_d1"]);
  assert.deepEqual(await ids(store, { tenant: "acme" }), ["thr_a3", "thr_a2", "thr_a1"]);
  assert.deepEqual(
    await ids(store, {
      tenant: "acme",
      createdFrom: new Date("2026-11-02T00:00:00.000Z"),
      createdBefore: new Date("2026-11-03T00:00:00.000Z"),
    }),
    ["thr_a2"],
  );
  const first = await store.list({ status: "awaiting_approval", tenant: "acme", limit: 1 });
  assert.deepEqual(await ids(store, { status: "awaiting_approval", tenant: "acme", cursor: first.nextCursor! }), ["thr_a1"]);
}

describe("migration 4, tenant lists", () => {
  it("SQLite: a file at version 3 is migrated, gains the indexes, and lists its threads by tenant as before", async () => {
    const path = join(directory, "v3.db");
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    for (const migration of SQLITE_MIGRATIONS.filter((candidate) => candidate.version <= 3)) {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(migration.version, migration.name, "2026-11-01");
    }
    const insert = db.prepare(
      "INSERT INTO threads (id, agent, metadata, schema_version, status, version, created_at, updated_at) VALUES (?, 'bot', ?, 2, ?, 0, ?, ?)",
    );
    for (const [id, metadata, status, created] of OLD_THREADS) insert.run(id, metadata, status, created, created);
    db.close();
    const store = createSqliteStore({ path });
    try {
      await checkMigrated(store);
    } finally {
      await store.close();
    }
    const reopened = new DatabaseSync(path);
    try {
      const indexes = reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'threads' ORDER BY name").all();
      const names = indexes.map((row) => row.name);
      for (const name of ["threads_by_created_at", "threads_by_tenant", "threads_by_tenant_status"]) assert.ok(names.includes(name), name);
      assert.equal(reopened.prepare("SELECT max(version) AS version FROM schema_migrations").get()?.version, 4);
    } finally {
      reopened.close();
    }
  });

  it("Postgres: a schema at version 3 is migrated, lists by tenant as before, and the store's list statements use the indexes", async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
    try {
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(
        `CREATE TABLE "${schema}".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const migration of POSTGRES_MIGRATIONS.filter((candidate) => candidate.version <= 3)) {
        await client.query(migration.sql(`"${schema}"`));
        await client.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      for (const [id, metadata, status, created] of OLD_THREADS) {
        await client.query(
          `INSERT INTO "${schema}".threads (id, agent, metadata, schema_version, status, version, created_at, updated_at) VALUES ($1, 'bot', $2, 2, $3, 0, $4, $4)`,
          [id, metadata, status, created],
        );
      }
      // Enough threads of another tenant that an index is worth using, then statistics for the planner.
      await client.query(
        `INSERT INTO "${schema}".threads (id, agent, metadata, schema_version, status, version, created_at, updated_at)
         SELECT 'thr_bulk_' || i, 'bot', '{"tenant":"initech"}', 2, 'done', 0, timestamptz '2026-10-01' + i * interval '1 minute', now()
         FROM generate_series(1, 3000) AS i`,
      );
      await client.query(`ANALYZE "${schema}".threads`);

      // The store sends its statements through this pool, so their plans can be read.
      let last: { text: string; values: unknown[] } | undefined;
      const recording: PostgresPool = {
        query: (text, values) => {
          last = { text, values: values ?? [] };
          return pool.query(text, values) as never;
        },
        connect: () => pool.connect() as never,
        end: async () => {},
      };
      const store = await createPostgresStore({ pool: recording, schema });
      try {
        await checkMigrated(store);
        const planOf = async (query: ThreadListQuery) => {
          await store.list(query);
          const explain = await pool.connect();
          try {
            await explain.query("BEGIN");
            // Only rules out reading the whole table; which index serves the query is the planner's choice.
            await explain.query("SET LOCAL enable_seqscan = off");
            const { rows } = await explain.query(`EXPLAIN ${last!.text}`, last!.values);
            await explain.query("COMMIT");
            return rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
          } finally {
            explain.release();
          }
        };
        assert.match(await planOf({ status: "awaiting_approval", tenant: "acme", limit: 200 }), /threads_by_tenant_status/);
        assert.match(await planOf({ tenant: "acme" }), /threads_by_tenant\b/);
        assert.match(
          await planOf({ createdFrom: new Date("2026-11-02T00:00:00.000Z"), createdBefore: new Date("2026-11-03T00:00:00.000Z") }),
          /threads_by_created_at/,
        );
      } finally {
        await store.close();
      }
      const { rows } = await client.query(`SELECT max(version) AS version FROM "${schema}".schema_migrations`);
      assert.equal(rows[0].version, 4);
    } finally {
      await pool.end();
      await client.end();
    }
  });
});
