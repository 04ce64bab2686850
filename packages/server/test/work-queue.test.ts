/**
 * Two runners on one Postgres sharing a pg-boss work queue, with sweeps an hour apart so that only
 * the queue can tell one runner about the other's work: a timer set by one is fired by the other at
 * its time (the first one gone), and a thread the first let go of while closing is finished by the
 * other at once.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, sleep, type Thread, type ThreadStore } from "agentfold";
import type { WorkQueue } from "agentfold/runtime";
import { ScriptedModel } from "agentfold/testing";
import { createPostgresStore, createPostgresWorkQueue } from "@agentfold/stores";
import { createRunner, type Runner } from "../src/index.ts";
import { dropSchemas, freshSchema, postgresUrl } from "../../stores/test/postgres-test-database.ts";

const HOUR = 3_600_000;
const NAP_MS = 1_500;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The tool call `slow` started in a run: released only by the runner's abort. */
let slowStarted: () => void = () => {};

const nap = defineTool({ intent: "nap", description: "wait a little", args: z.object({}), run: () => sleep(NAP_MS) });
/** The `slow` tool of one runner's agents (`owner`): its runs are recorded as `ranBy`. */
const slowOf = (owner: string) =>
  defineTool({
    intent: "slow",
    description: "a long, idempotent job",
    args: z.object({}),
    idempotent: true,
    // The first run never finishes by itself: it waits for the runner's abort. Later runs are quick.
    run: async (_args, { signal }) => {
      ranBy.push(owner);
      if (ranBy.length > 1) return "finished";
      slowStarted();
      await new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }));
      return "unreachable";
    },
  });
/** Which runner ran each run of `slow`, in order. */
const ranBy: string[] = [];
const napper = defineAgent({ name: "napper", tools: [nap, doneForNow()] });
/** The same agent in each runner, with a tool that says which runner ran it. */
const workerOf = (owner: string) => defineAgent({ name: "worker", tools: [slowOf(owner), doneForNow()] });

/** Each thread: its agent's tool, then done. */
const model = () =>
  new ScriptedModel(
    Array.from({ length: 4 }, (_, turn) => (request: { intents: readonly { intent: string }[] }) => {
      const tool = request.intents.some((intent) => intent.intent === "nap") ? "nap" : "slow";
      return turn % 2 === 0 ? { intent: tool } : { intent: "done_for_now", message: "done" };
    }),
  );

const count = (thread: Thread | undefined, type: string) => thread?.events.filter((event) => event.type === type).length ?? 0;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(value)?.slice(0, 300)}`);
    await pause(50);
  }
}

describe("runners sharing a Postgres work queue", () => {
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
    await dropSchemas();
  });

  /** A store, and a runner with its own queue (as another process would have), both on `schema`. */
  async function member(schema: string, owner: string): Promise<{ store: ThreadStore; runner: Runner; queue: WorkQueue }> {
    const store = await createPostgresStore({ connectionString: postgresUrl, schema });
    const queue = await createPostgresWorkQueue({ connectionString: postgresUrl, schema: `${schema}_q`, onError: () => {} });
    const runner = createRunner({
      store,
      agents: [napper, workerOf(owner)],
      model: model(),
      owner,
      workQueue: queue,
      // Sweeps an hour apart: the first one at start finds nothing; only the queue brings work.
      sweepIntervalMs: HOUR,
      onError: () => {},
    });
    closers.push(
      () => store.close(),
      () => queue.close(),
      () => runner.close(),
    );
    return { store, runner, queue };
  }

  it("a timer set by one runner is fired at its time by the other, once, after the first is gone", async () => {
    const schema = freshSchema();
    const a = await member(schema, "a");
    const b = await member(schema, "b");
    await a.runner.start();
    await b.runner.start();
    const thread = napper.start("nap, then say done");
    await a.store.create(thread);
    const set = Date.now();
    const { thread: waiting } = await a.runner.advance(thread.id);
    assert.equal(waiting?.status, "waiting");
    await a.runner.close();
    const done = await until(
      () => b.store.load(thread.id),
      (stored) => stored?.status === "done",
      15_000,
      "the thread to finish",
    );
    assert.equal(count(done, "timer_fired"), 1);
    const fired = done!.events.find((event) => event.type === "timer_fired")!;
    assert.ok(Date.parse(fired.at) >= set + NAP_MS - 5, "fired at its time, not before");
  });

  it("a thread a closing runner let go of is finished by the other at once", async () => {
    const schema = freshSchema();
    const a = await member(schema, "a");
    const b = await member(schema, "b");
    await a.runner.start();
    await b.runner.start();
    ranBy.length = 0;
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const thread = workerOf("test").start("run the slow job");
    await a.store.create(thread);
    void a.runner.advance(thread.id);
    await started;
    // Closing aborts the tool and releases the lease; the other runner's sweep is an hour away.
    await a.runner.close();
    const done = await until(
      () => b.store.load(thread.id),
      (stored) => stored?.status === "done",
      10_000,
      "the thread to finish",
    );
    assert.deepEqual(ranBy, ["a", "b"], "the tool ran on the first runner, then once more on the other");
    assert.equal(count(done, "tool_result"), 1);
  });
});
