/**
 * A server in its own process over the agents of own-flow-agents.ts. Configured by environment:
 * TEST_DB (SQLite path or Postgres URL), TEST_SCHEMA (Postgres schema), TEST_SCRIPTS (the directory
 * of the agents' scripts, and of `server.json`, the server's own model), TEST_LAUNCH_MODELS
 * (comma-separated specs a launch may name). Prints one JSON line `{ "url": ... }` once it listens.
 */
import { join } from "node:path";
import { createStore } from "@agentfold/stores";
import { startServer } from "../../src/index.ts";
import { createOwnFlowAgents } from "./own-flow-agents.ts";

const dir = process.env.TEST_SCRIPTS!;
const store = await createStore(process.env.TEST_DB!, process.env.TEST_SCHEMA ? { schema: process.env.TEST_SCHEMA } : {});
const server = await startServer({
  store,
  agents: createOwnFlowAgents(dir),
  model: `script:${join(dir, "server.json")}`,
  launchModels: (process.env.TEST_LAUNCH_MODELS ?? "").split(",").filter(Boolean),
  port: 0,
  apiKeys: false,
  onError: (error, threadId) => console.error(`runner error on ${threadId}:`, error),
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void server
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
