/**
 * The server's hostile-input variants (packages/server/test/support/hostile-requests.ts) over the
 * routes channels add, on a real server: unsigned, and for Slack signed over the hostile body so it
 * gets past the signature to the parsing. Never a 5xx, every 4xx a JSON error, /healthz after each.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { createMemoryStore } from "agentfold/testing";
import { startServer, type RunningServer } from "@agentfold/server";
import { createChannels, emailChannel, signSlackRequest, slackChannel, webhookChannel, type Channels } from "../src/index.ts";
import { hostileRequests, type HostileRequest } from "../../server/test/support/hostile-requests.ts";
import { rawRequest, type RawResponse } from "../../server/test/support/raw-http.ts";
import type { RouteExample } from "../../server/test/support/route-examples.ts";
import { createTestAgents, createTestModel } from "./support/test-agents.ts";

const slackSecret = "test-signing-secret";
const maxBodyBytes = 64 * 1024;
const none = () => ({});

const routes: Array<RouteExample & { signed?: "slack" }> = [
  { method: "POST", path: "/v1/slack/events", params: none, body: { type: "url_verification", challenge: "c" }, signed: "slack" },
  { method: "POST", path: "/v1/slack/interactions", params: none, body: { payload: "{}" }, signed: "slack" },
  { method: "POST", path: "/v1/slack/events", params: none, body: { type: "event_callback", event: { type: "message", text: "hi" } } },
  { method: "POST", path: "/v1/hooks/{name}", params: () => ({ name: "ci" }), body: { message: "build failed" } },
  { method: "POST", path: "/v1/email/inbound", params: none, body: { raw: "From: a@b.test\r\n\r\nhello" } },
  { method: "GET", path: "/v1/hooks/{name}", params: () => ({ name: "nope" }) },
];

/** Adds a valid Slack signature over the request's (hostile) body, when it is text. */
function signForSlack(hostile: HostileRequest): HostileRequest {
  const body = hostile.request.body;
  if (body !== undefined && typeof body !== "string") return hostile;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    ...hostile.request.headers,
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": signSlackRequest(slackSecret, timestamp, body ?? ""),
  };
  return { variant: `${hostile.variant}, signed`, request: { ...hostile.request, headers } };
}

function checkAnswer(response: RawResponse, hostile: HostileRequest): void {
  const where = `${hostile.request.method} ${hostile.request.target.slice(0, 120)} with ${hostile.variant}`;
  assert.ok(response.status >= 200 && response.status < 500, `${where}: ${response.status} ${response.body.slice(0, 300)}`);
  if (response.status < 400 || hostile.request.method.toUpperCase() === "HEAD") return;
  assert.match(
    response.headers["content-type"] ?? "",
    /^application\/json/,
    `${where}: a ${response.status} without a JSON body: ${JSON.stringify(response.body.slice(0, 200))}`,
  );
  const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
  assert.ok(
    typeof body.error?.code === "string" && typeof body.error.message === "string" && body.error.message.length >= 10,
    `${where}: ${response.body.slice(0, 200)}`,
  );
}

describe("hostile input over the channel routes", () => {
  let server: RunningServer;
  let channels: Channels;
  let sent = 0;

  before(async () => {
    const agents = createTestAgents();
    channels = createChannels({
      channels: [
        slackChannel({ token: "xoxb-test", signingSecret: slackSecret, apiUrl: "http://127.0.0.1:9/", agent: "calculator" }),
        webhookChannel({ hooks: { ci: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", agent: "calculator" } } }),
        emailChannel({
          from: "bot@agents.test",
          transport: { sendMail: async () => ({}) } as never,
          inboundSecret: "relay-secret-for-tests",
          starters: "anyone",
        }),
      ],
      sweepIntervalMs: 0,
      onError: () => {},
    });
    server = await startServer({
      store: createMemoryStore(),
      agents: Object.values(agents).filter((agent) => typeof agent === "object" && agent !== null && "name" in agent) as never,
      model: createTestModel(),
      port: 0,
      apiKeys: { admin: "a-long-random-api-key" },
      maxBodyBytes,
      extensions: [channels],
    });
  });
  after(async () => {
    await server.close();
  });

  it("a signed Slack event nested 10,000 levels deep is a 400 saying the limit, not a stack overflow's 500", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = `{"type":"url_verification","challenge":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const response = await rawRequest(server.port, {
      method: "POST",
      target: "/v1/slack/events",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signSlackRequest(slackSecret, timestamp, body),
      },
      body,
    });
    assert.equal(response.status, 400, response.body.slice(0, 300));
    assert.match(response.body, /nesting deeper than 100 levels/);
    // A signed event within the limit still gets through to Slack's channel.
    const fine = '{"type":"url_verification","challenge":"c-123"}';
    const answered = await rawRequest(server.port, {
      method: "POST",
      target: "/v1/slack/events",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signSlackRequest(slackSecret, timestamp, fine),
      },
      body: fine,
    });
    assert.equal(answered.status, 200, answered.body);
    assert.match(answered.body, /c-123/);
  });

  for (const example of routes) {
    it(`${example.method} ${example.path}${example.signed ? " (signed)" : ""}: never a 5xx, every 4xx a JSON error`, async (t) => {
      const context = {
        example,
        fixture: { threadId: "thr_none", callId: "call_1_0" },
        headers: {},
        otherTenantThreadId: "thr_other",
        maxBodyBytes,
      };
      const before = sent;
      const requests = example.signed === "slack" ? hostileRequests(context).map(signForSlack) : hostileRequests(context);
      await fc.assert(
        fc.asyncProperty(requests, async (hostile) => {
          sent++;
          checkAnswer(await rawRequest(server.port, hostile.request), hostile);
        }),
        { seed: 20_261_126, numRuns: 100 },
      );
      assert.equal((await rawRequest(server.port, { method: "GET", target: "/healthz" })).status, 200);
      t.diagnostic(`${sent - before} requests`);
    });
  }
});
