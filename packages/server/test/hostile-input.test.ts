/**
 * Hostile input over real sockets: every route gets malformed and deep JSON, bodies around the size
 * limit, odd unicode and NUL, wrong types and content types, traversing and foreign ids, bad query
 * values and headers, wrong methods. Never a 5xx, every 4xx a JSON error that says what to fix, and
 * the server answers /healthz after each route's batch.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { createMemoryStore } from "agentfold/testing";
import { startServer, type RunningServer } from "../src/index.ts";
import { hostileRequests, type HostileRequest } from "./support/hostile-requests.ts";
import { rawRequest, type RawResponse } from "./support/raw-http.ts";
import {
  apiRouteExamples,
  exampleOperations,
  fillPath,
  openApiOperations,
  queryString,
  undocumentedRouteExamples,
  type RouteExample,
  type RouteFixture,
} from "./support/route-examples.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const alice = { authorization: "Bearer alice-key-0001" };
const bob = { authorization: "Bearer bob-key-000002" };
/** Small, so bodies just under and over it are cheap to send. */
const maxBodyBytes = 64 * 1024;
const runsPerRoute = 150;
const seed = 20_261_126;

/** Fails unless the answer is below 500 and, when it is an error, a JSON error saying what to fix. */
export function checkAnswer(response: RawResponse, hostile: HostileRequest): void {
  const where = `${hostile.request.method} ${hostile.request.target.slice(0, 120)} with ${hostile.variant}`;
  assert.ok(response.status >= 200 && response.status < 500, `${where}: ${response.status} ${response.body.slice(0, 300)}`);
  if (response.status < 400 || hostile.request.method.toUpperCase() === "HEAD") return;
  assert.match(
    response.headers["content-type"] ?? "",
    /^application\/json/,
    `${where}: a ${response.status} without a JSON body: ${JSON.stringify(response.body.slice(0, 200))}`,
  );
  const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body.error?.code, "string", `${where}: ${response.body.slice(0, 200)}`);
  assert.ok(
    typeof body.error?.message === "string" && body.error.message.length >= 10,
    `${where}: the message says too little: ${response.body.slice(0, 200)}`,
  );
}

describe("hostile input over every route", () => {
  let server: RunningServer;
  let sent = 0;
  const runnerErrors: unknown[] = [];

  const send = async (request: Parameters<typeof rawRequest>[1]) => {
    sent++;
    return rawRequest(server.port, request);
  };
  const json = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await send({
      method,
      target: path,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: JSON.parse(response.body) as any };
  };
  /** A new thread of alice's, waiting for the approval of its divide. */
  const newFixture = async (): Promise<RouteFixture> => {
    const launched = await json("POST", "/v1/threads", alice, { agent: "calculator", message: "divide 3 by 4" });
    assert.equal(launched.body.status, "awaiting_approval");
    return { threadId: launched.body.id, callId: launched.body.pending[0].callId };
  };
  const assertHealthy = async (after: string) => {
    const health = await send({ method: "GET", target: "/healthz" });
    assert.equal(health.status, 200, `/healthz after ${after}: ${health.status} ${health.body}`);
  };

  before(async () => {
    const agents = createTestAgents();
    server = await startServer({
      store: createMemoryStore(),
      agents: [agents.calculator, agents.worker],
      model: createTestModel(),
      port: 0,
      apiKeys: { alice: { key: "alice-key-0001", tenant: "acme" }, bob: { key: "bob-key-000002", tenant: "globex" } },
      maxBodyBytes,
      onError: (error) => runnerErrors.push(error),
    });
  });
  after(async () => {
    await server.close();
  });

  it("the examples cover every route in /openapi.json", async () => {
    const document = JSON.parse((await send({ method: "GET", target: "/openapi.json" })).body);
    assert.deepEqual(exampleOperations(apiRouteExamples), openApiOperations(document));
  });

  it("each route's valid example is accepted, so the variants start from a good request", async () => {
    for (const example of [...apiRouteExamples, ...undocumentedRouteExamples]) {
      const fixture = await newFixture();
      const response = await send({
        method: example.method,
        target: fillPath(example.path, example.params(fixture)) + queryString(example.query),
        headers: { ...alice, ...(example.body === undefined ? {} : { "content-type": "application/json" }) },
        ...(example.body === undefined ? {} : { body: JSON.stringify(example.body) }),
      });
      const expected = example.status === undefined ? response.status >= 200 && response.status < 300 : response.status === example.status;
      assert.ok(expected, `${example.method} ${example.path}: ${response.status} ${response.body.slice(0, 300)}`);
    }
  });

  for (const example of [...apiRouteExamples, ...undocumentedRouteExamples]) {
    it(`${example.method} ${example.path}: never a 5xx, every 4xx a JSON error`, async (t) => {
      const fixture = await newFixture();
      const other = await json("POST", "/v1/threads", bob, { agent: "calculator", message: "divide 3 by 4" });
      const context = { example, fixture, headers: alice, otherTenantThreadId: other.body.id as string, maxBodyBytes };
      const before = sent;
      await fc.assert(
        fc.asyncProperty(hostileRequests(context), async (hostile) => {
          checkAnswer(await send(hostile.request), hostile);
        }),
        { seed, numRuns: runsPerRoute },
      );
      await assertHealthy(`${example.method} ${example.path}`);
      t.diagnostic(`${sent - before} requests`);
    });
  }

  it("another tenant's thread is a 404 on every thread route, as if it did not exist", async () => {
    const fixture = await newFixture();
    for (const example of apiRouteExamples.filter((candidate: RouteExample) => candidate.path.includes("{id}"))) {
      const response = await send({
        method: example.method,
        target: fillPath(example.path, example.params(fixture)) + queryString(example.query),
        headers: { ...bob, ...(example.body === undefined ? {} : { "content-type": "application/json" }) },
        ...(example.body === undefined ? {} : { body: JSON.stringify(example.body) }),
      });
      assert.equal(response.status, 404, `${example.method} ${example.path} as another tenant: ${response.body.slice(0, 200)}`);
    }
    const thread = await json("GET", `/v1/threads/${fixture.threadId}`, alice);
    assert.equal(thread.body.status, "awaiting_approval", "the other tenant changed nothing");
  });

  it("the runner met no errors", (t) => {
    t.diagnostic(`${sent} requests in all`);
    assert.deepEqual(runnerErrors.map(String), []);
  });
});
