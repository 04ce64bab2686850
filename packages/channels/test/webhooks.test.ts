/** Signed webhooks: outbound checked with the standardwebhooks library's own verify; inbound replay and tampering. */
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { createMemoryStore } from "agentfold/testing";
import { createServer } from "@agentfold/server";
import { createChannels, webhookChannel, type Channels, type WebhookDeliveryLog } from "../src/index.ts";
import { createTestAgents, createTestModel, waitFor, type TestAgents } from "./support/test-agents.ts";

const ciSecret = `whsec_${Buffer.from("ci-secret-0123456789abcdef").toString("base64")}`;
const opsSecret = `whsec_${Buffer.from("ops-secret-0123456789abcdef").toString("base64")}`;
const receivedBodies: { headers: Record<string, string>; body: string }[] = [];
let failuresLeft = 1;
let receiver: Server;
let channels: Channels;
let agents: TestAgents;
let app: ReturnType<typeof createServer>["app"];
const store = createMemoryStore();

function signed(secret: string, payload: object, options: { id?: string; at?: Date; body?: string } = {}) {
  const body = options.body ?? JSON.stringify(payload);
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const at = options.at ?? new Date();
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, JSON.stringify(payload)),
    body,
  };
}
async function postHook(name: string, request: ReturnType<typeof signed>) {
  const { body, ...headers } = request;
  const response = await app.request(`/v1/hooks/${name}`, { method: "POST", headers, body });
  const json = (await response.json()) as any;
  await channels.idle();
  return { status: response.status, body: json };
}

before(async () => {
  receiver = createHttpServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        response.writeHead(503).end();
        return;
      }
      receivedBodies.push({ headers: request.headers as Record<string, string>, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const { port } = receiver.address() as AddressInfo;
  agents = createTestAgents();
  channels = createChannels({
    channels: [
      webhookChannel({
        hooks: { ci: { secret: ciSecret, agent: "calculator" }, ops: { secret: opsSecret, url: `http://127.0.0.1:${port}/hook` } },
        retryDelaysMs: [50, 100],
      }),
    ],
    routing: [{ send: [{ channel: "webhook", people: ["ops"] }] }],
    sweepIntervalMs: 0,
    onError: (error, where) => console.error(where, error),
  });
  ({ app } = createServer({
    store,
    agents: [agents.calculator],
    model: createTestModel(),
    apiKeys: { admin: "a-long-random-api-key" },
    extensions: [channels],
  }));
});
after(async () => {
  await channels.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe("webhooks", () => {
  let threadId = "";

  it("an inbound signed webhook starts a thread (no API key needed); a repeated id has no second effect", async () => {
    const request = signed(ciSecret, { message: "divide 3 by 4", metadata: { build: 42 } }, { id: "msg_start_1" });
    const first = await postHook("ci", request);
    assert.equal(first.status, 201);
    threadId = first.body.threadId;
    const again = await postHook("ci", request);
    assert.equal(again.status, 200);
    assert.equal(again.body.status, "duplicate");
    assert.equal((await store.list({})).threads.length, 1);
    const thread = (await store.load(threadId))!;
    assert.equal(thread.metadata.build, 42);
    assert.equal(thread.events[0]?.type === "user_input" && thread.events[0].source, "webhook");
  });

  it("the pending approval is POSTed to the routed hook, signed (standardwebhooks verifies it), retried after a failure, logged", async () => {
    const delivery = await waitFor("the approval webhook", () => receivedBodies.find((entry) => entry.body.includes("approval.requested")));
    const payload = new Webhook(opsSecret).verify(delivery.body, delivery.headers) as any;
    assert.equal(payload.type, "approval.requested");
    assert.equal(payload.data.threadId, threadId);
    assert.equal(payload.data.intent, "divide");
    assert.throws(() => new Webhook(ciSecret).verify(delivery.body, delivery.headers));
    const [entry] = await channels.store.listWebhookDeliveries();
    const log = await waitFor("the log to say delivered", async () => {
      const value: WebhookDeliveryLog | undefined = await channels.store.getWebhookDelivery(entry!.id);
      return value?.state === "delivered" ? value : undefined;
    });
    assert.equal(log.type, "approval.requested");
    assert.deepEqual(
      log.attempts.map((attempt) => attempt.status),
      [503, 204],
    );
  });

  it("a hook not in the audience may not decide; the routed one approves, once", async () => {
    const callId = (await store.load(threadId))!.pending[0]!.callId;
    const denied = await postHook("ci", signed(ciSecret, { threadId, callId, approved: true }));
    assert.equal(denied.status, 403);
    const approve = signed(opsSecret, { threadId, callId, approved: true, comment: "ok" }, { id: "msg_approve_1" });
    assert.equal((await postHook("ops", approve)).status, 200);
    assert.equal((await postHook("ops", approve)).body.status, "duplicate");
    const thread = (await store.load(threadId))!;
    assert.equal(thread.status, "done");
    assert.equal(agents.divideRuns.length, 1);
    const finished = await waitFor("thread.finished", () => receivedBodies.find((entry) => entry.body.includes("thread.finished")));
    assert.equal((new Webhook(opsSecret).verify(finished.body, finished.headers) as any).data.status, "done");
  });

  it("tampered, forged, stale and unsigned requests are 401 and change nothing", async () => {
    const count = (await store.list({})).threads.length;
    const good = signed(ciSecret, { message: "hello" });
    assert.equal((await postHook("ci", { ...good, body: JSON.stringify({ message: "HELLO" }) })).status, 401);
    assert.equal((await postHook("ci", signed(opsSecret, { message: "hello" }))).status, 401);
    assert.equal((await postHook("ci", signed(ciSecret, { message: "hello" }, { at: new Date(Date.now() - 6 * 60_000) }))).status, 401);
    assert.equal((await postHook("ci", signed(ciSecret, { message: "hello" }, { at: new Date(Date.now() + 6 * 60_000) }))).status, 401);
    const unsigned = await app.request("/v1/hooks/ci", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(unsigned.status, 401);
    assert.equal((await postHook("nope", good)).status, 404);
    assert.equal((await store.list({})).threads.length, count);
  });

  it("a signed payload with a wrong field is a 400 naming it, and can be sent again fixed", async () => {
    for (const [payload, field] of [
      [{ message: 42 }, "message"],
      [{ message: "hi", metadata: "build 42" }, "metadata"],
      [{ threadId: "thr_1", callId: 7, approved: true }, "callId"],
      [{ threadId: "thr_1", callId: "call_1", approved: "yes" }, "approved"],
    ] as const) {
      const response = await postHook("ci", signed(ciSecret, payload, { id: `msg_bad_${field}` }));
      assert.equal(response.status, 400);
      assert.equal(response.body.error.code, "invalid_request");
      assert.ok(response.body.error.message.includes(`at "${field}"`), response.body.error.message);
    }
    assert.equal(
      (await postHook("ci", signed(ciSecret, { message: "hi" }, { id: "msg_bad_message" }))).status,
      201,
      "a refused id is not taken for a duplicate",
    );
  });

  it("a correctly signed body that is not JSON is a 400 saying so, not a 401", async () => {
    const count = (await store.list({})).threads.length;
    const body = "message=hello";
    const id = "msg_not_json";
    const at = new Date();
    const response = await app.request("/v1/hooks/ci", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(ciSecret).sign(id, at, body),
      },
      body,
    });
    assert.equal(response.status, 400);
    const error = ((await response.json()) as any).error;
    assert.equal(error.code, "invalid_request");
    assert.match(error.message, /not valid JSON/);
    assert.equal((await store.list({})).threads.length, count);
  });
});
