import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { ConfigurationError, InvalidInputError, Thread, type NewEvent } from "agentfold";
import { VersionConflictError } from "agentfold/runtime";
import { createMemoryStore } from "agentfold/testing";
import { createSqliteStore, createStore } from "@agentfold/stores";
import { createWriteQueue } from "../src/sqlite-store.ts";

const run = promisify(execFile);
const directory = mkdtempSync(join(tmpdir(), "agentfold-sqlite-"));
after(() => rmSync(directory, { recursive: true, force: true }));
let count = 0;
const freshPath = () => join(directory, `file-${count++}.db`);

/** An event of about 300 bytes of JSON, like a typical tool result. */
const toolResult = (index: number): NewEvent => ({
  type: "tool_result",
  callId: `call_${index}`,
  intent: "lookup",
  result: { index, text: "lorem ipsum dolor sit amet ".repeat(8) },
});

describe("SQLite store", () => {
  it("a write that makes SQLite roll back the whole batch fails the batch with its own error", async () => {
    const db = new DatabaseSync(":memory:");
    db.exec("CREATE TABLE t (x INTEGER)");
    const write = createWriteQueue(db);
    const cause = new Error("disk full (simulated)");
    const results = await Promise.allSettled([
      write(() => db.exec("INSERT INTO t VALUES (1)")),
      write(() => {
        // What SQLite does on some errors (SQLITE_FULL, SQLITE_IOERR): the transaction is gone.
        db.exec("ROLLBACK");
        throw cause;
      }),
    ]);
    assert.deepEqual(
      results.map((result) => result.status),
      ["rejected", "rejected"],
    );
    for (const result of results) assert.equal((result as PromiseRejectedResult).reason, cause);
    assert.equal(db.prepare("SELECT count(*) AS n FROM t").get()?.n, 0, "nothing of the batch was acknowledged or kept");
    assert.equal(db.isTransaction, false);
    await write(() => db.exec("INSERT INTO t VALUES (2)"));
    assert.equal(db.prepare("SELECT count(*) AS n FROM t").get()?.n, 1, "the queue keeps working");
    db.close();
  });

  it("commits without the fsync only a batch whose writes are all non-durable (leases), and returns to synchronous=FULL", async () => {
    const db = new DatabaseSync(freshPath());
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    // 2 is FULL, 1 NORMAL; read inside the transaction, i.e. what its COMMIT will do.
    const level = () => db.prepare("PRAGMA synchronous").get()?.synchronous;
    try {
      const write = createWriteQueue(db);
      assert.equal(await write(level), 2, "a write is durable by default");
      assert.equal(await write(level, { durable: false }), 1);
      assert.equal(level(), 2, "back to FULL after a non-durable batch");
      // One transaction for both: the durable write's fsync covers the lease's frames too.
      assert.deepEqual(await Promise.all([write(level, { durable: false }), write(level)]), [2, 2]);
      await assert.rejects(
        write(
          () => {
            throw new Error("refused");
          },
          { durable: false },
        ),
        /refused/,
      );
      assert.equal(level(), 2, "back to FULL after a failed non-durable batch");
    } finally {
      db.close();
    }
  });

  it("rejects out-of-range cursors and control characters in filters with the same advice as the memory store", async () => {
    const store = createSqliteStore({ path: ":memory:" });
    await store.create(Thread.start("one", { agent: "calculator" }));
    const invalid = (pattern: RegExp) => (error: unknown) => error instanceof InvalidInputError && pattern.test(error.message);
    const advice = /: pass the nextCursor of the previous page unchanged, or no cursor for the first page\.$/;
    for (const key of ["9999999999999999999", "9223372036854775808"]) {
      await assert.rejects(store.list({ cursor: Buffer.from(`k${key}`).toString("base64url") }), invalid(advice));
    }
    await assert.rejects(createMemoryStore().list({ cursor: "nope" }), invalid(advice));
    assert.equal((await store.list({ cursor: Buffer.from("k9223372036854775807").toString("base64url") })).threads.length, 1);
    await assert.rejects(store.list({ agent: "\u0000" }), invalid(/agent filter must be text without control characters/));
    await assert.rejects(store.list({ status: "done\n" as "done" }), invalid(/status filter/));
    await store.close();
  });

  it("keeps threads across close and reopen", async () => {
    const path = freshPath();
    const first = createSqliteStore({ path });
    const thread = Thread.start("remember me", { agent: "a", metadata: { k: "v" } });
    await first.create(thread);
    const next = thread.append([toolResult(1)]);
    await first.append(next, { expectedVersion: 1 });
    const lease = await first.acquireLease(thread.id, "runner-1", 60_000);
    await first.close();

    const second = createSqliteStore({ path });
    assert.deepEqual(JSON.parse(JSON.stringify(await second.load(thread.id))), JSON.parse(JSON.stringify(next)));
    assert.equal(await second.acquireLease(thread.id, "runner-2", 60_000), undefined, "the lease survives too");
    const again = await second.acquireLease(thread.id, "runner-1", 60_000);
    assert.ok(lease && again && again.token > lease.token);
    await second.close();
  });

  it("never loses or duplicates events when two processes append to the same file", async (t) => {
    const path = freshPath();
    const store = createSqliteStore({ path });
    const thread = Thread.start("shared");
    await store.create(thread);
    const perWriter = 200;
    const writers = ["one", "two"];
    const startAt = String(Date.now() + 700);
    const outputs = await Promise.all(
      writers.map((writer) =>
        run(
          process.execPath,
          [join(import.meta.dirname, "fixtures", "sqlite-appender.ts"), path, thread.id, writer, String(perWriter), startAt],
          { timeout: 30_000 },
        ),
      ),
    );
    const loaded = await store.load(thread.id);
    assert.equal(loaded?.version, 1 + 2 * perWriter);
    const ticks = loaded.events.slice(1).map((event) => (event.type === "custom" ? event.data : null) as { writer: string; index: number });
    assert.equal(new Set(ticks.map((tick) => JSON.stringify(tick))).size, 2 * perWriter, "no duplicates");
    for (const writer of writers) {
      const indexes = ticks.filter((tick) => tick.writer === writer).map((tick) => tick.index);
      assert.deepEqual(
        indexes,
        Array.from({ length: perWriter }, (_, i) => i),
        `${writer}'s events, all and in order`,
      );
    }
    const switches = ticks.filter((tick, i) => i > 0 && tick.writer !== ticks[i - 1]?.writer).length;
    t.diagnostic(`writers interleaved ${switches} times; conflicts: ${outputs.map((output) => output.stdout).join(" ")}`);
    await store.close();
  });

  it("grows the file linearly: bytes per event do not rise with thread length", async () => {
    const path = freshPath();
    let store = createSqliteStore({ path });
    let thread = Thread.start("long");
    await store.create(thread);
    // Closing the last connection checkpoints the WAL into the file and removes it.
    const sizeOnDisk = async () => {
      await store.close();
      const size = statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
      store = createSqliteStore({ path });
      return size;
    };
    const base = await sizeOnDisk();
    const sizes = new Map<number, number>();
    for (let index = 1; index <= 1000; index++) {
      const next = thread.append([toolResult(index)]);
      await store.append(next, { expectedVersion: thread.version });
      thread = next;
      if (index === 100 || index === 1000) sizes.set(index, await sizeOnDisk());
    }
    await store.close();
    const perEventAt100 = ((sizes.get(100) ?? 0) - base) / 100;
    const perEventAt1000 = ((sizes.get(1000) ?? 0) - base) / 1000;
    const eventBytes = JSON.stringify(thread.events[1]).length;
    // Rewriting the thread on every append would make the 1000-event figure about 10 times larger.
    assert.ok(perEventAt1000 < perEventAt100 * 2, `per event: ${perEventAt100} B at 100, ${perEventAt1000} B at 1000`);
    assert.ok(perEventAt1000 < eventBytes * 3, `${perEventAt1000} B on disk per ${eventBytes} B event`);
  });

  it("commits concurrent writes together; a failing one rolls back alone", async () => {
    const path = freshPath();
    const store = createSqliteStore({ path });
    const threads = Array.from({ length: 30 }, (_, index) => Thread.start(`thread ${index}`));
    await Promise.all(threads.map((thread) => store.create(thread)));
    // One turn of the event loop: 30 appends, one of them stale, and a lease.
    const results = await Promise.allSettled([
      ...threads.map((thread, index) =>
        store.append(thread.append([{ type: "user_input", text: "more" }]), { expectedVersion: index === 7 ? 0 : 1 }),
      ),
      store.acquireLease(threads[3]!.id, "runner-a", 1000),
    ]);
    assert.equal(results.filter((result) => result.status === "rejected").length, 1);
    const rejected = results[7];
    assert.ok(rejected?.status === "rejected" && rejected.reason instanceof VersionConflictError);
    await store.close();
    // Reopened from disk: every acknowledged write is there, the stale one is not.
    const reopened = createSqliteStore({ path });
    for (const [index, thread] of threads.entries()) {
      assert.equal((await reopened.load(thread.id))?.version, index === 7 ? 1 : 2);
    }
    assert.equal(await reopened.acquireLease(threads[3]!.id, "runner-b", 1000), undefined);
    await reopened.close();
  });

  it("answers status filters from an index", async () => {
    const path = freshPath();
    const store = createSqliteStore({ path });
    await store.close();
    const db = new DatabaseSync(path);
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM threads WHERE status = ? ORDER BY key DESC LIMIT ?")
      .all("running", 51)
      .map((row) => String(row.detail))
      .join("\n");
    db.close();
    assert.match(plan, /threads_by_status/);
    assert.doesNotMatch(plan, /TEMP B-TREE/, "no sort: the index gives the order");
  });

  it("refuses a database written by a newer schema version, saying what to do", async () => {
    const path = freshPath();
    await createSqliteStore({ path }).close();
    const db = new DatabaseSync(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '')").run();
    db.close();
    assert.throws(
      () => createSqliteStore({ path }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.match(error.message, /schema version 99.*Upgrade @agentfold\/stores/);
        return true;
      },
    );
  });

  it("explains a file that is not a SQLite database", () => {
    const path = freshPath();
    writeFileSync(path, "this is not a database, just some text that is long enough to look like a header".repeat(20));
    assert.throws(() => createSqliteStore({ path }), ConfigurationError);
  });
});

describe("createStore", () => {
  it("opens SQLite for a path or a file: URL", async () => {
    for (const spec of [freshPath(), new URL(`file://${freshPath()}`).href]) {
      const store = await createStore(spec);
      await store.create(Thread.start("x", { id: "thr_spec" }));
      assert.equal((await store.load("thr_spec"))?.version, 1);
      await store.close();
    }
  });

  it("rejects other URL schemes and empty specs with the alternatives", async () => {
    await assert.rejects(createStore("mysql://root@localhost/db"), /Unsupported store URL scheme "mysql:".*postgres:\/\//);
    await assert.rejects(createStore("redis://user:secret@host"), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.doesNotMatch(error.message, /secret/, "passwords are not echoed");
      return true;
    });
    await assert.rejects(createStore(""), ConfigurationError);
  });
});
