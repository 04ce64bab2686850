/**
 * A server process with a per-second schedule, on the Postgres database and schema given by
 * TEST_POSTGRES_URL and TEST_SCHEMA. Prints `{ "url" }` once it listens.
 */
import { defineAgent, doneForNow } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { createPostgresStore } from "@agentfold/stores";
import { startServer } from "@agentfold/server";
import { createChannels, createPostgresChannelStore } from "../../src/index.ts";

const connectionString = process.env.TEST_POSTGRES_URL!;
const schema = process.env.TEST_SCHEMA!;
const reporter = defineAgent({ name: "reporter", tools: [doneForNow()] });
const store = await createPostgresStore({ connectionString, schema });
const channelStore = await createPostgresChannelStore({ connectionString, schema });
const channels = createChannels({ store: channelStore, schedules: [{ agent: "reporter", cron: "* * * * * *", message: "tick" }], sweepIntervalMs: 0 });
const server = await startServer({
  store,
  agents: [reporter],
  model: new ScriptedModel([{ intent: "done_for_now", message: "reported" }]),
  port: 0,
  apiKeys: false,
  extensions: [channels],
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on("SIGTERM", () => {
  void server
    .close()
    .then(() => Promise.all([store.close(), channelStore.close()]))
    .then(() => process.exit(0));
});
