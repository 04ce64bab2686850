/**
 * Durable timers and request deadlines under the runner, on a fake clock: the sweep (and this
 * process's wake-ups) advance a waiting thread at its time, once, whichever runner finds it; a
 * deadline passes the same way. Then over real HTTP: the thread's `waiting`, a person's wake, a
 * message that wakes it.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Thread, ThreadStore } from "agentfold";
import { createFakeClock, createMemoryStore, type FakeClock } from "agentfold/testing";
import { createRunner, startServer, type Runner } from "../src/index.ts";
import { advanceUntil } from "./support/fake-time.ts";
import { get, post, urlFetcher } from "./support/http.ts";
import { createTimerAgents, createTimerModel } from "./support/timer-agents.ts";

const NAP_MS = 10 * 60_000;
const DEADLINE_MS = 60 * 60_000;
const agents = createTimerAgents({ napMs: NAP_MS, deadlineMs: DEADLINE_MS });
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function runnerOn(store: ThreadStore, clock: FakeClock, owner: string): Runner {
  const runner = createRunner({
    store,
    agents: [agents.napper, agents.deployer],
    model: createTimerModel(),
    clock,
    owner,
    sweepIntervalMs: 60_000,
    onError: (error) => assert.fail(`runner ${owner}: ${String(error)}`),
  });
  closers.push(() => runner.close());
  return runner;
}

const count = (thread: Thread | undefined, type: string) => thread?.events.filter((event) => event.type === type).length ?? 0;

/** A napper thread in `store`, advanced by `runner` until it waits. */
async function napping(store: ThreadStore, runner: Runner): Promise<Thread> {
  const thread = agents.napper.start("deploy, then check health");
  await store.create(thread);
  const { thread: waiting } = await runner.advance(thread.id);
  assert.equal(waiting?.status, "waiting");
  return waiting!;
}

describe("timers under the runner (fake clock)", () => {
  it("wakes a waiting thread at its time, not before, and fires once", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const runner = runnerOn(store, clock, "a");
    await runner.start();
    const waiting = await napping(store, runner);
    assert.deepEqual(
      (await store.listDue({ by: new Date("2026-12-01T09:10:00.000Z") })).map((summary) => summary.id),
      [waiting.id],
    );
    await clock.advance(NAP_MS - 1);
    assert.equal((await store.load(waiting.id))?.status, "waiting");
    await advanceUntil(clock, async () => (await store.load(waiting.id))?.status === "done");
    const done = await store.load(waiting.id);
    assert.equal(count(done, "timer_fired"), 1);
    const fired = done?.events.find((event) => event.type === "timer_fired");
    assert.ok(fired && Date.parse(fired.at) >= Date.parse("2026-12-01T09:10:00.000Z"), "never before its time");
    // Much later, more sweeps: nothing fires again.
    await clock.advance(5 * 60_000);
    assert.equal((await store.load(waiting.id))?.version, done?.version);
  });

  it("a runner started after the one that set the timer (a restart) fires it once", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const before = runnerOn(store, clock, "before");
    const waiting = await napping(store, before);
    await before.close();
    const after = runnerOn(store, clock, "after");
    await after.start();
    await advanceUntil(clock, async () => (await store.load(waiting.id))?.status === "done", { stepMs: 1000, limitMs: 2 * NAP_MS });
    const done = await store.load(waiting.id);
    assert.equal(count(done, "timer_fired"), 1);
    assert.equal(count(done, "tool_result"), 1);
  });

  it("two runners that both find it due fire it exactly once", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const first = runnerOn(store, clock, "first");
    const second = runnerOn(store, clock, "second");
    const waiting = await napping(store, first);
    await first.start();
    await second.start();
    await advanceUntil(clock, async () => (await store.load(waiting.id))?.status === "done", { stepMs: 1000, limitMs: 2 * NAP_MS });
    // Both runners now advance it at once, as two processes' sweeps would: the lease lets one in.
    await Promise.all([first.advance(waiting.id), second.advance(waiting.id)]);
    const done = await store.load(waiting.id);
    assert.equal(count(done, "timer_fired"), 1);
    assert.equal(count(done, "tool_result"), 1);
    assert.equal(count(done, "done"), 1);
  });

  it("an approval nobody decides is rejected by its deadline through the sweep, and the agent goes on", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const runner = runnerOn(store, clock, "a");
    await runner.start();
    const thread = agents.deployer.start("deploy v1");
    await store.create(thread);
    const { thread: asking } = await runner.advance(thread.id);
    assert.equal(asking?.status, "awaiting_approval");
    await advanceUntil(clock, async () => (await store.load(thread.id))?.status === "done", { stepMs: 10_000, limitMs: 2 * DEADLINE_MS });
    const done = await store.load(thread.id);
    const decision = done?.events.find((event) => event.type === "approval_decision");
    assert.ok(decision?.type === "approval_decision");
    assert.deepEqual([decision.approved, decision.actor], [false, "deadline"]);
    assert.ok(Date.parse(decision.at) >= Date.parse("2026-12-01T10:00:00.000Z"));
    assert.equal(count(done, "deadline_passed"), 1);
    assert.equal(count(done, "tool_started"), 0, "the deploy never ran");
  });
});

