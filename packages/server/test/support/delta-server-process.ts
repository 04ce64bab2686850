/**
 * A server in its own process whose models stream, gated by files, for tests of model pieces across
 * processes. TEST_DB is a Postgres URL, TEST_SCHEMA its schema, TEST_GATE_DIR the gates' folder.
 *
 * `desk` calls its child agent `checker` (as a tool), then says it is done; both models write their
 * reply in pieces of 10 characters once `<threadId>-<turn>.go` exists in TEST_GATE_DIR, and return
 * it once `<threadId>-<turn>.release` does. Prints one JSON line `{ "url": ... }` once it listens.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defineAgent, doneForNow, type Model, type ModelReply, type ModelRequest } from "agentfold";
import { createPostgresStore } from "@agentfold/stores";
import { startServer } from "../../src/index.ts";
import { checkerReplies, deskReplies } from "./delta-replies.ts";

const gates = process.env.TEST_GATE_DIR!;

/** Resolves once the gate file exists: the test opens it when it is ready for what follows. */
async function gate(name: string, signal: AbortSignal | undefined): Promise<void> {
  while (!existsSync(join(gates, name))) {
    signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function gatedModel(id: string, replies: readonly string[]): Model {
  return {
    specificationVersion: "v1",
    id,
    defaultMode: "prompt",
    async generate(request: ModelRequest): Promise<ModelReply> {
      const reply = replies[request.turn];
      if (reply === undefined) throw new Error(`${id} has no reply for turn ${request.turn}`);
      await gate(`${request.threadId}-${request.turn}.go`, request.signal);
      for (let start = 0; start < reply.length; start += 10)
        request.onDelta?.({ type: "text", attempt: 1, text: reply.slice(start, start + 10) });
      await gate(`${request.threadId}-${request.turn}.release`, request.signal);
      return { output: reply, finishReason: "stop" };
    },
  };
}

const db = process.env.TEST_DB!;
const store = await createPostgresStore({ connectionString: db, schema: process.env.TEST_SCHEMA! });
const checker = defineAgent({ name: "checker", description: "runs the checks", tools: [doneForNow()] });
const desk = defineAgent({
  name: "desk",
  tools: [checker.asTool({ model: gatedModel("test:checker", checkerReplies) }), doneForNow()],
});
const server = await startServer({
  store,
  agents: [desk],
  model: gatedModel("test:desk", deskReplies),
  port: 0,
  apiKeys: false,
  // The store is made here (for its schema): the relay is asked for by its URL.
  deltaRelay: db,
  onError: (error, threadId) => console.error(`runner error on ${threadId}:`, error),
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void server
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
