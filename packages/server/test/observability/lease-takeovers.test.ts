/**
 * Lease takeovers: when this process advances a thread whose lease another owner let expire
 * without releasing it (that process crashed or hung), `agentfold_lease_takeovers_total` counts it
 * and a warn line names the previous owner. A thread whose lease was released is not a takeover.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Thread } from "agentfold";
import { createMemoryStore } from "agentfold/testing";
import { createLogger, createServer } from "../../src/index.ts";
import { appFetcher } from "../support/http.ts";
import { parsePrometheusText, sample } from "../support/prometheus-text.ts";
import { createTestAgents, createTestModel } from "../support/test-agent.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("lease takeovers in /metrics and the logs", () => {
  it("counts a takeover of an expired lease by agent and logs the previous owner; a released lease is not one", async () => {
    const store = createMemoryStore();
    const lines: Record<string, unknown>[] = [];
    const logger = await createLogger({
      level: "info",
      destination: {
        write: (chunk: string) => {
          for (const line of chunk.split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        },
      },
    });
    const { app, runner } = createServer({
      store,
      agents: [createTestAgents().calculator],
      model: createTestModel(),
      apiKeys: false,
      metrics: "open",
      logger,
      onError: () => {},
    });
    const fetch = appFetcher(app);
    const takeovers = async () => {
      const response = await fetch("/metrics");
      assert.equal(response.status, 200);
      return sample(parsePrometheusText(await response.text()), "agentfold_lease_takeovers_total", { agent: "calculator" })?.value;
    };

    // A process took the lease and died with it: nothing released it.
    const abandoned = Thread.start("divide 3 by 4", { agent: "calculator" });
    await store.create(abandoned);
    const dead = await store.acquireLease(abandoned.id, "crashed-process", 50);
    assert.ok(dead);
    await sleep(120);
    const outcome = await runner.advance(abandoned.id);
    assert.equal(outcome.thread?.status, "awaiting_approval", "the thread went on under the new lease");
    assert.equal(await takeovers(), "1");
    const line = lines.find((entry) => entry.msg === "lease takeover");
    assert.ok(line, `a lease takeover line among ${JSON.stringify(lines.map((entry) => entry.msg))}`);
    assert.equal(line.level, 40, "warn");
    assert.equal(line.thread, abandoned.id);
    assert.equal(line.agent, "calculator");
    assert.equal(line.previousOwner, "crashed-process");
    assert.equal(line.fence, dead.token + 1, "the new lease's fencing token");

    // A process that released its lease before stopping leaves nothing to take over.
    const released = Thread.start("divide 6 by 2", { agent: "calculator" });
    await store.create(released);
    const polite = await store.acquireLease(released.id, "stopped-process", 50);
    assert.ok(polite);
    await store.releaseLease(polite);
    assert.equal((await runner.advance(released.id)).thread?.status, "awaiting_approval");
    assert.equal(await takeovers(), "1");
    assert.equal(lines.filter((entry) => entry.msg === "lease takeover").length, 1);
    await runner.close();
  });
});
