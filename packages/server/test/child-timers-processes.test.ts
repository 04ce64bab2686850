/**
 * A child agent whose tool sleeps, across real server processes (only the parent's agent is
 * registered): a server killed with SIGKILL while the child's timer is pending, and a new one on the
 * same SQLite file, wakes the child once and the parent finishes by itself; two servers on one
 * Postgres, both sweeping, wake it exactly once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { get, post, urlFetcher } from "./support/http.ts";

const script = new URL("./support/child-timer-server-process.ts", import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), "agentfold-child-timers-"));
const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_child_timers_${process.pid}_${Date.now().toString(36)}`;
const servers: ChildServer[] = [];

after(async () => {
  for (const server of servers) await server.stop("SIGKILL");
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  rmSync(directory, { recursive: true, force: true });
});

type Event = { type: string; at: string; result?: unknown };

/** Launches the parent; it waits with its napping child. */
async function launch(url: string): Promise<{ id: string; childId: string; until: string }> {
  const fetch = urlFetcher(url);
  const launched = await post(fetch, "/v1/threads", { agent: "releaser", message: "release v1" });
  assert.equal(launched.status, 200, JSON.stringify(launched.body));
  assert.equal(launched.body.status, "waiting");
  const childId = launched.body.pending[0].childThreadId as string;
  const child = await get(fetch, `/v1/threads/${childId}`);
  assert.equal(child.body.status, "waiting");
  return { id: launched.body.id, childId, until: child.body.waiting.until };
}

/** Polls until the parent is done (its child woke and finished), or fails after 30 s. */
async function parentDone(url: string, id: string): Promise<{ events: Event[] }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const thread = await get(urlFetcher(url), `/v1/threads/${id}`);
    if (thread.body.status === "done") return thread.body;
    if (Date.now() > deadline) throw new Error(`The parent did not finish: ${JSON.stringify(thread.body.status)}.`);
    await sleep(50);
  }
}

async function assertWokeOnce(url: string, family: { id: string; childId: string; until: string }): Promise<void> {
  const parent = await parentDone(url, family.id);
  assert.equal(parent.events.find((event) => event.type === "tool_result")?.result, "rested, the deploy is healthy");
  const child = await get(urlFetcher(url), `/v1/threads/${family.childId}`);
  const events = child.body.events as Event[];
  const fired = events.filter((event) => event.type === "timer_fired");
  assert.equal(fired.length, 1, JSON.stringify(events.map((event) => event.type)));
  assert.ok(Date.parse(fired[0]!.at) >= Date.parse(family.until), "never before its time");
  assert.deepEqual(
    events.map((event) => event.type),
    ["user_input", "model_decision", "tool_started", "timer_set", "timer_fired", "tool_result", "model_decision", "done"],
  );
}

describe("a child agent's timer across server processes", () => {
  it("a server killed with SIGKILL while the child's timer is pending; a new one wakes it once and the parent finishes", async () => {
    const env = { TEST_DB: join(directory, "restart.db"), TEST_LEASE_TTL_MS: "1000", TEST_NAP_MS: "3000" };
    const first = await startChildServer(env, script);
    servers.push(first);
    const family = await launch(first.url);
    await first.stop("SIGKILL");
    const second = await startChildServer(env, script);
    servers.push(second);
    await assertWokeOnce(second.url, family);
  });

  it("two server processes on one Postgres, both sweeping, wake the child exactly once", async () => {
    const env = { TEST_DB: postgresUrl, TEST_SCHEMA: schema, TEST_LEASE_TTL_MS: "1000", TEST_NAP_MS: "2500" };
    const first = await startChildServer(env, script);
    const second = await startChildServer(env, script);
    servers.push(first, second);
    const families = await Promise.all([launch(first.url), launch(second.url)]);
    await assertWokeOnce(second.url, families[0]!);
    await assertWokeOnce(first.url, families[1]!);
  });
});
