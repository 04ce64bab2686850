import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { ConfigurationError } from "agentfold";
import { createMemoryStore } from "agentfold/testing";
import { createServer, startServer, type ServerOptions } from "../src/index.ts";
import { appFetcher, get, post } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

function setup(options: Partial<ServerOptions> = {}) {
  const store = createMemoryStore();
  const { app } = createServer({ store, agents: [createTestAgents().calculator], model: createTestModel(), apiKeys: false, ...options });
  return { store, fetch: appFetcher(app) };
}

const launch = { agent: "calculator", message: "divide 3 by 4" };

describe("Host header without API keys (DNS rebinding)", () => {
  it("a request for another host launches nothing: 403 host_not_allowed saying what to do", async () => {
    const { store, fetch } = setup();
    const response = await post(fetch, "/v1/threads?wait=0", launch, { host: "attacker.example" });
    assert.equal(response.status, 403);
    assert.equal(response.body.error.code, "host_not_allowed");
    assert.match(response.body.error.message, /host "attacker\.example" are refused: without API keys/);
    assert.match(response.body.error.message, /Use the server's address/);
    assert.match(response.body.error.message, /allowedHosts/);
    assert.match(response.body.error.message, /AGENTFOLD_API_KEYS/);
    assert.deepEqual((await store.list()).threads, [], "nothing was launched");
    // Reads and every other route are refused the same way: a rebound page must not read threads either.
    for (const path of ["/v1/threads", "/healthz", "/openapi.json", "/v1/agents"]) {
      assert.equal((await get(fetch, path, { host: "attacker.example:3000" })).status, 403, path);
    }
  });

  it("loopback names and IP addresses, with any port, are served", async () => {
    const { fetch } = setup();
    for (const host of [
      "localhost",
      "localhost:3000",
      "LOCALHOST:8080",
      "app.localhost:3000",
      "127.0.0.1",
      "127.0.0.1:3000",
      "[::1]",
      "[::1]:3000",
      "192.168.1.20:3000",
    ]) {
      const response = await post(fetch, "/v1/threads", launch, { host });
      assert.equal(response.status, 200, host);
      assert.equal(response.body.status, "awaiting_approval", host);
    }
  });

  it("names that only look like loopback, and malformed hosts, are refused", async () => {
    const { fetch } = setup();
    for (const host of ["localhost.attacker.example", "127.0.0.1.attacker.example", "attacker.example@localhost", "localhost/x", ""]) {
      assert.equal((await get(fetch, "/v1/threads", { host })).status, 403, JSON.stringify(host));
    }
  });

  it("allowedHosts and the name the server listens on are served too", async () => {
    const { fetch } = setup({ allowedHosts: ["agents.example.com", ".internal.example"], hostname: "box.lan" });
    for (const host of ["agents.example.com", "Agents.Example.Com:443", "internal.example", "api.internal.example:8080", "box.lan:3000"]) {
      assert.equal((await get(fetch, "/v1/threads", { host })).status, 200, host);
    }
    assert.equal((await get(fetch, "/v1/threads", { host: "attacker.example" })).status, 403);
    assert.equal((await get(fetch, "/v1/threads", { host: "notinternal.example" })).status, 403);
  });

  it("allowedHosts may be a comma-separated string, as AGENTFOLD_ALLOWED_HOSTS is; * allows any host", async () => {
    assert.equal((await get(setup({ allowedHosts: "a.example, b.example" }).fetch, "/v1/threads", { host: "b.example" })).status, 200);
    assert.equal((await get(setup({ allowedHosts: ["*"] }).fetch, "/v1/threads", { host: "anything.example" })).status, 200);
  });

  it("an entry that is not a host name is a configuration error naming it", () => {
    for (const entry of ["http://agents.example.com", "agents.example.com:3000", "agents.example.com/v1"]) {
      assert.throws(
        () => setup({ allowedHosts: [entry] }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigurationError);
          assert.match(
            error.message,
            new RegExp(`Allowed host "${entry.replace(/[.:/]/g, "\\$&")}" is invalid: give a host name without scheme, port or path`),
          );
          return true;
        },
      );
    }
  });
});

describe("Host header with API keys", () => {
  const key = "0123456789abcdef";
  it("is not restricted unless allowedHosts is set", async () => {
    const { fetch } = setup({ apiKeys: `alice:${key}` });
    assert.equal((await get(fetch, "/v1/threads", { host: "agents.example.com" })).status, 401);
    assert.equal((await get(fetch, "/v1/threads", { host: "agents.example.com", authorization: `Bearer ${key}` })).status, 200);
  });

  it("with allowedHosts, another host is refused even with a valid key", async () => {
    const { fetch } = setup({ apiKeys: `alice:${key}`, allowedHosts: ["agents.example.com"] });
    assert.equal((await get(fetch, "/v1/threads", { host: "agents.example.com", authorization: `Bearer ${key}` })).status, 200);
    const refused = await get(fetch, "/v1/threads", { host: "attacker.example", authorization: `Bearer ${key}` });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /refused: as allowedHosts says/);
  });
});

describe("CORS", () => {
  it("is off: no Access-Control-* headers on a preflight or on a cross-origin request", async () => {
    const { fetch } = setup();
    const preflight = await fetch("/v1/threads", {
      method: "OPTIONS",
      headers: {
        origin: "https://attacker.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    const simple = await fetch("/v1/threads", { headers: { origin: "https://attacker.example" } });
    assert.equal(simple.status, 200);
    for (const response of [preflight, simple]) {
      const cors = [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));
      assert.deepEqual(cors, []);
    }
  });
});

/** A request over a real port with a chosen Host header (fetch would send the URL's). */
function requestWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      new URL("/v1/threads", url),
      { method: "POST", headers: { host, "content-type": "application/json" } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    request.on("error", reject);
    request.end(JSON.stringify(launch));
  });
}

describe("over a real port on 127.0.0.1", () => {
  it("a rebound name is refused and the server's own address is served", async () => {
    const store = createMemoryStore();
    const running = await startServer({
      store,
      agents: [createTestAgents().calculator],
      model: createTestModel(),
      port: 0,
      apiKeys: false,
    });
    try {
      const refused = await requestWithHost(running.url, `attacker.example:${running.port}`);
      assert.equal(refused.status, 403);
      assert.equal(JSON.parse(refused.body).error.code, "host_not_allowed");
      assert.deepEqual((await store.list()).threads, []);
      const served = await requestWithHost(running.url, `127.0.0.1:${running.port}`);
      assert.equal(served.status, 200);
      assert.equal((await requestWithHost(running.url, `localhost:${running.port}`)).status, 200);
    } finally {
      await running.close();
    }
  });
});
