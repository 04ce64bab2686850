/** The contract every `ChannelStore` keeps; each implementation runs it from a short test file. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChannelStore } from "../channel-store.ts";

/**
 * @example
 * runChannelStoreConformance({ name: "sqlite", newStore: async () => createSqliteChannelStore({ path: ":memory:" }) });
 */
export function runChannelStoreConformance(options: { name: string; newStore: () => Promise<ChannelStore> }): void {
  describe(`ChannelStore conformance: ${options.name}`, () => {
    it("claims a key exactly once, even when many claim at once", async () => {
      const store = await options.newStore();
      try {
        const results = await Promise.all(Array.from({ length: 20 }, () => store.claim("tick:1", { n: 1 })));
        assert.equal(results.filter(Boolean).length, 1);
        assert.deepEqual(await store.get("tick:1"), { n: 1 });
      } finally {
        await store.close();
      }
    });

    it("lets an expired claim be taken again", async () => {
      const store = await options.newStore();
      try {
        assert.equal(await store.claim("seen:a", null, { ttlMs: 30 }), true);
        assert.equal(await store.claim("seen:a", null, { ttlMs: 30 }), false);
        await new Promise((resolve) => setTimeout(resolve, 60));
        assert.equal(await store.get("seen:a"), undefined);
        assert.equal(await store.claim("seen:a", null, { ttlMs: 30 }), true);
      } finally {
        await store.close();
      }
    });

    it("a put keeps the key for good, even over a claim that would expire", async () => {
      const store = await options.newStore();
      try {
        assert.equal(await store.claim("delivery:a", { state: "sending" }, { ttlMs: 30 }), true);
        await store.put("delivery:a", { state: "sent" });
        await new Promise((resolve) => setTimeout(resolve, 60));
        assert.deepEqual(await store.get("delivery:a"), { state: "sent" });
        assert.equal(await store.claim("delivery:a", { state: "sending" }, { ttlMs: 30 }), false);
        assert.equal((await store.list("delivery:")).length, 1);
      } finally {
        await store.close();
      }
    });

    it("puts, gets, lists by prefix and deletes", async () => {
      const store = await options.newStore();
      try {
        await store.put("log:1", { state: "pending" });
        await store.put("log:1", { state: "delivered", attempts: [1, 2] });
        await store.put("log:2", "x");
        await store.put("other:1", true);
        assert.deepEqual(await store.get("log:1"), { state: "delivered", attempts: [1, 2] });
        assert.deepEqual((await store.list("log:")).map((record) => record.key).sort(), ["log:1", "log:2"]);
        assert.equal((await store.list("log:", { limit: 1 })).length, 1);
        await store.delete("log:2");
        assert.equal(await store.get("log:2"), undefined);
        assert.equal(await store.claim("log:2"), true);
      } finally {
        await store.close();
      }
    });
  });
}
