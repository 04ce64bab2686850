/**
 * Durable timers across real server processes: a server killed with SIGKILL while a timer is pending,
 * and a new one started on the same SQLite file, fires it once; two servers on one Postgres, both
 * sweeping, fire it exactly once.
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

const script = new URL("./support/timer-server-process.ts", import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), "agentfold-timers-"));
const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_timers_${process.pid}_${Date.now().toString(36)}`;
const children: ChildServer[] = [];

after(async () => {
  for (const child of children) await child.stop("SIGKILL");
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  rmSync(directory, { recursive: true, force: true });
});

/** Polls until `check` returns a value (what it waits for happened), or fails after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(50);
  }
}

type Event = { type: string; at: string; timerId?: string; callId?: string };

function assertFiredOnce(events: Event[], until: string): void {
  const fired = events.filter((event) => event.type === "timer_fired");
  assert.equal(fired.length, 1, `one timer_fired: ${JSON.stringify(events.map((event) => event.type))}`);
  assert.ok(Date.parse(fired[0]!.at) >= Date.parse(until), "it fired at or after its time");
  assert.equal(events.filter((event) => event.type === "tool_result" && event.callId === fired[0]!.timerId).length, 1);
  assert.deepEqual(
    events.map((event) => event.type),
    ["user_input", "model_decision", "tool_started", "timer_set", "timer_fired", "tool_result", "model_decision", "done"],
  );
}

async function launchNap(url: string) {
  const launched = await post(urlFetcher(url), "/v1/threads", { agent: "napper", message: "deploy, then check health" });
  assert.equal(launched.status, 200, JSON.stringify(launched.body));
  assert.equal(launched.body.status, "waiting");
  return { id: launched.body.id as string, until: launched.body.waiting.until as string, events: launched.body.events as Event[] };
}

async function doneOn(url: string, id: string): Promise<{ events: Event[] }> {
  return waitFor("the timer to fire and the thread to finish", async () => {
    const thread = await get(urlFetcher(url), `/v1/threads/${id}`);
    return thread.body.status === "done" ? thread.body : undefined;
  });
}

describe("durable timers across server processes", () => {
  it("a server killed with SIGKILL while a timer is pending; a new one fires it once", async () => {
    const env = { TEST_DB: join(directory, "restart.db"), TEST_LEASE_TTL_MS: "1000", TEST_NAP_MS: "4000" };
    const first = await startChildServer(env, script);
    children.push(first);
    const { id, until, events: before } = await launchNap(first.url);
    await first.stop("SIGKILL");

    const second = await startChildServer(env, script);
    children.push(second);
    const done = await doneOn(second.url, id);
    assert.deepEqual(done.events.slice(0, before.length), before, "what was stored before the kill is kept");
    assertFiredOnce(done.events, until);
  });

  it("two server processes on one Postgres, both sweeping, fire it exactly once", async () => {
    const env = { TEST_DB: postgresUrl, TEST_SCHEMA: schema, TEST_LEASE_TTL_MS: "1000", TEST_NAP_MS: "2500" };
    const first = await startChildServer(env, script);
    const second = await startChildServer(env, script);
    children.push(first, second);
    const naps = await Promise.all([launchNap(first.url), launchNap(second.url), launchNap(first.url)]);
    for (const nap of naps) {
      const done = await doneOn(nap === naps[1] ? first.url : second.url, nap.id);
      assertFiredOnce(done.events, nap.until);
    }
  });
});
