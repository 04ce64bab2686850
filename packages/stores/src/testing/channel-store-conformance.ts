/** The contract every `ChannelStore` keeps; each implementation runs it from a short test file. */
// TTLs are a few hundred milliseconds and the waits longer: a claim checked right after it was made
// must not expire first on a loaded machine (a Postgres round trip can take tens of milliseconds).
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { InvalidInputError } from "agentfold";
import type { ChannelStore, WebhookDelivery } from "../channel-store.ts";

export interface ChannelStoreConformanceOptions {
  name: string;
  /** A new, empty store for each test. */
  newStore: () => Promise<ChannelStore> | ChannelStore;
  /** Runs once after the suite (drop schemas, delete files). */
  cleanup?: () => Promise<void> | void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @example
 * runChannelStoreConformance({ name: "sqlite", newStore: () => createSqliteChannelStore({ path: ":memory:" }) });
 */
export function runChannelStoreConformance(options: ChannelStoreConformanceOptions): void {
  const withStore = (test: (store: ChannelStore) => Promise<void>) => async () => {
    const store = await options.newStore();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  };

  describe(`ChannelStore conformance: ${options.name}`, () => {
    if (options.cleanup) after(options.cleanup);

    it(
      "claims a delivery exactly once, even when many claim at once",
      withStore(async (store) => {
        const key = { channel: "slack", threadId: "thr_1", callId: "call_1" };
        const results = await Promise.all(Array.from({ length: 20 }, () => store.claimDelivery(key, { ttlMs: 60_000 })));
        assert.equal(results.filter(Boolean).length, 1);
        assert.deepEqual({ ...(await store.getDelivery(key)), updatedAt: "" }, { ...key, state: "sending", record: null, updatedAt: "" });
      }),
    );

    it(
      "lets an expired delivery claim be taken again, but never a sent one",
      withStore(async (store) => {
        const key = { channel: "email", threadId: "thr_1", callId: "call:with:colons" };
        assert.equal(await store.claimDelivery(key, { ttlMs: 250 }), true);
        assert.equal(await store.claimDelivery(key, { ttlMs: 250 }), false);
        await sleep(400);
        assert.equal(await store.claimDelivery(key, { ttlMs: 250 }), true, "the first claimer died: another may send");
        await store.markDelivered(key, { messageId: "<a@b>", references: [] });
        await sleep(400);
        assert.equal(await store.claimDelivery(key, { ttlMs: 250 }), false);
        await store.releaseDelivery(key);
        const delivery = await store.getDelivery(key);
        assert.equal(delivery?.state, "sent", "releasing leaves a sent delivery alone");
        assert.deepEqual(delivery?.record, { messageId: "<a@b>", references: [] });
        assert.ok(!Number.isNaN(Date.parse(delivery.updatedAt)));
      }),
    );

    it(
      "releases an unfinished delivery claim, and lists a thread's deliveries on one channel",
      withStore(async (store) => {
        const first = { channel: "slack", threadId: "thr_1", callId: "a" };
        const second = { channel: "slack", threadId: "thr_1", callId: "b" };
        assert.equal(await store.claimDelivery(first, { ttlMs: 60_000 }), true);
        await store.releaseDelivery(first);
        assert.equal(await store.getDelivery(first), undefined);
        assert.equal(await store.claimDelivery(first, { ttlMs: 60_000 }), true);
        await store.markDelivered(first, { channel: "C1", ts: "1.1" });
        await store.markDelivered(second, null);
        await store.markDelivered({ channel: "email", threadId: "thr_1", callId: "a" }, null);
        await store.markDelivered({ channel: "slack", threadId: "thr_2", callId: "a" }, null);
        const listed = await store.listDeliveries({ channel: "slack", threadId: "thr_1" });
        assert.deepEqual(listed.map((delivery) => [delivery.callId, delivery.state]).sort(), [
          ["a", "sent"],
          ["b", "sent"],
        ]);
        assert.deepEqual(await store.listDeliveries({ channel: "webhook", threadId: "thr_1" }), []);
      }),
    );

    it(
      "keeps origins and links as written, and replaces them",
      withStore(async (store) => {
        const origin = { channel: "email", person: "alex@example.com", data: { messageId: "<m@x>", subject: "Hi", references: ["<r@x>"] } };
        await store.saveOrigin("thr_1", origin);
        assert.deepEqual(await store.getOrigin("thr_1"), origin);
        await store.saveOrigin("thr_1", { ...origin, person: "sam@example.com" });
        assert.equal((await store.getOrigin("thr_1"))?.person, "sam@example.com");
        assert.equal(await store.getOrigin("thr_2"), undefined);
        await store.saveLink({ channel: "slack", externalId: "C1:1.1", threadId: "thr_1" });
        await store.saveLink({ channel: "slack", externalId: "C1:2.2", threadId: "thr_1", callId: "call_1" });
        assert.deepEqual(await store.getLink("slack", "C1:1.1"), { channel: "slack", externalId: "C1:1.1", threadId: "thr_1" });
        assert.deepEqual(await store.getLink("slack", "C1:2.2"), {
          channel: "slack",
          externalId: "C1:2.2",
          threadId: "thr_1",
          callId: "call_1",
        });
        assert.equal(await store.getLink("email", "C1:1.1"), undefined);
        await store.saveLink({ channel: "slack", externalId: "C1:1.1", threadId: "thr_9" });
        assert.equal((await store.getLink("slack", "C1:1.1"))?.threadId, "thr_9");
      }),
    );

    it(
      "claims a key exactly once per kind, lets an expiring one be taken again and releases",
      withStore(async (store) => {
        const results = await Promise.all(Array.from({ length: 20 }, () => store.claim({ kind: "finished", key: "thr_1:7" })));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await store.claim({ kind: "resolved", key: "thr_1:7" }), true, "kinds are separate");
        assert.equal(await store.claim({ kind: "webhook-attempt", key: "msg_1:0", ttlMs: 250 }), true);
        assert.equal(await store.claim({ kind: "webhook-attempt", key: "msg_1:0", ttlMs: 250 }), false);
        await sleep(400);
        assert.equal(await store.claim({ kind: "webhook-attempt", key: "msg_1:0", ttlMs: 250 }), true);
        await sleep(400);
        assert.equal(await store.claim({ kind: "finished", key: "thr_1:7" }), false, "a claim without ttl is kept");
        await store.releaseClaim({ kind: "finished", key: "thr_1:7" });
        assert.equal(await store.claim({ kind: "finished", key: "thr_1:7" }), true);
      }),
    );

    it(
      "sees an inbound id once within its window, and forgets it on request",
      withStore(async (store) => {
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.markSeen({ source: "slack-event", id: "Ev1", ttlMs: 60_000 })),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await store.markSeen({ source: "webhook:ci", id: "Ev1", ttlMs: 60_000 }), true, "sources are separate");
        await store.forgetSeen({ source: "slack-event", id: "Ev1" });
        assert.equal(await store.markSeen({ source: "slack-event", id: "Ev1", ttlMs: 250 }), true);
        assert.equal(await store.markSeen({ source: "slack-event", id: "Ev1", ttlMs: 250 }), false);
        await sleep(400);
        assert.equal(await store.markSeen({ source: "slack-event", id: "Ev1", ttlMs: 250 }), true, "seen again after the window");
      }),
    );

