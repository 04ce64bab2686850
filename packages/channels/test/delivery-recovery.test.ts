/**
 * What a crash or a restart leaves behind is delivered later: a delivery claimed by a process that
 * died mid-send, and webhook retries whose timers died with their process. Two hubs on one thread
 * store and one channel store stand for two processes (or one before and after a restart).
 */
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { askHuman, defineAgent, doneForNow } from "agentfold";
import { ScriptedModel, createMemoryStore } from "agentfold/testing";
import { createServer } from "@agentfold/server";
import {
  createChannels,
  createMemoryChannelStore,
  webhookChannel,
  type Channel,
  type Channels,
  type WebhookDeliveryLog,
} from "../src/index.ts";
import { sleep, waitFor } from "./support/test-agents.ts";

const asker = defineAgent({ name: "asker", tools: [askHuman(), doneForNow()] });
const askModel = () =>
  new ScriptedModel(
    Array.from(
      { length: 4 },
      (_, turn) => () =>
        turn === 0
          ? { intent: "request_human_input", question: "Ship?", format: "yes_no" }
          : { intent: "done_for_now", message: "shipped" },
    ),
  );
const opsSecret = `whsec_${Buffer.from("ops-secret-for-recovery-tests").toString("base64")}`;

function hub(threads: ReturnType<typeof createMemoryStore>, options: Parameters<typeof createChannels>[0]) {
  const channels = createChannels({ sweepIntervalMs: 0, onError: () => {}, ...options });
  const { app } = createServer({ store: threads, agents: [asker], model: askModel(), apiKeys: false, extensions: [channels] });
  return { channels, app };
}
async function launch(app: ReturnType<typeof createServer>["app"]) {
  const response = await app.request("/v1/threads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: "go" }),
  });
  return (await response.json()) as { id: string; status: string; pending: { callId: string }[] };
}

describe("a delivery claimed by a process that died", () => {
  it("is delivered by another process's sweep once the claim expires, and not before", async () => {
    const threads = createMemoryStore();
    const store = createMemoryChannelStore();
    const routing = [{ send: [{ channel: "pager", people: "anyone" as const }] }];
    // Process 1 claims the delivery, then hangs in the send: as good as dead.
    const hung: Channel = { name: "pager", paths: [], configured: true, deliver: () => new Promise(() => {}) };
    const first = hub(threads, { channels: [hung], routing, store, deliveryClaimTtlMs: 300 });
    const thread = await launch(first.app);
    assert.equal(thread.status, "awaiting_human");
    const key = { channel: "pager", threadId: thread.id, callId: thread.pending[0]!.callId };
    await waitFor("the claim", async () => (await store.getDelivery(key))?.state === "sending");

    const sent: string[] = [];
    const working: Channel = {
      name: "pager",
      paths: [],
      configured: true,
      deliver: async ({ item }) => {
        sent.push(item.callId);
        return { ok: true };
      },
    };
    const second = hub(threads, { channels: [working], routing, store, deliveryClaimTtlMs: 300 });
    await second.channels.sweep();
    assert.deepEqual(sent, [], "while the claim holds, the other process does not send a second copy");

    await sleep(400);
    await second.channels.sweep();
    assert.deepEqual(sent, [thread.pending[0]!.callId]);
    const record = await store.getDelivery(key);
    assert.deepEqual([record?.state, record?.record], ["sent", { ok: true }]);

    // Sent is final: the record no longer expires, and later sweeps send nothing more.
    await sleep(400);
    await second.channels.sweep();
    assert.equal(sent.length, 1);
    assert.deepEqual(await store.getDelivery(key), record);
  });

  it("refuses a delivery claim TTL that is not a positive number", () => {
    assert.throws(() => createChannels({ deliveryClaimTtlMs: 0 }), /deliveryClaimTtlMs/);
  });
});

