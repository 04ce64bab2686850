import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError, InvalidInputError, Thread, type ThreadStore } from "agentfold";
import { LeaseLostError, VersionConflictError } from "agentfold/runtime";
import { createPostgresStore, createStore, POSTGRES_MIGRATIONS } from "@agentfold/stores";
import pg from "pg";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";

after(dropSchemas);

/** Two stores with their own pools on one schema: two server processes, as far as Postgres can tell. */
async function twoProcesses(): Promise<[ThreadStore, ThreadStore]> {
  const schema = freshSchema();
  return Promise.all([
    createPostgresStore({ connectionString: postgresUrl, schema }),
    createPostgresStore({ connectionString: postgresUrl, schema }),
  ]);
}

const tick = (writer: string, index: number) => ({ type: "custom" as const, name: "tick", data: { writer, index } });

describe("Postgres store", () => {
  it("migrates once when two processes start at once", async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => createPostgresStore({ connectionString: postgresUrl, schema })));
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const { rows } = await client.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    await client.end();
    assert.deepEqual(
      rows.map((row) => row.version),
      POSTGRES_MIGRATIONS.map((migration) => migration.version),
    );
    await Promise.all(stores.map((store) => store.close()));
  });

  it("answers bad list and load input with InvalidInputError, never a database error", async () => {
    const store = await createPostgresStore({ connectionString: postgresUrl, schema: freshSchema() });
    try {
      await store.create(Thread.start("one", { agent: "calculator" }));
      const invalid = (pattern: RegExp) => (error: unknown) => error instanceof InvalidInputError && pattern.test(error.message);
      // 19 digits: past the largest bigint (Postgres would answer 22003).
      for (const key of ["9999999999999999999", "9223372036854775808"]) {
        await assert.rejects(
          store.list({ cursor: Buffer.from(`k${key}`).toString("base64url") }),
          invalid(/pass the nextCursor of the previous page/),
        );
      }
      const largest = await store.list({ cursor: Buffer.from("k9223372036854775807").toString("base64url") });
      assert.equal(largest.threads.length, 1);
      // NUL (Postgres would answer 22021) and other control characters.
      for (const agent of ["\u0000", "calc\u0000ulator", "calc\nulator"]) {
        await assert.rejects(store.list({ agent }), invalid(/agent filter must be text without control characters/));
      }
      await assert.rejects(store.list({ status: "done\u0000" as "done" }), invalid(/status filter/));
      await assert.rejects(store.load("thr_\u0000"), invalid(/Invalid input: text contains a byte Postgres cannot store/));
      assert.equal((await store.list({ agent: "calculé" })).threads.length, 0);
    } finally {
      await store.close();
    }
  });

  it("lets exactly one append win when two processes race with the same expectedVersion", async () => {
    const [one, two] = await twoProcesses();
    const thread = Thread.start("race");
    await one.create(thread);
    const attempts = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? one : two).append(thread.append([tick(String(i), 0)]), { expectedVersion: 1 }),
    );
    const results = await Promise.allSettled(attempts);
    assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
    for (const result of results) {
      if (result.status === "rejected") assert.ok(result.reason instanceof VersionConflictError, String(result.reason));
    }
    assert.equal((await two.load(thread.id))?.version, 2);
    await Promise.all([one.close(), two.close()]);
  });

  it("keeps every step exactly once when two runners take turns through leases", async () => {
    const [one, two] = await twoProcesses();
    const thread = Thread.start("turns");
    await one.create(thread);
    const stepsPerRunner = 25;
    const runner = async (store: ThreadStore, name: string) => {
      let lost = 0;
      for (let index = 0; index < stepsPerRunner; ) {
        const lease = await store.acquireLease(thread.id, name, 5_000);
        if (!lease) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          continue;
        }
        const current = await store.load(thread.id);
        assert.ok(current);
        try {
          await store.append(current.append([tick(name, index)]), { expectedVersion: current.version, fence: lease.token });
          index++;
        } catch (error) {
          if (!(error instanceof LeaseLostError)) throw error;
          lost++;
        }
        await store.releaseLease(lease);
      }
      return lost;
    };
    await Promise.all([runner(one, "runner-1"), runner(two, "runner-2")]);
    const loaded = await one.load(thread.id);
    assert.equal(loaded?.version, 1 + 2 * stepsPerRunner);
    for (const name of ["runner-1", "runner-2"]) {
      const indexes: number[] = loaded.events.flatMap((event) =>
        event.type === "custom" && (event.data as { writer: string }).writer === name ? [(event.data as { index: number }).index] : [],
      );
      assert.deepEqual(
        indexes,
        Array.from({ length: stepsPerRunner }, (_, i) => i),
      );
    }
    await Promise.all([one.close(), two.close()]);
  });

  it("grants a contended lease to one process, and fences it after a takeover", async () => {
    const [one, two] = await twoProcesses();
    const thread = Thread.start("contended");
    await one.create(thread);
    const leases = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).acquireLease(thread.id, `runner-${i}`, 500)),
    );
    const granted = leases.filter((lease) => lease !== undefined);
    assert.equal(granted.length, 1);
    const first = granted[0];
    assert.ok(first);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const takeover = await two.acquireLease(thread.id, "runner-late", 60_000);
    assert.ok(takeover && takeover.token > first.token);
    // The old holder and the new one race: only the current fence may write.
    const results = await Promise.allSettled([
      one.append(thread.append([tick("old", 0)]), { expectedVersion: 1, fence: first.token }),
      two.append(thread.append([tick("new", 0)]), { expectedVersion: 1, fence: takeover.token }),
    ]);
    assert.equal(results[0].status, "rejected");
    assert.ok(results[0].status === "rejected" && results[0].reason instanceof LeaseLostError);
    assert.equal(results[1].status, "fulfilled");
    const loaded = await one.load(thread.id);
    assert.deepEqual(loaded?.events[1]?.type === "custom" && loaded.events[1].data, { writer: "new", index: 0 });
    await Promise.all([one.close(), two.close()]);
  });

  it("uses a pool it was given without ending it", async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl });
    const store = await createPostgresStore({ pool, schema: freshSchema() });
    await store.create(Thread.start("pooled", { id: "thr_pooled" }));
    await store.close();
    assert.equal((await pool.query("SELECT 1 AS one")).rows[0].one, 1, "the pool still works");
    await pool.end();
  });

  it("opens Postgres from a postgres:// spec", async () => {
    const store = await createStore(postgresUrl, { schema: freshSchema() });
    await store.list({ limit: 1 });
    await store.close();
  });

  it("explains an unreachable server and a bad schema name", async () => {
    await assert.rejects(createPostgresStore({ connectionString: "postgres://postgres:secret@127.0.0.1:1/test" }), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError, String(error));
      assert.match(error.message, /Check that the server is running/);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
    await assert.rejects(createPostgresStore({ connectionString: postgresUrl, schema: "x; drop table" }), ConfigurationError);
  });
});
