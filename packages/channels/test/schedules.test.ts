/** A per-second cron in two server processes sharing one Postgres: each tick launches exactly one thread. */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import pg from "pg";
import { createPostgresStore } from "@agentfold/stores";
import { sleep } from "./support/test-agents.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_channels_${process.pid}_${Date.now().toString(36)}`;
const script = fileURLToPath(new URL("./support/schedule-process.ts", import.meta.url));
const children: ChildProcess[] = [];

function startProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, TEST_POSTGRES_URL: postgresUrl, TEST_SCHEMA: schema }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The server process did not start in 20 s:\n${stderr}`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes('"url"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => reject(new Error(`The server process exited with ${code}:\n${stderr}`)));
  });
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

after(async () => {
  await Promise.all(children.map((child) => stop(child)));
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** The `tick` of every thread the schedule launched, once per thread. */
async function launchedTicks(store: Awaited<ReturnType<typeof createPostgresStore>>): Promise<string[]> {
  const summaries = (await store.list({ agent: "reporter", limit: 200 })).threads;
  const ticks: string[] = [];
  for (const summary of summaries) {
    const thread = (await store.load(summary.id))!;
    assert.equal(thread.events[0]?.type === "user_input" && thread.events[0].source, "cron");
    ticks.push(String(thread.metadata.tick));
  }
  return ticks;
}

describe("schedules", () => {
  it("two server processes on one Postgres launch each tick once", async () => {
    // Prepare the schema once, so the two processes do not race to create it.
    const setup = await createPostgresStore({ connectionString: postgresUrl, schema });
    await setup.close();
    await Promise.all([startProcess(), startProcess()]);
    const store = await createPostgresStore({ connectionString: postgresUrl, schema });
    try {
      // Both processes run through at least two ticks (a tick a second): until then, or 10 s.
      const deadline = Date.now() + 10_000;
      while (new Set(await launchedTicks(store)).size < 2 && Date.now() < deadline) await sleep(100);
      await Promise.all(children.map((child) => stop(child)));

      const ticks = new Map<string, number>();
      for (const tick of await launchedTicks(store)) ticks.set(tick, (ticks.get(tick) ?? 0) + 1);
      assert.ok(ticks.size >= 2, `expected at least 2 ticks in 10 s, saw ${ticks.size}`);
      for (const [tick, count] of ticks) assert.equal(count, 1, `tick ${tick} launched ${count} threads`);
    } finally {
      await store.close();
    }
  });
});
