/**
 * One campaign server process. Environment: CHAOS_DB (SQLite path or Postgres URL), CHAOS_SCHEMA
 * (Postgres schema; the work queue's is `<schema>_q`), CHAOS_LEDGER (the witness ledger's path), CHAOS_LEASE_TTL_MS, CHAOS_WORK_MS (the
 * most fetch_page takes), and AGENTFOLD_FAULT as the product reads it. Prints one JSON line
 * `{ "url": ... }` once it listens.
 */
import { createPostgresStore, createPostgresWorkQueue, createSqliteStore } from "@agentfold/stores";
import { startServer } from "@agentfold/server";
import { createChaosAgent, createPlanModel } from "./agent.ts";
import { openLedger } from "./ledger.ts";

const db = process.env.CHAOS_DB!;
const store = db.startsWith("postgres")
  ? await createPostgresStore({ connectionString: db, ...(process.env.CHAOS_SCHEMA ? { schema: process.env.CHAOS_SCHEMA } : {}) })
  : createSqliteStore({ path: db });
// On Postgres the processes share a work queue, as `serve` does: hand-overs at a stop go through it
// (through the same cut-able connection as the store).
const workQueue = db.startsWith("postgres")
  ? await createPostgresWorkQueue({
      connectionString: db,
      schema: `${process.env.CHAOS_SCHEMA ?? "agentfold"}_q`,
      onError: (error) => console.error(`work queue error: ${(error as Error)?.message ?? error}`),
    })
  : undefined;
const ledger = openLedger(process.env.CHAOS_LEDGER!);
const maxWorkMs = Number(process.env.CHAOS_WORK_MS ?? 200);
const server = await startServer({
  store,
  agents: [createChaosAgent(ledger, () => Math.floor(Math.random() * maxWorkMs))],
  model: createPlanModel(),
  port: 0,
  apiKeys: false,
  leaseTtlMs: Number(process.env.CHAOS_LEASE_TTL_MS ?? 1000),
  ...(workQueue ? { workQueue } : {}),
  // Errors are expected under the campaign (a cut database, a lost lease); stderr keeps them for a failure's report.
  onError: (error, threadId) => console.error(`runner error on ${threadId}: ${(error as Error)?.message ?? error}`),
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void server
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