    it(
      "fires each schedule tick once, and never one older than the last",
      withStore(async (store) => {
        const tick = "2026-01-05T09:00:00Z";
        const results = await Promise.all(Array.from({ length: 20 }, () => store.claimTick({ schedule: "reporter:0", tick })));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await store.claimTick({ schedule: "reporter:1", tick }), true, "schedules are separate");
        assert.equal(await store.claimTick({ schedule: "reporter:0", tick: "2026-01-05T08:59:50Z" }), false);
        assert.equal(await store.claimTick({ schedule: "reporter:0", tick: "2026-01-05T09:00:10Z" }), true);
      }),
    );

    it(
      "keeps webhook deliveries and lists the due ones, oldest first",
      withStore(async (store) => {
        const base: WebhookDelivery = {
          id: "msg_1",
          hook: "ops",
          url: "http://127.0.0.1:1/hook",
          type: "approval.requested",
          state: "pending",
          attempts: [],
          body: '{"a":1}',
        };
        await store.saveWebhookDelivery(base);
        await store.saveWebhookDelivery({ ...base, id: "msg_2", nextAttemptAt: new Date(Date.now() + 60_000).toISOString() });
        await store.saveWebhookDelivery({
          ...base,
          id: "msg_3",
          state: "delivered",
          attempts: [{ at: new Date().toISOString(), status: 200 }],
          body: undefined,
        } as WebhookDelivery);
        assert.deepEqual(await store.getWebhookDelivery("msg_1"), base);
        assert.equal(await store.getWebhookDelivery("msg_9"), undefined);
        const now = new Date().toISOString();
        assert.deepEqual(
          (await store.listWebhookDeliveries({ state: "pending", dueBy: now })).map((delivery) => delivery.id),
          ["msg_1"],
        );
        assert.deepEqual(
          (await store.listWebhookDeliveries({ state: "pending" })).map((delivery) => delivery.id),
          ["msg_1", "msg_2"],
        );
        assert.deepEqual(
          (await store.listWebhookDeliveries()).map((delivery) => delivery.id),
          ["msg_1", "msg_2", "msg_3"],
        );
        assert.equal((await store.listWebhookDeliveries({ limit: 1 })).length, 1);
        const attempt = { at: new Date().toISOString(), error: "connect ECONNREFUSED" };
        const retried = { ...base, attempts: [attempt], nextAttemptAt: new Date(Date.now() - 1).toISOString() };
        await store.saveWebhookDelivery(retried);
        assert.deepEqual(await store.getWebhookDelivery("msg_1"), retried);
        assert.deepEqual(
          (await store.listWebhookDeliveries()).map((delivery) => delivery.id),
          ["msg_1", "msg_2", "msg_3"],
          "a replaced delivery keeps its place",
        );
        const { body: _body, nextAttemptAt: _next, ...finished } = retried;
        await store.saveWebhookDelivery({ ...finished, state: "failed" });
        assert.deepEqual(await store.getWebhookDelivery("msg_1"), { ...finished, state: "failed" });
        assert.deepEqual(
          (await store.listWebhookDeliveries({ state: "pending", dueBy: now })).map((delivery) => delivery.id),
          [],
        );
      }),
    );

    it(
      "prunes expired claims and seen ids, and nothing else",
      withStore(async (store) => {
        await store.claim({ kind: "webhook-attempt", key: "msg_1:0", ttlMs: 100 });
        await store.markSeen({ source: "email", id: "<m@x>", ttlMs: 100 });
        await store.claim({ kind: "finished", key: "thr_1:3" });
        await store.markSeen({ source: "email", id: "<n@x>", ttlMs: 60_000 });
        await sleep(300);
        assert.equal(await store.prune(), 2);
        assert.equal(await store.claim({ kind: "finished", key: "thr_1:3" }), false);
        assert.equal(await store.markSeen({ source: "email", id: "<n@x>", ttlMs: 60_000 }), false);
      }),
    );

    it(
      "refuses malformed records with an InvalidInputError naming the field",
      withStore(async (store) => {
        const invalid = (pattern: RegExp) => (error: unknown) => error instanceof InvalidInputError && pattern.test(error.message);
        await assert.rejects(
          store.claimDelivery({ channel: "", threadId: "thr_1", callId: "a" }, { ttlMs: 1000 }),
          invalid(/delivery key at "channel"/),
        );
        await assert.rejects(store.claimDelivery({ channel: "slack", threadId: "thr_1", callId: "a" }, { ttlMs: -1 }), invalid(/ttlMs/));
        await assert.rejects(store.claimTick({ schedule: "reporter:0", tick: "yesterday" }), invalid(/schedule tick at "tick"/));
        await assert.rejects(
          store.saveOrigin("thr_1", { channel: "slack", person: "U1", data: { when: new Date() as never } }),
          invalid(/origin at "data.when"/),
        );
        await assert.rejects(
          store.saveWebhookDelivery({ id: "msg_1", hook: "ops", url: "x", type: "sent" as never, state: "pending", attempts: [] }),
          invalid(/webhook delivery at "type"/),
        );
        await assert.rejects(store.markSeen({ source: "slack-event", id: "Ev1", ttlMs: 0 }), invalid(/seen id at "ttlMs"/));
      }),
    );
  });
}
