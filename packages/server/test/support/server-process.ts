/**
 * A server in its own process, for tests that kill it or run two at once. Configured by environment:
 * TEST_DB (SQLite path or Postgres URL), TEST_SCHEMA (Postgres schema), TEST_RUN_LOG (tool runs),
 * TEST_WORK_MS (how long the worker's tool takes), TEST_LEASE_TTL_MS (default: the server's), TEST_API_KEYS (as
 * AGENTFOLD_API_KEYS; default none), TEST_MAX_STREAMS_PER_KEY, TEST_MAX_STREAMS and TEST_FAMILY (a parent
 * and child agent). Prints one JSON line
 * `{ "url": ... }` once it listens.
 */
import { createPostgresStore, createSqliteStore } from "@agentfold/stores";
import { startServer } from "../../src/index.ts";
import { createFamilyAgents, createForeman, createTestAgents, createTestModel } from "./test-agent.ts";

const db = process.env.TEST_DB!;
const store = db.startsWith("postgres")
  ? await createPostgresStore({ connectionString: db, ...(process.env.TEST_SCHEMA ? { schema: process.env.TEST_SCHEMA } : {}) })
  : createSqliteStore({ path: db });
const agents = createTestAgents({
  ...(process.env.TEST_RUN_LOG ? { runLog: process.env.TEST_RUN_LOG } : {}),
  workMs: Number(process.env.TEST_WORK_MS ?? 0),
});
const server = await startServer({
  store,
  // TEST_FAMILY=1 adds a parent agent whose child is reached only through it (not registered), and
  // `foreman`, whose child is the (registered) worker.
  agents: [
    agents.calculator,
    agents.worker,
    ...(process.env.TEST_FAMILY
      ? [createFamilyAgents(process.env.TEST_RUN_LOG ? { runLog: process.env.TEST_RUN_LOG } : {}).support, createForeman(agents.worker)]
      : []),
  ],
  model: createTestModel(),
  port: 0,
  apiKeys: process.env.TEST_API_KEYS ?? false,
  ...(process.env.TEST_MAX_STREAMS_PER_KEY ? { maxStreamsPerKey: Number(process.env.TEST_MAX_STREAMS_PER_KEY) } : {}),
  ...(process.env.TEST_MAX_STREAMS ? { maxStreams: Number(process.env.TEST_MAX_STREAMS) } : {}),
  // Without TEST_LEASE_TTL_MS, the server's default lease and sweep.
  ...(process.env.TEST_LEASE_TTL_MS ? { leaseTtlMs: Number(process.env.TEST_LEASE_TTL_MS) } : {}),
  onError: (error, threadId) => console.error(`runner error on ${threadId}:`, error),
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void server
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