describe("webhook retries after a restart", () => {
  let receiver: Server;
  let url = "";
  let failing = true;
  const received: { headers: Record<string, string>; body: string }[] = [];
  const open: Channels[] = [];

  before(async () => {
    receiver = createHttpServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        if (failing) return void response.writeHead(503).end();
        received.push({ headers: request.headers as Record<string, string>, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    for (const channels of open) await channels.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it("the sweep of the restarted process resumes a pending delivery and finishes its log", async () => {
    const threads = createMemoryStore();
    const store = createMemoryChannelStore();
    const routing = [{ send: [{ channel: "webhook", people: ["ops"] }] }];
    // Before the restart the next retry is far away; the process stops before it fires.
    const before = hub(threads, {
      channels: [webhookChannel({ hooks: { ops: { secret: opsSecret, url } }, retryDelaysMs: [60_000, 60_000] })],
      routing,
      store,
    });
    const thread = await launch(before.app);
    await before.channels.idle();
    const [pending] = await store.listWebhookDeliveries();
    assert.ok(pending);
    assert.equal(pending.state, "pending");
    assert.equal(pending.attempts.length, 1);
    await before.channels.close();

    failing = false;
    const restarted = hub(threads, {
      channels: [webhookChannel({ hooks: { ops: { secret: opsSecret, url } }, retryDelaysMs: [60_000, 60_000] })],
      routing,
      store,
    });
    open.push(restarted.channels);
    await restarted.channels.sweep();
    assert.equal(received.length, 0, "the retry is not due yet");

    // Its time comes (as if a minute passed): the next sweep sends it.
    await store.saveWebhookDelivery({ ...pending, nextAttemptAt: new Date(Date.now() - 1).toISOString() });
    await restarted.channels.sweep();
    await restarted.channels.idle();
    assert.equal(received.length, 1);
    const payload = new Webhook(opsSecret).verify(received[0]!.body, received[0]!.headers) as { type: string; data: { threadId: string } };
    assert.equal(payload.type, "question.asked");
    assert.equal(payload.data.threadId, thread.id);
    const log: WebhookDeliveryLog | undefined = await store.getWebhookDelivery(pending.id);
    assert.equal(log?.state, "delivered");
    assert.deepEqual(
      log?.attempts.map((attempt) => attempt.status),
      [503, 204],
    );
    assert.equal(log?.body, undefined, "the payload is dropped once delivered");
    assert.deepEqual(await store.listWebhookDeliveries({ state: "pending" }), []);

    await restarted.channels.sweep();
    await restarted.channels.idle();
    assert.equal(received.length, 1, "delivered is final");
  });

  it("two processes resuming the same delivery send it once", async () => {
    const threads = createMemoryStore();
    const store = createMemoryChannelStore();
    const routing = [{ send: [{ channel: "webhook", people: ["ops"] }] }];
    failing = true;
    const first = hub(threads, {
      channels: [webhookChannel({ hooks: { ops: { secret: opsSecret, url } }, retryDelaysMs: [60_000] })],
      routing,
      store,
    });
    await launch(first.app);
    await first.channels.idle();
    await first.channels.close();
    const [entry] = await store.listWebhookDeliveries();
    await store.saveWebhookDelivery({ ...entry!, nextAttemptAt: new Date(0).toISOString() });

    failing = false;
    const count = received.length;
    const hubs = [0, 1].map(() =>
      hub(threads, { channels: [webhookChannel({ hooks: { ops: { secret: opsSecret, url } }, retryDelaysMs: [60_000] })], routing, store }),
    );
    open.push(...hubs.map((each) => each.channels));
    await Promise.all(hubs.map((each) => each.channels.sweep()));
    await Promise.all(hubs.map((each) => each.channels.idle()));
    assert.equal(received.length, count + 1);
    assert.equal((await store.getWebhookDelivery(entry!.id))?.state, "delivered");
  });
});

describe("webhook events filter", () => {
  it("a hook gets only the events it lists, routed requests included", async () => {
    const bodies: string[] = [];
    const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
      bodies.push(String(init?.body));
      return new Response(null, { status: 204 });
    };
    const threads = createMemoryStore();
    const webhooks = webhookChannel({
      hooks: {
        finishedOnly: { secret: opsSecret, url: "http://finished.test/", events: ["thread.finished"] },
        questionsOnly: { secret: opsSecret, url: "http://questions.test/", events: ["question.asked"] },
      },
      fetch: fetch as typeof globalThis.fetch,
    });
    const { channels, app } = hub(threads, {
      channels: [webhooks],
      routing: [{ send: [{ channel: "webhook", people: ["finishedOnly", "questionsOnly"] }] }],
    });
    const thread = await launch(app);
    await channels.idle();
    assert.deepEqual(
      bodies.map((body) => JSON.parse(body).type),
      ["question.asked"],
      "the question goes only to the hook that lists question.asked",
    );

    const answer = await app.request(`/v1/threads/${thread.id}/responses/${thread.pending[0]!.callId}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "yes" }),
    });
    assert.equal(answer.status, 200);
    await waitFor("the thread to finish", async () => (await threads.load(thread.id))?.status === "done");
    await channels.idle();
    assert.deepEqual(
      bodies.map((body) => JSON.parse(body).type),
      ["question.asked", "thread.finished"],
    );
    await channels.close();
  });

  it("an unknown event name is a configuration error", () => {
    assert.throws(
      () => webhookChannel({ hooks: { ops: { secret: opsSecret, url: "http://x.test/", events: ["thread.started" as never] } } }),
      /unknown event "thread.started"/,
    );
  });
});
