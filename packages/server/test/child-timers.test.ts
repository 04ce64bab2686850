/**
 * A child agent whose tool sleeps, under the runner on a fake clock: the parent's call does not
 * fail; the parent is `waiting` with the child pending; the sweep wakes the child at its time (only
 * the parent's agent is registered), and the parent goes on by itself and finishes with the child's
 * answer — over real HTTP, and after a restart (a runner that did not set the timer), once.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, sleep, type ModelRequest, type Thread, type ThreadStore } from "agentfold";
import { createFakeClock, createMemoryStore, ScriptedModel, type FakeClock } from "agentfold/testing";
import { createRunner, startServer, type Runner } from "../src/index.ts";
import { advanceUntil } from "./support/fake-time.ts";
import { get, post, urlFetcher } from "./support/http.ts";

const NAP_MS = 10 * 60_000;
const naps: string[] = [];
const nap = defineTool({
  intent: "nap",
  description: "wait before checking the deploy's health",
  args: z.object({}),
  run: (_args, { idempotencyKey }) => {
    naps.push(idempotencyKey);
    return sleep(NAP_MS, { reason: "let the deploy settle" });
  },
});
const napper = defineAgent({ name: "napper", tools: [nap, doneForNow()] });
/** Only the parent is registered with the runner: the child is found through its tool. */
const releaser = defineAgent({ name: "releaser", tools: [napper.asTool({}), doneForNow()] });
const isChild = (request: ModelRequest) => request.intents.some((intent) => intent.intent === "nap");
const model = () =>
  new ScriptedModel([
    (request: ModelRequest) => (isChild(request) ? { intent: "nap" } : { intent: "napper", message: "deploy and check" }),
    (request: ModelRequest) => ({ intent: "done_for_now", message: isChild(request) ? "healthy after the nap" : "released" }),
  ]);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function runnerOn(store: ThreadStore, clock: FakeClock, owner: string, sweepIntervalMs = 60_000): Runner {
  const runner = createRunner({
    store,
    agents: [releaser],
    model: model(),
    clock,
    owner,
    sweepIntervalMs,
    onError: (error, threadId) => assert.fail(`runner ${owner}, thread ${threadId}: ${String(error)}`),
  });
  closers.push(() => runner.close());
  return runner;
}

const count = (thread: Thread | undefined, type: string) => thread?.events.filter((event) => event.type === type).length ?? 0;

describe("a child agent that sleeps, under the server", () => {
  it("over HTTP: the parent waits with the child, the sweep wakes the child, the parent finishes by itself", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const runner = runnerOn(store, clock, "http");
    const started = await startServer({ store, runner, agents: [releaser], model: model(), port: 0, apiKeys: false });
    closers.push(() => started.close());
    const fetch = urlFetcher(started.url);
    naps.length = 0;

    const launched = await post(fetch, "/v1/threads", { agent: "releaser", message: "release v1" });
    assert.equal(launched.status, 200, JSON.stringify(launched.body));
    assert.equal(launched.body.status, "waiting");
    const [item] = launched.body.pending;
    assert.deepEqual([item.kind, item.childStatus], ["child", "waiting"]);
    assert.equal(
      launched.body.events.some((event: { type: string }) => event.type === "error"),
      false,
    );
    const child = await get(fetch, `/v1/threads/${item.childThreadId}`);
    assert.equal(child.body.status, "waiting");
    assert.equal(child.body.waiting.until, "2026-12-01T09:10:00.000Z");
    assert.equal(child.body.parent.id, launched.body.id);

    await clock.advance(NAP_MS - 1);
    assert.equal((await get(fetch, `/v1/threads/${launched.body.id}`)).body.status, "waiting", "not before its time");
    await advanceUntil(clock, async () => (await store.load(launched.body.id))?.status === "done", { stepMs: 1000, limitMs: 5 * 60_000 });

    const parent = await get(fetch, `/v1/threads/${launched.body.id}`);
    assert.equal(parent.body.status, "done");
    const result = parent.body.events.find((event: { type: string }) => event.type === "tool_result");
    assert.equal(result.result, "healthy after the nap");
    assert.equal(parent.body.events.at(-1).message, "released");
    const finished = await store.load(item.childThreadId);
    assert.equal(finished?.status, "done");
    assert.equal(count(finished, "timer_fired"), 1);
    assert.deepEqual(naps, [`${item.childThreadId}:call_1_0`], "the nap ran once");
  });

  it("over HTTP: a wake sent to the parent wakes the child it waits on, and both finish", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const runner = runnerOn(store, clock, "wake");
    const started = await startServer({ store, runner, agents: [releaser], model: model(), port: 0, apiKeys: false });
    closers.push(() => started.close());
    const fetch = urlFetcher(started.url);
    naps.length = 0;
    const launched = await post(fetch, "/v1/threads", { agent: "releaser", message: "release v1" });
    assert.equal(launched.body.status, "waiting");
    const childId = launched.body.pending[0].childThreadId;

    const woken = await post(fetch, `/v1/threads/${launched.body.id}/wake`, {});
    assert.equal(woken.status, 200, JSON.stringify(woken.body));
    assert.equal(woken.body.id, launched.body.id, "the answer is the parent");
    assert.equal(woken.body.status, "done");
    const child = await store.load(childId);
    const fired = child?.events.find((event) => event.type === "timer_fired");
    assert.deepEqual([fired?.early, fired?.actor], [true, "anonymous"], "the child's timer fired early, by the caller");
    assert.equal(count(await store.load(launched.body.id), "timer_fired"), 0, "the parent had no timer of its own");
    // Nothing sleeps any more: a second wake is the usual 409.
    const again = await post(fetch, `/v1/threads/${launched.body.id}/wake`, {});
    assert.equal(again.status, 409);
  });

  it("a runner started after the one that set the child's timer (a restart) wakes it once", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const before = runnerOn(store, clock, "before");
    const thread = releaser.start("release v1");
    await store.create(thread);
    const { thread: waiting } = await before.advance(thread.id);
    assert.equal(waiting?.status, "waiting");
    await before.close();

    await clock.advance(NAP_MS);
    const after = runnerOn(store, clock, "after");
    await after.start();
    await advanceUntil(clock, async () => (await store.load(thread.id))?.status === "done", { stepMs: 1000 });
    const item = waiting?.pending[0];
    assert.ok(item?.kind === "child");
    const child = await store.load(item.childThreadId);
    assert.equal(count(child, "timer_fired"), 1);
    // More sweeps later: nothing fires or runs again.
    const version = (await store.load(thread.id))?.version;
    await clock.advance(5 * 60_000);
    assert.equal((await store.load(thread.id))?.version, version);
    assert.equal(count(await store.load(item.childThreadId), "timer_fired"), 1);
  });

  it("without a sweep, this process wakes a child whose time falls before the next sweep", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    // Never started, so no sweep runs: only the wake-up that follows the parent's child_paused can wake the child.
    const runner = runnerOn(store, clock, "no-sweep", 2 * NAP_MS);
    const thread = releaser.start("release v1");
    await store.create(thread);
    const { thread: waiting } = await runner.advance(thread.id);
    assert.equal(waiting?.status, "waiting");
    await clock.advance(NAP_MS - 1);
    assert.equal((await store.load(thread.id))?.status, "waiting", "not before its time");
    await advanceUntil(clock, async () => (await store.load(thread.id))?.status === "done", { stepMs: 10 });
    const item = waiting?.pending[0];
    assert.ok(item?.kind === "child");
    assert.equal(count(await store.load(item.childThreadId), "timer_fired"), 1);
  });
});
