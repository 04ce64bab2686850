/**
 * The embedded default store: one SQLite file through `node:sqlite`.
 *
 * One row per event with a unique (thread, seq) key, so an append writes only the new events and the
 * file grows linearly. WAL mode with `synchronous=FULL` makes every acknowledged append durable;
 * `BEGIN IMMEDIATE` takes the write lock before the version and fence checks, so several processes
 * can share one file safely.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import {
  ConfigurationError,
  type Clock,
  type DueQuery,
  type Lease,
  type Thread,
  type ThreadListQuery,
  type ThreadStatus,
  type ThreadStore,
  type ThreadSummary,
} from "agentfold";
import {
  DEFAULT_TENANT,
  faultPoint,
  LeaseLostError,
  nextWakeAt,
  StoreUnavailableError,
  systemClock,
  ThreadExistsError,
  ThreadNotFoundError,
  VersionConflictError,
} from "agentfold/runtime";
import {
  checkExpectedVersion,
  checkRelease,
  checkListFilters,
  checkTtl,
  decodeCursor,
  encodeCursor,
  eventBodies,
  createdRange,
  listLimit,
  metadataText,
  threadFromRows,
  WRITE_SCHEMA_VERSION,
} from "./store-rows.ts";
import { migrateSqlite, openDatabase } from "./sqlite-migrations.ts";

export interface SqliteStoreOptions {
  /** The database file (created with its directory if missing), or `":memory:"`. */
  path: string;
  /**
   * How long to wait for another connection's write lock before failing, in milliseconds.
   * Default 5000: long enough to ride out another process's commit, short enough to surface a stuck one.
   */
  busyTimeoutMs?: number;
  /** Where timestamps and lease expiry come from. Default: the system clock. */
  clock?: Clock;
}

interface ThreadRow {
  key: number;
  id: string;
  agent: string | null;
  metadata: string | null;
  schema_version: number;
  status: string;
  version: number;
  created_at: string;
  updated_at: string;
  lease_owner: string | null;
  lease_token: number;
  lease_expires_at: number | null;
  wake_at: number | null;
}

/** SQLite's primary result codes for a call that failed for now (extended codes keep them in the low byte). */
const SQLITE_BUSY = 5;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;

/**
 * A `StoreUnavailableError` (HTTP 503 with `Retry-After`) for a node:sqlite error that says the disk
 * failed — full (`SQLITE_FULL`, "database or disk is full") or an I/O error (`SQLITE_IOERR`, "disk
 * I/O error", and its extended codes) — or that another process held the write lock past the busy
 * timeout (`SQLITE_BUSY`, "database is locked") — else the error unchanged. None is the caller's
 * mistake nor a bug: the call can be retried once there is room, the disk is back or the lock is
 * free. Other codes (a constraint, a corrupt file) keep their own errors.
 *
 * @example
 * sqliteFault(Object.assign(new Error("database or disk is full"), { code: "ERR_SQLITE_ERROR", errcode: 13 }), "agentfold.db");
 * // StoreUnavailableError: The disk holding the SQLite database "agentfold.db" is full…
 */
export function sqliteFault(error: unknown, path: string): unknown {
  const { code, errcode, errstr } = (error ?? {}) as { code?: unknown; errcode?: unknown; errstr?: unknown };
  if (code !== "ERR_SQLITE_ERROR" || typeof errcode !== "number") return error;
  const detail = typeof errstr === "string" ? errstr : (error as Error).message;
  switch (errcode & 0xff) {
    case SQLITE_FULL:
      // SQLite rolled the transaction back: nothing of the call was stored.
      return new StoreUnavailableError(
        `The disk holding the SQLite database ${JSON.stringify(path)} is full (${detail}); nothing was stored. Free some space, then retry.`,
        { retryAfterSeconds: 30, cause: error },
      );
    case SQLITE_BUSY:
      // The transaction never began (BEGIN IMMEDIATE waits for the lock), or was rolled back.
      return new StoreUnavailableError(
        `The SQLite database ${JSON.stringify(path)} stayed locked by another connection past the busy timeout (${detail}); nothing was stored. Retry; if it persists, look for a process holding a long write transaction on the file (busyTimeoutMs sets how long to wait).`,
        { retryAfterSeconds: 1, cause: error },
      );
    case SQLITE_IOERR:
      return new StoreUnavailableError(
        `The SQLite database ${JSON.stringify(path)} met a disk I/O error (${detail}); the call did not complete. Check the disk, then retry.`,
        { retryAfterSeconds: 5, cause: error },
      );
    default:
      return error;
  }
}

