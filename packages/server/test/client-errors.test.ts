import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { startServer, type RunningServer } from "../src/index.ts";
import { rawRequest, requestBytes } from "./support/raw-http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

describe("requests refused before any route sees them", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      store: createMemoryStore(),
      agents: [createTestAgents().calculator],
      model: createTestModel(),
      port: 0,
      apiKeys: false,
      onError: () => {},
    });
  });
  after(async () => {
    await server.close();
  });

  const cases: Array<[string, () => Buffer, number, string]> = [
    [
      "a NUL in a header value",
      () => requestBytes(server.port, { method: "GET", target: "/healthz", headers: { "x-note": "a\u0000b" } }),
      400,
      "bad_request",
    ],
    ["a NUL in the path", () => requestBytes(server.port, { method: "GET", target: "/v1/threads/\u0000" }), 400, "bad_request"],
    [
      "Content-Length beside Transfer-Encoding",
      () =>
        requestBytes(server.port, {
          method: "POST",
          target: "/v1/threads",
          headers: { "transfer-encoding": "chunked", "content-length": "2" },
          body: "{}",
        }),
      400,
      "bad_request",
    ],
    [
      "a Content-Length that is not a number",
      () => requestBytes(server.port, { method: "POST", target: "/v1/threads", headers: { "content-length": "abc" }, body: "{}" }),
      400,
      "bad_request",
    ],
    [
      "headers over 16 KB",
      () => requestBytes(server.port, { method: "GET", target: "/healthz", headers: { "x-note": "h".repeat(20_000) } }),
      431,
      "headers_too_large",
    ],
    ["a request line that is not HTTP", () => Buffer.from("HELLO THERE\r\n\r\n"), 400, "bad_request"],
    // These pass Node's parser; the adapter cannot make a URL of them.
    ["the target *", () => requestBytes(server.port, { method: "GET", target: "*" }), 400, "bad_request"],
    ["a backslash in the path", () => requestBytes(server.port, { method: "GET", target: "/v1\\threads" }), 400, "bad_request"],
    [
      "an absolute target with another scheme",
      () => requestBytes(server.port, { method: "GET", target: "ftp://127.0.0.1/healthz" }),
      400,
      "bad_request",
    ],
    // Node answers an Expect other than 100-continue itself.
    [
      "an Expect the server cannot meet",
      () => requestBytes(server.port, { method: "GET", target: "/healthz", headers: { expect: "200-ok" } }),
      417,
      "expectation_failed",
    ],
  ];
  for (const [what, bytes, status, code] of cases) {
    it(`${what}: a ${status} with a JSON error saying what to fix`, async () => {
      const response = await rawRequest(server.port, bytes());
      assert.equal(response.status, status);
      assert.match(response.headers["content-type"] ?? "", /^application\/json/);
      const body = JSON.parse(response.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, code);
      const fix = {
        400: /not valid HTTP\/1\.1.*(control characters|path)/,
        417: /Expect.*100-continue.*leave it out/,
        431: /headers.*fewer or shorter/,
      }[status];
      assert.match(body.error.message, fix!);
      assert.equal((await rawRequest(server.port, { method: "GET", target: "/healthz" })).status, 200);
    });
  }
});
