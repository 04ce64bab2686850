/**
 * Store faults around a person's decision and a full disk: what the API answers. A store that
 * commits and then fails, or fails to read, stands in for a connection dropped after COMMIT; it sits
 * on the far side of the ThreadStore interface, where such faults come from.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ThreadStore } from "agentfold";
import { StoreUnavailableError } from "agentfold/runtime";
import { createMemoryStore } from "agentfold/testing";
import { createSqliteStore } from "@agentfold/stores";
import { createServer } from "../src/index.ts";
import { appFetcher, get, post } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

interface Faults {
  /** The next append commits, then throws this. */
  afterAppend?: Error | undefined;
  /** The next append throws this without storing anything. */
  insteadOfAppend?: Error | undefined;
  /** The next load after a failed append throws this. */
  load?: Error | undefined;
}

/** A store whose next calls fail as `faults` says, once each. */
function faultyStore(inner: ThreadStore, faults: Faults): ThreadStore {
  let appendFailed = false;
  return new Proxy(inner, {
    get(target, name) {
      if (name === "append") {
        return async (...args: Parameters<ThreadStore["append"]>) => {
          const instead = faults.insteadOfAppend;
          faults.insteadOfAppend = undefined;
          if (instead) {
            appendFailed = true;
            throw instead;
          }
          await target.append(...args);
          const after = faults.afterAppend;
          faults.afterAppend = undefined;
          if (after) {
            appendFailed = true;
            throw after;
          }
        };
      }
      if (name === "load") {
        return async (threadId: string) => {
          const failure = appendFailed ? faults.load : undefined;
          if (failure) faults.load = undefined;
          if (failure) throw failure;
          return target.load(threadId);
        };
      }
      const value = Reflect.get(target, name) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function setup() {
  const faults: Faults = {};
  const agents = createTestAgents();
  const store = faultyStore(createMemoryStore(), faults);
  const { app } = createServer({ store, agents: [agents.calculator], model: createTestModel(), apiKeys: false, onError: () => {} });
  return { faults, fetch: appFetcher(app), divideRuns: agents.divideRuns };
}

const countOf = (events: { type: string }[], type: string) => events.filter((event) => event.type === type).length;

async function waitingThread(fetch: ReturnType<typeof appFetcher>) {
  const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
  assert.equal(launched.body.status, "awaiting_approval");
  return { id: launched.body.id as string, path: `/v1/threads/${launched.body.id}/approvals/${launched.body.pending[0].callId}` };
}

describe("a decision when the store fails", () => {
  it("committed, then the store call failed: the answer is the thread with the decision, and the tool runs once", async () => {
    const { faults, fetch, divideRuns } = setup();
    const { id, path } = await waitingThread(fetch);
    faults.afterAppend = new Error("Connection terminated unexpectedly (after COMMIT)");
    const approved = await post(fetch, path, { approved: true });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");
    assert.equal(countOf(approved.body.events, "approval_decision"), 1);
    assert.deepEqual([...divideRuns.values()], [1]);
    const stored = await get(fetch, `/v1/threads/${id}`);
    assert.deepEqual(stored.body.events, approved.body.events, "the answer is what is stored");
  });

  it("committed, then failed, and unreadable: a 503 with Retry-After that says how to find out; a keyed retry gets the thread", async () => {
    const { faults, fetch, divideRuns } = setup();
    const { path } = await waitingThread(fetch);
    faults.afterAppend = new Error("Connection terminated unexpectedly (after COMMIT)");
    faults.load = new StoreUnavailableError("Postgres is unavailable (connection refused).", { retryAfterSeconds: 2 });
    const headers = { "idempotency-key": "approve-once" };
    const first = await post(fetch, path, { approved: true }, headers);
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.equal(first.headers.get("retry-after"), "2");
    assert.equal(first.body.error.code, "store_unavailable");
    assert.match(
      first.body.error.message,
      /may or may not be recorded\. GET the thread to see; a retry with the same Idempotency-Key is safe\./,
    );
    const retried = await post(fetch, path, { approved: true }, headers);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.status, "done");
    assert.equal(countOf(retried.body.events, "approval_decision"), 1);
    assert.deepEqual([...divideRuns.values()], [1]);
  });

  it("not committed: the store's error, and a retry of the same decision is recorded once", async () => {
    const { faults, fetch, divideRuns } = setup();
    const { path } = await waitingThread(fetch);
    faults.insteadOfAppend = new StoreUnavailableError("Postgres is unavailable (connection refused); the call was not completed.", {
      retryAfterSeconds: 2,
    });
    const first = await post(fetch, path, { approved: true });
    assert.equal(first.status, 503);
    const retried = await post(fetch, path, { approved: true });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(countOf(retried.body.events, "approval_decision"), 1);
    assert.deepEqual([...divideRuns.values()], [1]);
  });
});

describe("a full disk under SQLite", () => {
  it("is a 503 with Retry-After saying the disk is full, and the server serves again once there is room", async () => {
    const mountPoint = mkdtempSync(join(tmpdir(), "agentfold-server-full-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint], { stdio: "ignore" });
    } catch (error) {
      rmSync(mountPoint, { recursive: true, force: true });
      // A real full disk is the point of this test: where it cannot be made, that is a failure to
      // fix (run as root on Linux, as CI does), not a pass.
      throw new Error(`This test fills a small tmpfs and needs to mount one (root on Linux): ${(error as Error).message}`);
    }
    const store = createSqliteStore({ path: join(mountPoint, "agentfold.db") });
    try {
      const { app } = createServer({
        store,
        agents: [createTestAgents().calculator],
        model: createTestModel(),
        apiKeys: false,
        onError: () => {},
      });
      const fetch = appFetcher(app);
      let refused: Awaited<ReturnType<typeof post>> | undefined;
      for (let index = 0; index < 100 && !refused; index++) {
        const response = await post(fetch, "/v1/threads?wait=0", {
          agent: "calculator",
          message: "divide 3 by 4",
          metadata: { ballast: "x".repeat(20_000) },
        });
        if (response.status !== 202) refused = response;
      }
      assert.ok(refused, "the disk never filled");
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.headers.get("retry-after"), "30");
      assert.equal(refused.body.error.code, "store_unavailable");
      assert.match(refused.body.error.message, /is full \(database or disk is full\); nothing was stored\. Free some space, then retry\./);
      execFileSync("mount", ["-o", "remount,size=8m", mountPoint], { stdio: "ignore" });
      const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
      assert.equal(launched.status, 200);
      assert.equal(launched.body.status, "awaiting_approval");
    } finally {
      await store.close().catch(() => {});
      execFileSync("umount", [mountPoint], { stdio: "ignore" });
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });
});
