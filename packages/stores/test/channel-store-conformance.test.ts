/** The channel store contract for memory, SQLite (a file, as in production) and Postgres (which must be reachable). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryChannelStore, createPostgresChannelStore, createSqliteChannelStore } from "@agentfold/stores";
import { runChannelStoreConformance } from "@agentfold/stores/testing";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-channel-store-"));
let count = 0;

runChannelStoreConformance({ name: "memory", newStore: () => createMemoryChannelStore() });
runChannelStoreConformance({
  name: "sqlite",
  newStore: () => createSqliteChannelStore({ path: join(directory, `channels-${count++}.db`) }),
  cleanup: () => rmSync(directory, { recursive: true, force: true }),
});
runChannelStoreConformance({
  name: "postgres",
  newStore: () => createPostgresChannelStore({ connectionString: postgresUrl, schema: freshSchema() }),
  cleanup: dropSchemas,
});
