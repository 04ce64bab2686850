import { runThreadStoreConformance } from "agentfold/testing";
import { createPostgresStore } from "@agentfold/stores";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";

runThreadStoreConformance({
  name: "postgres",
  newStore: () => createPostgresStore({ connectionString: postgresUrl, schema: freshSchema() }),
  cleanup: dropSchemas,
});
