/**
 * Schedules on a fake clock: a per-second cron fires on each second, and two schedule runners that
 * share one Postgres (two server processes) launch each tick once. The clock is advanced, not waited
 * for; only the store's I/O is waited for.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { Thread } from "agentfold";
import { createFakeClock, type FakeClock } from "agentfold/testing";
import { createMemoryChannelStore, createPostgresChannelStore, type ChannelStore } from "@agentfold/stores";
import { startSchedules, type ActionOutcome, type InboundAction } from "../src/index.ts";
import { sleep } from "./support/test-agents.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_schedules_${process.pid}_${Date.now().toString(36)}`;
const everySecond = [{ agent: "reporter", cron: "* * * * * *", message: "tick" }];

after(async () => {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** A schedule runner on `store` that records what it launched and counts the claims that finished. */
function scheduleRunner(store: ChannelStore, clock: FakeClock) {
  const launched: InboundAction[] = [];
  const errors: unknown[] = [];
  let claims = 0;
  const counting: ChannelStore = {
    ...store,
    claimTick: (tick) => store.claimTick(tick).finally(() => (claims += 1)),
  };
  const apply = async (action: InboundAction): Promise<ActionOutcome> => {
    launched.push(action);
    return { ok: true, thread: Thread.start(action.type === "start" ? action.text : "") };
  };
  const stop = startSchedules(everySecond, { store: counting, apply, onError: (error) => errors.push(error), clock });
  return { launched, errors, stop, claims: () => claims };
}

const ticksOf = (actions: readonly InboundAction[]) => actions.map((action) => (action as { metadata?: { tick?: string } }).metadata?.tick);

describe("schedules", () => {
  it("fire each tick when the clock reaches it, not before, and not after stop", async () => {
    const clock = createFakeClock("2026-01-01T00:00:00.500Z");
    const runner = scheduleRunner(createMemoryChannelStore(), clock);
    await clock.advance(499);
    assert.deepEqual(runner.launched, [], "nothing before the first second");
    await clock.advance(1);
    await clock.advance(1000);
    assert.deepEqual(ticksOf(runner.launched), ["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"]);
    runner.stop();
    await clock.advance(5000);
    assert.equal(runner.launched.length, 2, "no tick after stop");
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual(runner.errors, []);
  });

  it("skip the ticks missed while the process was stopped", async () => {
    const clock = createFakeClock("2026-01-01T00:00:00.000Z");
    const runner = scheduleRunner(createMemoryChannelStore(), clock);
    // The wall clock jumps 10 s (a stopped process, a suspended machine) before the pending timer fires.
    clock.set("2026-01-01T00:00:10.000Z");
    await clock.advance(1000);
    assert.deepEqual(ticksOf(runner.launched), ["2026-01-01T00:00:01Z"], "the tick it was waiting for fires late, once");
    await clock.advance(1000);
    assert.deepEqual(ticksOf(runner.launched).slice(1), ["2026-01-01T00:00:12Z"], "then the next tick from now, not the nine missed ones");
    runner.stop();
  });

  it("two processes on one Postgres launch each tick once", async () => {
    const clock = createFakeClock("2026-01-01T00:00:00.500Z");
    const stores = [await createPostgresChannelStore({ connectionString: postgresUrl, schema })];
    stores.push(await createPostgresChannelStore({ connectionString: postgresUrl, schema }));
    const runners = stores.map((store) => scheduleRunner(store, clock));
    try {
      for (let second = 1; second <= 3; second++) {
        await clock.advance(1000);
        // Both processes claimed this tick in the database before the clock moves on.
        while (runners.some((runner) => runner.claims() < second)) await sleep(5);
      }
      const ticks = ticksOf(runners.flatMap((runner) => runner.launched));
      assert.equal(ticks.length, 3, `each of 3 ticks launched once, got ${JSON.stringify(ticks)}`);
      assert.equal(new Set(ticks).size, 3);
      for (const runner of runners) assert.deepEqual(runner.errors, []);
    } finally {
      for (const runner of runners) runner.stop();
      for (const store of stores) await store.close();
    }
  });
});
