/**
 * A store outage in the middle of a step is not the thread's failure: the runner leaves the thread
 * `running` for the next sweep, as docs/decisions/2026-11-26-runner-leases.md says, even when the
 * store is back in time to take a `failed` event. Found by the fault campaign (test/chaos/): a brief
 * Postgres cut turned a thread `failed`, waiting for a person, where a longer one let it resume.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ThreadStore } from "agentfold";
import { StoreUnavailableError } from "agentfold/runtime";
import { createMemoryStore } from "agentfold/testing";
import { createRunner } from "../src/index.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

/** A store whose next append, once `outage.armed`, fails as an unreachable database does; later calls work. */
function storeWithBriefOutage(inner: ThreadStore, outage: { armed: boolean; failures: number }): ThreadStore {
  return new Proxy(inner, {
    get(target, name) {
      if (name === "append") {
        return async (...args: Parameters<ThreadStore["append"]>) => {
          if (outage.armed) {
            outage.armed = false;
            outage.failures += 1;
            throw new StoreUnavailableError("Postgres is unavailable (read ECONNRESET); the call was not completed. Retry shortly.");
          }
          return target.append(...args);
        };
      }
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("a store outage during a step", () => {
  it("leaves the thread running, with no failed event, and the next advance finishes it", async () => {
    const outage = { armed: false, failures: 0 };
    const store = storeWithBriefOutage(createMemoryStore(), outage);
    const agents = createTestAgents();
    const runner = createRunner({ store, agents: [agents.worker], model: createTestModel(), onError: () => {} });
    try {
      const thread = agents.worker.start("work");
      await store.create(thread);
      // The step's first commit (the decision and tool_started) meets the outage; the store is back
      // for the very next call, where a `failed` event would be stored.
      outage.armed = true;
      const first = await runner.advance(thread.id);
      assert.equal(outage.failures, 1);
      assert.equal(first.result, "stopped");
      const afterOutage = await store.load(thread.id);
      assert.equal(afterOutage?.status, "running", `events: ${JSON.stringify(afterOutage?.events.map((event) => event.type))}`);
      assert.ok(!afterOutage?.events.some((event) => event.type === "failed"), "an outage is not recorded as the thread's failure");

      const second = await runner.advance(thread.id);
      assert.equal(second.result, "settled");
      assert.equal(second.thread?.status, "done");
    } finally {
      await runner.close();
    }
  });
});
