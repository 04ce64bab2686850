import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { appFetcher, get } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

describe("GET /v1/agents", () => {
  it("lists each agent's tools with their JSON Schema and approval policy", async () => {
    const agents = createTestAgents();
    const { app } = createServer({ store: createMemoryStore(), agents: [agents.calculator], model: createTestModel(), apiKeys: false });
    const response = await get(appFetcher(app), "/v1/agents");
    assert.equal(response.status, 200);
    const [calculator] = response.body.agents;
    assert.equal(calculator.name, "calculator");
    const divide = calculator.tools.find((tool: { intent: string }) => tool.intent === "divide");
    assert.equal(divide.approval, "required");
    assert.equal(divide.kind, "action");
    assert.equal(divide.parameters.type, "object");
    assert.deepEqual(Object.keys(divide.parameters.properties).sort(), ["a", "b"]);
    const doc = await get(appFetcher(app), "/openapi.json");
    assert.ok(doc.body.paths["/v1/agents"], "the route is in the OpenAPI document");
  });

  it("needs an API key when keys are configured", async () => {
    const agents = createTestAgents();
    const { app } = createServer({
      store: createMemoryStore(),
      agents: [agents.calculator],
      model: createTestModel(),
      apiKeys: "alice:0123456789",
    });
    const fetch = appFetcher(app);
    assert.equal((await get(fetch, "/v1/agents")).status, 401);
    assert.equal((await get(fetch, "/v1/agents", { authorization: "Bearer 0123456789" })).status, 200);
  });
});
