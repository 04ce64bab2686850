import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { maxJsonDepth, nestsDeeperThan } from "../src/json-depth.ts";
import { appFetcher } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

function setup() {
  const store = createMemoryStore();
  const { app } = createServer({ store, agents: [createTestAgents().calculator], model: createTestModel(), apiKeys: false });
  const fetch = appFetcher(app);
  const send = async (path: string, body: string) => {
    const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body });
    return { status: response.status, body: (await response.json()) as any };
  };
  return { store, send };
}

/** `levels` nested arrays, or objects `{"a": …}`, around `inner`. */
const arrays = (levels: number, inner = "") => "[".repeat(levels) + inner + "]".repeat(levels);
const objects = (levels: number, inner = "1") => '{"a":'.repeat(levels) + inner + "}".repeat(levels);

describe("deeply nested JSON bodies", () => {
  it("10,000 and 100,000 levels are a 400 saying the limit, never a 500, and the server keeps serving", async () => {
    const { store, send } = setup();
    const waiting = await send("/v1/threads", JSON.stringify({ agent: "calculator", message: "divide 3 by 4" }));
    assert.equal(waiting.body.status, "awaiting_approval");
    const { id } = waiting.body;
    const callId = waiting.body.pending[0].callId;
    for (const levels of [10_000, 100_000]) {
      const bodies: Array<[string, string]> = [
        ["/v1/threads", `{"agent":"calculator","message":"x","metadata":{"deep":${arrays(levels)}}}`],
        ["/v1/threads", `{"agent":"calculator","events":[{"type":"custom","name":"deep","data":${objects(levels)}}]}`],
        ["/v1/threads", arrays(levels)],
        [`/v1/threads/${id}/approvals/${callId}`, `{"approved":true,"args":{"a":${arrays(levels, "3")},"b":4}}`],
        [`/v1/threads/${id}/messages`, `{"text":${objects(levels, '"x"')}}`],
      ];
      for (const [path, body] of bodies) {
        const response = await send(path, body);
        assert.equal(response.status, 400, `${levels} levels to ${path}: ${JSON.stringify(response.body).slice(0, 300)}`);
        assert.equal(response.body.error.code, "invalid_request");
        assert.match(response.body.error.message, new RegExp(`nesting deeper than ${maxJsonDepth} levels.*Flatten the data`));
      }
    }
    // Nothing was launched or decided, and the same server goes on answering.
    assert.equal((await store.list()).threads.length, 1);
    const approved = await send(`/v1/threads/${id}/approvals/${callId}`, JSON.stringify({ approved: true }));
    assert.equal(approved.status, 200);
    assert.equal(approved.body.status, "done");
  });

  it(`${maxJsonDepth} levels are accepted`, async () => {
    const { send } = setup();
    // The body object is level 1 and metadata level 2: 98 more arrays make 100.
    const response = await send(
      "/v1/threads",
      `{"agent":"calculator","message":"divide 3 by 4","metadata":{"deep":${arrays(maxJsonDepth - 2)}}}`,
    );
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300));
    const refused = await send(
      "/v1/threads",
      `{"agent":"calculator","message":"divide 3 by 4","metadata":{"deep":${arrays(maxJsonDepth - 1)}}}`,
    );
    assert.equal(refused.status, 400);
  });

  it("brackets inside strings do not count, escaped quotes included", () => {
    assert.equal(nestsDeeperThan(JSON.stringify({ text: `${"[".repeat(1000)}\\"{{{` }), 2), false);
    assert.equal(nestsDeeperThan(JSON.stringify({ a: [[1]] }), 2), true);
    assert.equal(nestsDeeperThan(JSON.stringify({ a: [[1]] }), 3), false);
    assert.equal(nestsDeeperThan(JSON.stringify([[1], [2], [3]]), 2), false, "siblings are not deeper");
  });
});