describe("timers over HTTP", () => {
  async function server() {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const runner = runnerOn(store, clock, "http");
    const started = await startServer({
      store,
      runner,
      agents: [agents.napper, agents.deployer],
      model: createTimerModel(),
      port: 0,
      apiKeys: false,
    });
    closers.push(() => started.close());
    return { fetch: urlFetcher(started.url), clock, store };
  }

  it("GET shows what a waiting thread waits for and until when; a person wakes it early and it runs on", async () => {
    const { fetch } = await server();
    const launched = await post(fetch, "/v1/threads", { agent: "napper", message: "deploy, then check health" });
    assert.equal(launched.status, 200);
    assert.equal(launched.body.status, "waiting");
    const read = await get(fetch, `/v1/threads/${launched.body.id}`);
    assert.deepEqual(read.body.waiting, {
      until: "2026-12-01T09:10:00.000Z",
      reason: "let the deploy settle",
      timers: [{ timerId: "call_1_0", until: "2026-12-01T09:10:00.000Z", reason: "let the deploy settle", callId: "call_1_0" }],
    });
    const woken = await post(fetch, `/v1/threads/${launched.body.id}/wake`, {});
    assert.equal(woken.status, 200, JSON.stringify(woken.body));
    assert.equal(woken.body.status, "done");
    assert.equal(woken.body.waiting, null);
    const fired = woken.body.events.find((event: { type: string }) => event.type === "timer_fired");
    assert.deepEqual([fired.early, fired.actor], [true, "anonymous"]);
    const again = await post(fetch, `/v1/threads/${launched.body.id}/wake`, {});
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /waits for no timer/);
  });

  it("a message wakes a waiting thread: the timer fires early before the message is recorded", async () => {
    const { fetch } = await server();
    const launched = await post(fetch, "/v1/threads", { agent: "napper", message: "deploy" });
    const messaged = await post(fetch, `/v1/threads/${launched.body.id}/messages`, { text: "no need to wait" });
    assert.equal(messaged.status, 200, JSON.stringify(messaged.body));
    const types = messaged.body.events.map((event: { type: string }) => event.type);
    assert.deepEqual(types.slice(launched.body.version, launched.body.version + 3), ["timer_fired", "tool_result", "user_input"]);
  });

  it("a pending approval shows its deadline; once it passes, the sweep rejects it", async () => {
    const { fetch, clock } = await server();
    const launched = await post(fetch, "/v1/threads", { agent: "deployer", message: "deploy v1" });
    assert.equal(launched.body.status, "awaiting_approval");
    assert.deepEqual(launched.body.pending[0].deadline, { by: "2026-12-01T10:00:00.000Z", action: "reject", passed: false });
    await clock.advance(DEADLINE_MS);
    let thread = (await get(fetch, `/v1/threads/${launched.body.id}`)).body;
    await advanceUntil(clock, async () => {
      thread = (await get(fetch, `/v1/threads/${launched.body.id}`)).body;
      return thread.status === "done";
    });
    assert.ok(
      thread.events.some((event: { type: string; actor?: string }) => event.type === "approval_decision" && event.actor === "deadline"),
    );
  });
});
