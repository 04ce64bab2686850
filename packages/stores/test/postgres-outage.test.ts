/**
 * The database goes away and comes back: the process stays up, calls made meanwhile fail with
 * StoreUnavailableError (a 503 over HTTP, never a crash), and the same store works again after.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Thread } from "agentfold";
import { StoreUnavailableError } from "agentfold/runtime";
import { createPostgresStore } from "@agentfold/stores";
import pg from "pg";
import { dropSchemas, freshSchema, postgresUrl } from "./postgres-test-database.ts";
import { startTcpProxy } from "./tcp-proxy.ts";

after(dropSchemas);

const target = new URL(postgresUrl);

function throughProxy(port: number, applicationName?: string): string {
  const url = new URL(postgresUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  if (applicationName) url.searchParams.set("application_name", applicationName);
  return url.toString();
}

describe("Postgres store through an outage", () => {
  it("stays up when the link drops under idle connections, fails calls meanwhile, and works again after", async () => {
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const store = await createPostgresStore({ connectionString: throughProxy(proxy.port), schema: freshSchema() });
    try {
      const thread = Thread.start("hello");
      await store.create(thread);
      // Several idle connections in the pool, so the cut hits clients nobody is using.
      await Promise.all(Array.from({ length: 4 }, () => store.load(thread.id)));

      proxy.cut();
      // An idle client's socket error is emitted on the pool; unhandled, it would end this process.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await assert.rejects(store.load(thread.id), (error: unknown) => {
        assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`);
        assert.match((error as Error).message, /Postgres/);
        return true;
      });

      proxy.restore();
      const loaded = await store.load(thread.id);
      assert.equal(loaded?.id, thread.id);
      await store.append(loaded!.append([{ type: "custom", name: "after", data: {} }]), { expectedVersion: loaded!.version });
      assert.equal((await store.load(thread.id))?.events.length, 2, "nothing written before the outage is lost, and writes work again");
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it("stays up when Postgres terminates its backends (a restart, a failover)", async () => {
    const applicationName = `agentfold_outage_${process.pid}`;
    const url = new URL(postgresUrl);
    url.searchParams.set("application_name", applicationName);
    const store = await createPostgresStore({ connectionString: url.toString(), schema: freshSchema() });
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      const thread = Thread.start("hello");
      await store.create(thread);
      await Promise.all(Array.from({ length: 3 }, () => store.load(thread.id)));
      const { rows } = await admin.query<{ terminated: boolean }>(
        "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1",
        [applicationName],
      );
      assert.ok(rows.length > 0 && rows.every((row) => row.terminated), "the store's connections were terminated");
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The pool drops the dead clients and connects again.
      assert.equal((await store.load(thread.id))?.id, thread.id);
    } finally {
      await admin.end();
      await store.close();
    }
  });
  it("opening the store while the link is down is StoreUnavailableError saying to start again, and opens once it is back", async () => {
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    try {
      proxy.cut();
      const schema = freshSchema();
      const failure = await createPostgresStore({ connectionString: throughProxy(proxy.port), schema }).then(
        (store) => store.close().then(() => undefined),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(failure)}`);
      assert.match(
        failure.message,
        /Cannot open the Postgres store at .*the connection dropped while its tables were being checked .*start again once the server is reachable/,
      );
      proxy.restore();
      const store = await createPostgresStore({ connectionString: throughProxy(proxy.port), schema });
      await store.create(Thread.start("after the outage"));
      await store.close();
    } finally {
      await proxy.close();
    }
  });
});
