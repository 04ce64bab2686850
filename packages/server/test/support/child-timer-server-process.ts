/**
 * A server whose only agent, `releaser`, calls the timer agents' `napper` as a child agent (its nap
 * is a durable timer), in its own process, for tests that kill it or run two at once. Environment:
 * TEST_DB (SQLite path or Postgres URL), TEST_SCHEMA (Postgres schema), TEST_NAP_MS,
 * TEST_LEASE_TTL_MS (also the sweep interval). Prints `{ "url": ... }` once it listens.
 */
import { defineAgent, doneForNow, type ModelRequest } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { createPostgresStore, createSqliteStore } from "@agentfold/stores";
import { startServer } from "../../src/index.ts";
import { createTimerAgents } from "./timer-agents.ts";

const db = process.env.TEST_DB!;
const store = db.startsWith("postgres")
  ? await createPostgresStore({ connectionString: db, ...(process.env.TEST_SCHEMA ? { schema: process.env.TEST_SCHEMA } : {}) })
  : createSqliteStore({ path: db });
const { napper } = createTimerAgents({ napMs: Number(process.env.TEST_NAP_MS ?? 1000), deadlineMs: 60_000 });
// Only the parent is registered: the sweep finds the napping child through it.
const releaser = defineAgent({ name: "releaser", tools: [napper.asTool({}), doneForNow()] });
const isChild = (request: ModelRequest) => request.intents.some((intent) => intent.intent === "nap");
const model = new ScriptedModel([
  (request: ModelRequest) => (isChild(request) ? { intent: "nap" } : { intent: "napper", message: "deploy, then check health" }),
  (request: ModelRequest) => ({ intent: "done_for_now", message: isChild(request) ? "rested, the deploy is healthy" : "released" }),
]);
const server = await startServer({
  store,
  agents: [releaser],
  model,
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
