import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { appFetcher } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

describe("the body limit", () => {
  for (const [maxBodyBytes, named] of [
    [64 * 1024, "64 KB"],
    [2 * 1024 * 1024, "2 MB"],
    [1000, "1000 bytes"],
    [undefined, "1 MB"],
  ] as const) {
    it(`a body over ${named} is a 413 that names the limit the server has`, async () => {
      const { app } = createServer({
        store: createMemoryStore(),
        agents: [createTestAgents().calculator],
        model: createTestModel(),
        apiKeys: false,
        ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
      });
      const limit = maxBodyBytes ?? 1024 * 1024;
      const response = await appFetcher(app)("/v1/threads", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ agent: "calculator", message: "m".repeat(limit) }),
      });
      assert.equal(response.status, 413);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "payload_too_large");
      assert.equal(
        body.error.message,
        `The request body is over ${named}, the most this server accepts (maxBodyBytes: ${limit}); send less.`,
      );
    });
  }
});
