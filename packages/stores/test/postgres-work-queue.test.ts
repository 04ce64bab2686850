import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { WorkQueue } from "agentfold/runtime";
import { createPostgresWorkQueue } from "@agentfold/stores";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("the Postgres work queue (pg-boss)", () => {
  const queues: WorkQueue[] = [];
  const open = async (schema: string) => {
    const queue = await createPostgresWorkQueue({ connectionString: postgresUrl, schema, onError: () => {} });
    queues.push(queue);
    return queue;
  };
  after(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await dropSchemas();
  });

  it("hands a request to exactly one of two processes' queues, and keeps one request per thread", async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const taken: string[] = [];
    // Two requests for one thread before anyone takes them: one advance.
    await a.request("thr_once");
    await b.request("thr_once");
    await a.start(async (threadId) => void taken.push(`a:${threadId}`));
    await b.start(async (threadId) => void taken.push(`b:${threadId}`));
    await a.request("thr_other");
    await until(() => taken.length >= 2, 10_000, "both threads");
    await sleep(500);
    assert.deepEqual(taken.map((entry) => entry.slice(2)).sort(), ["thr_once", "thr_other"], `taken: ${taken.join(", ")}`);
  });

  it("runs a request at its time, not before, and a new request for the thread replaces its time", async () => {
    const schema = freshSchema();
    const queue = await open(schema);
    const taken: { threadId: string; at: number }[] = [];
    await queue.start(async (threadId) => void taken.push({ threadId, at: Date.now() }));
    const due = Date.now() + 700;
    await queue.request("thr_later", new Date(due));
    // Far away, then brought forward to now: it runs now, once.
    await queue.request("thr_moved", new Date(Date.now() + 60_000));
    await queue.request("thr_moved");
    await until(() => taken.some((entry) => entry.threadId === "thr_later"), 10_000, "the later request");
    const later = taken.find((entry) => entry.threadId === "thr_later")!;
    assert.ok(later.at >= due, `ran ${due - later.at} ms before its time`);
    assert.deepEqual(taken.filter((entry) => entry.threadId === "thr_moved").length, 1, "the request brought forward ran once");
  });

  it("tries a request that failed again, with backoff, until it succeeds", async () => {
    const schema = freshSchema();
    const queue = await open(schema);
    let attempts = 0;
    await queue.start(async () => {
      attempts++;
      if (attempts === 1) throw new Error("the store is away");
    });
    await queue.request("thr_retry");
    // The first retry waits about a second (exponential backoff from 1 s).
    await until(() => attempts >= 2, 15_000, "the second attempt");
    await sleep(300);
    assert.equal(attempts, 2);
  });

  it("refuses a schema name it would have to quote", async () => {
    await assert.rejects(createPostgresWorkQueue({ connectionString: postgresUrl, schema: 'x"; drop' }), /plain lower-case SQL name/);
  });
});
