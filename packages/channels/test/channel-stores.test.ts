/** The channel store contract for memory, SQLite and Postgres (which must be reachable). */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { createMemoryChannelStore, createPostgresChannelStore, createSqliteChannelStore } from "../src/index.ts";
import { runChannelStoreConformance } from "../src/testing/index.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schemas: string[] = [];

runChannelStoreConformance({ name: "memory", newStore: async () => createMemoryChannelStore() });
runChannelStoreConformance({ name: "sqlite", newStore: async () => createSqliteChannelStore({ path: ":memory:" }) });
runChannelStoreConformance({
  name: "postgres",
  newStore: async () => {
    const schema = `agentfold_channel_store_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
    schemas.push(schema);
    return createPostgresChannelStore({ connectionString: postgresUrl, schema });
  },
});

after(async () => {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describe("Postgres channel store setup", () => {
  it("releases its advisory lock when the DDL fails, so other processes can still start", async () => {
    const schema = `agentfold_channel_store_${process.pid}_${Date.now().toString(36)}_lock`;
    schemas.push(schema);
    // One pooled connection whose CREATE TABLE fails (a full disk, a missing privilege…); the pool is
    // the caller's, so it stays open and its connection goes back to it.
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    pool.on("connect", (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (text: unknown, ...rest: unknown[]) =>
        typeof text === "string" && text.includes("CREATE TABLE") ? Promise.reject(new Error("no space left on device")) : query(text, ...rest);
    });
    try {
      await assert.rejects(createPostgresChannelStore({ pool, schema }), /no space left on device/);
      const other = new pg.Client({ connectionString: postgresUrl });
      await other.connect();
      try {
        const { rows } = await other.query("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [`${schema}.channel_records`]);
        assert.equal(rows[0].locked, true, "another session can take the lock");
        await other.query("SELECT pg_advisory_unlock(hashtext($1))", [`${schema}.channel_records`]);
      } finally {
        await other.end();
      }
    } finally {
      await pool.end();
    }
  });
});
