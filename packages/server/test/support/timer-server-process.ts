/**
 * A server of the timer agents in its own process, for tests that kill it or run two at once.
 * Environment: TEST_DB (SQLite path or Postgres URL), TEST_SCHEMA (Postgres schema), TEST_NAP_MS,
 * TEST_DEADLINE_MS, TEST_LEASE_TTL_MS (also the sweep interval). Prints `{ "url": ... }` once it listens.
 */
import { createPostgresStore, createSqliteStore } from "@agentfold/stores";
import { startServer } from "../../src/index.ts";
import { createTimerAgents, createTimerModel } from "./timer-agents.ts";

const db = process.env.TEST_DB!;
const store = db.startsWith("postgres")
  ? await createPostgresStore({ connectionString: db, ...(process.env.TEST_SCHEMA ? { schema: process.env.TEST_SCHEMA } : {}) })
  : createSqliteStore({ path: db });
const agents = createTimerAgents({
  napMs: Number(process.env.TEST_NAP_MS ?? 1000),
  deadlineMs: Number(process.env.TEST_DEADLINE_MS ?? 60_000),
});
const server = await startServer({
  store,
  agents: [agents.napper, agents.deployer],
  model: createTimerModel(),
  port: 0,
  apiKeys: false,
  leaseTtlMs: Number(process.env.TEST_LEASE_TTL_MS ?? 30_000),
  onError: (error, threadId) => console.error(`runner error on ${threadId}:`, error),
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void server
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
