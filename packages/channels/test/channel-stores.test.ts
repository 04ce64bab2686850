/** The channel store contract for memory, SQLite and Postgres (which must be reachable). */
import { after } from "node:test";
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
