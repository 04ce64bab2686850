/**
 * A full disk or an I/O error under the SQLite store is a StoreUnavailableError (HTTP 503 with
 * Retry-After), not an unexplained failure (500). The mapping is checked with errors as node:sqlite
 * makes them, and, where this process may mount a small tmpfs (root on Linux), on a disk that really
 * fills up.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Thread } from "agentfold";
import { StoreUnavailableError, VersionConflictError } from "agentfold/runtime";
import { createSqliteStore } from "@agentfold/stores";
import { sqliteFault } from "../src/sqlite-store.ts";

/** An error shaped as node:sqlite throws them: code ERR_SQLITE_ERROR, the (extended) result code and its text. */
const sqliteError = (errcode: number, errstr: string) => Object.assign(new Error(errstr), { code: "ERR_SQLITE_ERROR", errcode, errstr });

describe("SQLite disk faults", () => {
  it("node:sqlite's errors carry code, errcode and errstr, as the mapping expects", () => {
    const db = new DatabaseSync(":memory:");
    db.exec("CREATE TABLE t (x INTEGER PRIMARY KEY)");
    db.exec("INSERT INTO t VALUES (1)");
    assert.throws(
      () => db.exec("INSERT INTO t VALUES (1)"),
      (error: unknown) => {
        const { code, errcode, errstr } = error as { code: string; errcode: number; errstr: string };
        assert.equal(code, "ERR_SQLITE_ERROR");
        assert.equal(errcode & 0xff, 19, "SQLITE_CONSTRAINT");
        assert.equal(typeof errstr, "string");
        assert.equal(sqliteFault(error, "x.db"), error, "a constraint is not a disk fault");
        return true;
      },
    );
    db.close();
  });

  it("a full disk (SQLITE_FULL) becomes StoreUnavailableError with a Retry-After and what to do", () => {
    const cause = sqliteError(13, "database or disk is full");
    const mapped = sqliteFault(cause, "/data/agentfold.db");
    assert.ok(mapped instanceof StoreUnavailableError);
    assert.equal(mapped.code, "store_unavailable");
    assert.equal(mapped.retryAfterSeconds, 30);
    assert.equal(mapped.cause, cause);
    assert.equal(
      mapped.message,
      'The disk holding the SQLite database "/data/agentfold.db" is full (database or disk is full); nothing was stored. Free some space, then retry.',
    );
  });

  it("I/O errors (SQLITE_IOERR and its extended codes) become StoreUnavailableError", () => {
    for (const errcode of [10, 10 | (3 << 8) /* IOERR_WRITE */, 10 | (4 << 8) /* IOERR_FSYNC */]) {
      const mapped = sqliteFault(sqliteError(errcode, "disk I/O error"), "agentfold.db");
      assert.ok(mapped instanceof StoreUnavailableError, String(errcode));
      assert.match(mapped.message, /met a disk I\/O error \(disk I\/O error\); the call did not complete\. Check the disk, then retry\./);
      assert.equal(mapped.retryAfterSeconds, 5);
    }
  });

  it("other errors pass through unchanged", () => {
    const corrupt = sqliteError(11, "database disk image is malformed");
    const plain = new Error("not from SQLite");
    const conflict = new VersionConflictError("thr_1", 1, 2);
    const noCode = Object.assign(new Error("disk full?"), { errcode: 13 });
    for (const error of [corrupt, plain, conflict, noCode, undefined, null, "text"]) assert.equal(sqliteFault(error, "x.db"), error);
  });

  it("a write lock held by another connection past the busy timeout is StoreUnavailableError, and writes work once it is free", async () => {
    const directory = mkdtempSync(join(tmpdir(), "agentfold-busy-"));
    const path = join(directory, "agentfold.db");
    const store = createSqliteStore({ path, busyTimeoutMs: 50 });
    const other = new DatabaseSync(path);
    try {
      const thread = Thread.start("wait for the lock", { agent: "a" });
      await store.create(thread);
      other.exec("BEGIN IMMEDIATE");
      const next = thread.append([{ type: "custom", name: "note", data: "after the lock" }]);
      const failure = await store.append(next, { expectedVersion: thread.version }).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(failure instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(failure)}`);
      assert.equal(failure.retryAfterSeconds, 1);
      assert.match(failure.message, /stayed locked by another connection past the busy timeout \(database is locked\); nothing was stored/);
      other.exec("ROLLBACK");
      await store.append(next, { expectedVersion: thread.version });
      assert.equal((await store.load(thread.id))?.version, next.version);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("on a disk that fills up, writes fail with StoreUnavailableError, reads go on, and writes work again once there is room", async () => {
    const mountPoint = mkdtempSync(join(tmpdir(), "agentfold-full-disk-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint], { stdio: "ignore" });
    } catch (error) {
      rmSync(mountPoint, { recursive: true, force: true });
      // A real full disk is the point of this test: where it cannot be made, that is a failure to
      // fix (run as root on Linux, as CI does), not a pass.
      throw new Error(`This test fills a small tmpfs and needs to mount one (root on Linux): ${(error as Error).message}`);
    }
    const store = createSqliteStore({ path: join(mountPoint, "agentfold.db") });
    try {
      let thread = Thread.start("fill the disk", { agent: "filler" });
      await store.create(thread);
      let failure: unknown;
      for (let index = 0; index < 100 && failure === undefined; index++) {
        const next = thread.append([{ type: "custom", name: "ballast", data: "x".repeat(20_000) }]);
        try {
          await store.append(next, { expectedVersion: thread.version });
          thread = next;
        } catch (error) {
          failure = error;
        }
      }
      assert.ok(failure instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(failure)}`);
      assert.match(failure.message, /is full \(database or disk is full\); nothing was stored/);
      assert.equal((await store.load(thread.id))?.version, thread.version, "what was acknowledged is all there, and reads go on");
      // Room again (a bigger disk): the same store writes again.
      execFileSync("mount", ["-o", "remount,size=4m", mountPoint], { stdio: "ignore" });
      const next = thread.append([{ type: "custom", name: "after", data: "fits now" }]);
      await store.append(next, { expectedVersion: thread.version });
      assert.equal((await store.load(thread.id))?.version, next.version);
    } finally {
      // Closed before the unmount: an open file would keep the tmpfs busy.
      await store.close().catch(() => {});
      execFileSync("umount", [mountPoint], { stdio: "ignore" });
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });
});