/** The store with each method's disk faults turned into `StoreUnavailableError`s (see `sqliteFault`). */
export function mapDiskFaults<Store extends object>(store: Store, path: string): Store {
  const fault = (error: unknown): never => {
    throw sqliteFault(error, path);
  };
  const mapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    mapped[name] =
      typeof value !== "function"
        ? value
        : (...args: unknown[]) => {
            try {
              const result: unknown = value.apply(store, args);
              return result instanceof Promise ? result.catch(fault) : result;
            } catch (error) {
              return fault(error);
            }
          };
  }
  return mapped as Store;
}

interface QueuedWrite {
  work: () => unknown;
  /** Whether the write must be on disk when its promise settles (see `WriteOptions`). */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** How a queued write commits. */
export interface WriteOptions {
  /**
   * Default true: the COMMIT waits for the WAL's fsync (`synchronous = FULL`), so what is acknowledged
   * survives a power loss. False (a lease's acquisition, renewal or release): the commit skips that
   * fsync (`synchronous = NORMAL` for that one transaction). Such a write survives the process
   * crashing, as every commit does, and is made durable by the next durable commit on the file, by
   * any connection: the WAL is one file, written in order, and its fsync covers every frame before.
   * Only a power loss (or an OS crash) can lose it, and then only together with every write after
   * it — and with every process on the machine that could have relied on it. See
   * docs/decisions/2026-11-30-cold-start.md.
   */
  durable?: boolean;
}

/**
 * Group commit: writes queued in the same turn of the event loop commit in one transaction, each in
 * its own savepoint (a write that fails — a version conflict, a lost lease — rolls back alone). Under
 * concurrency one fsync covers many appends; a lone write waits one `setImmediate`. Each promise
 * settles only after the COMMIT, so nothing is acknowledged before it is durable. A batch of writes
 * that are all `durable: false` commits without the fsync; the connection is opened with
 * `synchronous = FULL` and returns to it after such a batch.
 */
export function createWriteQueue(db: DatabaseSync): <T>(work: () => T, options?: WriteOptions) => Promise<T> {
  let queue: QueuedWrite[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    // SQLite refuses to change `synchronous` inside a transaction: it is set for the whole batch.
    const lazy = batch.every((item) => !item.durable);
    try {
      if (lazy) db.exec("PRAGMA synchronous = NORMAL");
      db.exec("BEGIN IMMEDIATE");
      for (const item of batch) {
        db.exec("SAVEPOINT queued_write");
        try {
          outcomes.push({ ok: true, value: item.work() });
          db.exec("RELEASE queued_write");
        } catch (error) {
          try {
            db.exec("ROLLBACK TO queued_write");
            db.exec("RELEASE queued_write");
          } catch {
            // SQLite rolled the whole transaction back itself (a full disk, an I/O error): the savepoint
            // is gone and so are the batch's earlier writes. Fail the batch with the cause, not with "no such savepoint".
            throw error;
          }
          outcomes.push({ ok: false, error });
        }
      }
      // A crash with the batch written but not committed: none of it may be acknowledged.
      faultPoint("group-commit", "before-commit");
      db.exec("COMMIT");
      // Committed, but every caller in the batch is told it failed: their retries must find it stored.
      faultPoint("group-commit", "after-commit");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      for (const item of batch) item.reject(error);
      return;
    } finally {
      if (lazy) db.exec("PRAGMA synchronous = FULL");
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  return <T>(work: () => T, options: WriteOptions = {}) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, durable: options.durable ?? true, resolve: resolve as (value: unknown) => void, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

const summaryOf = (row: ThreadRow): ThreadSummary => ({
  id: row.id,
  agent: row.agent ?? undefined,
  status: row.status as ThreadStatus,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  ...(row.wake_at === null ? {} : { wakeAt: new Date(row.wake_at).toISOString() }),
});

/** The thread's next wake time as the `wake_at` column holds it. */
const wakeAtOf = (thread: Thread): number | null => {
  const wakeAt = nextWakeAt(thread.state);
  return wakeAt === undefined ? null : Date.parse(wakeAt);
};

/**
 * A `ThreadStore` in a SQLite file. Safe to share between processes on one machine.
 *
 * Calls are synchronous under the hood (node:sqlite), so a call waiting on another process's write
 * lock blocks this process's event loop for up to `busyTimeoutMs`.
 *
 * @example
 * import { createSqliteStore } from "@agentfold/stores";
 * const store = createSqliteStore({ path: "./data/agentfold.db" });
 * await store.create(Thread.start("hello", { agent: "calculator" }));
 * const { threads } = await store.list({ status: "running" });
 * await store.close();
 */
export function createSqliteStore(options: SqliteStoreOptions): ThreadStore {
  const clock = options.clock ?? systemClock;
  const db = openDatabase(options.path, options.busyTimeoutMs ?? 5000);
  try {
    migrateSqlite(db, options.path);
  } catch (error) {
    db.close();
    throw error;
  }

  const statements = {
    threadById: db.prepare("SELECT * FROM threads WHERE id = ?"),
    insertThread: db.prepare(
      `INSERT INTO threads (id, agent, metadata, schema_version, status, version, created_at, updated_at, wake_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    insertEvent: db.prepare("INSERT INTO events (thread_key, seq, schema_version, body) VALUES (?, ?, ?, ?)"),
    updateThread: db.prepare("UPDATE threads SET version = ?, status = ?, updated_at = ?, wake_at = ? WHERE key = ?"),
    due: db.prepare("SELECT * FROM threads WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at, key LIMIT ?"),
    events: db.prepare("SELECT body, schema_version FROM events WHERE thread_key = ? AND seq < ? ORDER BY seq"),
    acquire: db.prepare(
      `UPDATE threads SET lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?
       WHERE id = ? AND (lease_owner IS NULL OR lease_expires_at <= ? OR lease_owner = ?)
       RETURNING lease_token`,
    ),
    // Read in the acquisition's own write transaction (BEGIN IMMEDIATE): nobody changes it in between.
    leaseOwner: db.prepare("SELECT lease_owner FROM threads WHERE id = ?"),
    renew: db.prepare(`UPDATE threads SET lease_expires_at = ? WHERE id = ? AND lease_owner IS NOT NULL AND lease_token = ?`),
    release: db.prepare("UPDATE threads SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_token = ?"),
  };
  const listStatements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  let closed = false;
  const write = createWriteQueue(db);

  const open = () => {
    if (closed) throw new ConfigurationError("This SQLite store was closed; create a new one to keep using the file.");
  };
  const threadRow = (threadId: string) => statements.threadById.get(threadId) as ThreadRow | undefined;
  const loadThread = (threadId: string): Thread | undefined => {
    const row = threadRow(threadId);
    if (!row) return undefined;
    // Events below the row's version only: a concurrent append from another process cannot tear the read.
    const events = statements.events.all(row.key, row.version) as { body: string; schema_version: number }[];
    const schemaVersion = events.reduce((newest, event) => Math.max(newest, event.schema_version), 0);
    return threadFromRows(
      { id: row.id, agent: row.agent, metadata: row.metadata, schemaVersion: row.schema_version, version: row.version },
      events.map((event) => event.body),
      schemaVersion,
    );
  };
  const insertEvents = (key: number, from: number, bodies: readonly string[]) => {
    for (const [index, body] of bodies.entries()) statements.insertEvent.run(key, from + index, WRITE_SCHEMA_VERSION, body);
  };

  return mapDiskFaults(
    {
      async create(thread) {
        open();
        const bodies = eventBodies(thread, 0);
        const now = clock.now().toISOString();
        await write(() => {
          const { changes, lastInsertRowid } = statements.insertThread.run(
            thread.id,
            thread.agent ?? null,
            metadataText(thread),
            WRITE_SCHEMA_VERSION,
            thread.status,
            thread.version,
            now,
            now,
            wakeAtOf(thread),
          );
          if (changes === 0) throw new ThreadExistsError(thread.id);
          insertEvents(Number(lastInsertRowid), 0, bodies);
        });
      },

      async append(thread, { expectedVersion, fence, releaseLease }) {
        open();
        checkExpectedVersion(thread, expectedVersion);
        checkRelease(fence, releaseLease);
        const bodies = eventBodies(thread, expectedVersion);
        await write(() => {
          const row = threadRow(thread.id);
          if (!row) throw new ThreadNotFoundError(thread.id);
          if (fence !== undefined && (row.lease_owner === null || row.lease_token !== fence)) {
            throw new LeaseLostError(thread.id, fence);
          }
          if (row.version !== expectedVersion) throw new VersionConflictError(thread.id, expectedVersion, row.version);
          insertEvents(row.key, expectedVersion, bodies);
          statements.updateThread.run(thread.version, thread.status, clock.now().toISOString(), wakeAtOf(thread), row.key);
          if (releaseLease) statements.release.run(thread.id, fence!);
        });
      },

      async load(threadId) {
        open();
        return loadThread(threadId);
      },

      async list(query: ThreadListQuery = {}) {
        open();
        const limit = listLimit(query);
        checkListFilters(query);
        const conditions: string[] = [];
        const values: SQLInputValue[] = [];
        if (query.status !== undefined) {
          conditions.push("status = ?");
          values.push(query.status);
        }
        if (query.agent !== undefined) {
          conditions.push("agent = ?");
          values.push(query.agent);
        }
        // A thread without a tenant belongs to the default one (see tenantOf in agentfold/runtime).
        if (query.tenant !== undefined) {
          conditions.push(`coalesce(json_extract(metadata, '$.tenant'), '${DEFAULT_TENANT}') = ?`);
          values.push(query.tenant);
        }
        // created_at is ISO text from toISOString: it sorts as the times do.
        const created = createdRange(query);
        if (created.from !== undefined) {
          conditions.push("created_at >= ?");
          values.push(created.from);
        }
        if (created.before !== undefined) {
          conditions.push("created_at < ?");
          values.push(created.before);
        }
        if (query.cursor !== undefined) {
          conditions.push("key < ?");
          values.push(decodeCursor(query.cursor));
        }
        const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
        const sql = `SELECT * FROM threads ${where} ORDER BY key DESC LIMIT ?`;
        let statement = listStatements.get(sql);
        if (!statement) listStatements.set(sql, (statement = db.prepare(sql)));
        // One row more than asked tells whether another page follows.
        const rows = statement.all(...values, limit + 1) as unknown as ThreadRow[];
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          threads: page.map(summaryOf),
          ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.key) } : {}),
        };
      },

      async listDue(query: DueQuery) {
        open();
        const limit = listLimit(query);
        const rows = statements.due.all(query.by.getTime(), limit) as unknown as ThreadRow[];
        return rows.map(summaryOf);
      },

      async acquireLease(threadId, owner, ttlMs, options = {}): Promise<Lease | undefined> {
        open();
        checkTtl(ttlMs);
        const now = clock.now().getTime();
        const expiresAt = now + ttlMs;
        // Not durable on its own (see WriteOptions): the thread's next append carries it to disk, and
        // a tool, the one effect handed the token (as its fence), runs only after an append (its
        // tool_started) is durable. Lost with the power, it is lost with its holder, before anything
        // was stored or run under its token, so that token being granted again later is harmless.
        const granted = await write(
          () => {
            // A lease still on the row was never released: another owner's is a takeover.
            const previous = (statements.leaseOwner.get(threadId) as { lease_owner: string | null } | undefined)?.lease_owner;
            const row = statements.acquire.get(owner, expiresAt, threadId, now, owner) as { lease_token: number } | undefined;
            return row && { token: row.lease_token, takenOverFrom: previous !== null && previous !== owner ? previous : undefined };
          },
          { durable: false },
        );
        if (granted) {
          const lease: Lease = {
            threadId,
            owner,
            token: granted.token,
            expiresAt: new Date(expiresAt).toISOString(),
            ...(granted.takenOverFrom === undefined ? {} : { takenOverFrom: granted.takenOverFrom }),
          };
          // A local read costs no round trip; it is here so the holder need not ask.
          const thread = options.load ? loadThread(threadId) : undefined;
          return thread ? { ...lease, thread } : lease;
        }
        if (!threadRow(threadId)) throw new ThreadNotFoundError(threadId);
        return undefined;
      },

      async renewLease(lease, ttlMs) {
        open();
        checkTtl(ttlMs);
        const expiresAt = clock.now().getTime() + ttlMs;
        // Not durable on its own, like the acquisition: a renewal lost with the power was its holder's.
        const { changes } = await write(() => statements.renew.run(expiresAt, lease.threadId, lease.token), { durable: false });
        if (changes > 0) return { ...lease, expiresAt: new Date(expiresAt).toISOString() };
        if (!threadRow(lease.threadId)) throw new ThreadNotFoundError(lease.threadId);
        return undefined;
      },

      async releaseLease(lease) {
        open();
        // Not durable on its own: the next durable commit on the file (or the checkpoint when the
        // last connection closes) stores it. Lost with the power, the lease looks held until it
        // expires, as after a crash of its holder; nothing can be stored under it any more.
        await write(() => statements.release.run(lease.threadId, lease.token), { durable: false });
      },

      async close() {
        if (closed) return;
        closed = true;
        // Let writes already queued commit before the file is closed.
        await write(() => undefined);
        db.close();
      },
    },
    options.path,
  );
}
