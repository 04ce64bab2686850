/**
 * The shared store: Postgres through `pg`, for several server processes on one database.
 *
 * Same rows as the SQLite store (one per event, unique (thread, seq)). Each write is one SQL
 * statement, so it is one transaction and one round trip: `append` locks the thread row
 * (`SELECT … FOR UPDATE`), checks the version and the fencing token, inserts the new events and
 * updates the status together, or does nothing. Lease times come from the database clock, so
 * runners on machines with skewed clocks still agree on when a lease expires.
 */
import {
  ConfigurationError,
  InvalidInputError,
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
  LeaseLostError,
  nextWakeAt,
  StoreUnavailableError,
  ThreadExistsError,
  ThreadNotFoundError,
  VersionConflictError,
} from "agentfold/runtime";
import { migratePostgres, quoteSchema } from "./postgres-migrations.ts";
import { createOwnedPool, unavailableError, type PostgresPool } from "./postgres-pool.ts";
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

export type PostgresStoreOptions = (
  | { /** e.g. `postgres://user@host:5432/db`. The store owns the pool it makes and ends it on `close()`. */ connectionString: string }
  | { /** A `pg.Pool` you own: `close()` leaves it open. Give it an `on("error")` listener. */ pool: PostgresPool }
) & {
  /** The schema holding the tables, created if missing. Default `"agentfold"`. */
  schema?: string;
  /** Told when the database drops an idle connection of a pool the store made. Default: one line on stderr. */
  onConnectionError?: (error: Error) => void;
};

interface SummaryRow {
  key: string;
  id: string;
  agent: string | null;
  status: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  wake_at: Date | null;
}

const summaryOf = (row: SummaryRow): ThreadSummary => ({
  id: row.id,
  agent: row.agent ?? undefined,
  status: row.status as ThreadStatus,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  ...(row.wake_at === null ? {} : { wakeAt: row.wake_at.toISOString() }),
});

/** A thread's row with its events, as `threadColumns` selects it. */
interface ThreadRow {
  id: string;
  agent: string | null;
  metadata: string | null;
  schema_version: number;
  version: number;
  bodies: string[];
  event_schema_version: number | null;
}

/** Statement names by text: each connection parses and plans a statement once, then only binds it. */
const statementNames = new Map<string, string>();

/**
 * The statement as a named prepared statement (pg prepares it on each connection the first time):
 * the store's statements are few and fixed per schema, so each connection parses and plans them
 * once instead of on every call. A pool in front that does not keep sessions (PgBouncer in
 * transaction mode) needs a pool given in, which gets plain statements.
 */
function prepared(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `agentfold_${statementNames.size}`));
  return { name, text } as never;
}

/** The thread of a row. */
function threadOfRow(row: ThreadRow): Thread {
  return threadFromRows(
    { id: row.id, agent: row.agent, metadata: row.metadata, schemaVersion: row.schema_version, version: row.version },
    row.bodies,
    row.event_schema_version ?? 0,
  );
}

/** The thread's next wake time for the `wake_at` column (an ISO 8601 string Postgres parses). */
const wakeAtOf = (thread: Thread): string | null => nextWakeAt(thread.state) ?? null;

/**
 * Rewords a failure to reach the server so it says what to check: a refused or unknown server, a
 * missing database or a bad login is the configuration's; a connection that dropped while the
 * tables were being checked (reset, terminated, timed out) is `StoreUnavailableError`: retry later.
 */
function connectionError(error: unknown, options: PostgresStoreOptions): unknown {
  const code = (error as { code?: string }).code;
  const where = "connectionString" in options ? redact(options.connectionString) : "the given pool";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "3D000" || code === "28P01" || code === "28000") {
    return new ConfigurationError(
      `Cannot use Postgres at ${where}: ${(error as Error).message}. Check that the server is running and the connection string (host, port, database, user) is right.`,
      { cause: error },
    );
  }
  if (unavailableError(error)) {
    return new StoreUnavailableError(
      `Cannot open the Postgres store at ${where}: the connection dropped while its tables were being checked (${(error as Error).message}). Nothing was changed; start again once the server is reachable.`,
      { retryAfterSeconds: 2, cause: error },
    );
  }
  return error;
}

/**
 * Postgres's "this value is not acceptable" errors are the caller's input (an id with a NUL byte, a
 * number out of range), not a fault of the store: an `InvalidInputError` (HTTP 400), never a 500.
 */
const INVALID_VALUE_CODES: Readonly<Record<string, string>> = {
  "22003": "a number is out of range",
  "22021": "text contains a byte Postgres cannot store (such as NUL)",
  "22P02": "a value has the wrong form",
};

function inputError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  const what = code === undefined ? undefined : INVALID_VALUE_CODES[code];
  if (what === undefined) return error;
  return new InvalidInputError(`Invalid input: ${what} (${(error as Error).message}). Check the ids, filters and cursor you passed.`, {
    cause: error,
  });
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

/**
 * A `ThreadStore` in Postgres. Runs pending migrations before it resolves (safe with several
 * processes starting at once).
 *
 * @example
 * import { createPostgresStore } from "@agentfold/stores";
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL! });
 * const lease = await store.acquireLease(threadId, "runner-1", 30_000);
 * if (lease) await store.append(next, { expectedVersion: thread.version, fence: lease.token });
 * await store.close();
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<ThreadStore> {
  const schemaName = options.schema ?? "agentfold";
  const schema = quoteSchema(schemaName);
  const ownsPool = !("pool" in options);
  if ("connectionString" in options && typeof options.connectionString !== "string") {
    throw new ConfigurationError("createPostgresStore needs a connectionString such as postgres://user@host:5432/db, or a pg Pool.");
  }
  // pg is loaded here, not on import: SQLite users need not install it (a pool given in means it is).
  const pool =
    "pool" in options
      ? options.pool
      : await createOwnedPool({
          connectionString: options.connectionString,
          ...(options.onConnectionError === undefined ? {} : { onConnectionError: options.onConnectionError }),
        });
  try {
    await migratePostgres(pool, schemaName);
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => {});
    throw connectionError(error, options);
  }

  const threads = `${schema}.threads`;
  const events = `${schema}.events`;
  /** The thread columns of the row aliased `alias`, with its events in subqueries of the same statement. */
  const threadColumns = (alias: string) =>
    `${alias}.id, ${alias}.agent, ${alias}.metadata, ${alias}.schema_version, ${alias}.version,
     array(SELECT body FROM ${events} WHERE thread_key = ${alias}.key ORDER BY seq) AS bodies,
     (SELECT max(schema_version) FROM ${events} WHERE thread_key = ${alias}.key) AS event_schema_version`;
  let closed = false;
  /**
   * One statement. A thread's own statements are prepared (see `prepared`); the lists are not, so
   * each is planned for its filters' values (a small tenant and a large one want different plans).
   */
  const query = async <Row extends object>(text: string, values: unknown[], plan: "prepared" | "each time" = "prepared") => {
    if (closed) throw new ConfigurationError("This Postgres store was closed; create a new one to keep using it.");
    try {
      // A pool given in is only known to take text (`PostgresPool`); the store's own is pg's, which prepares.
      return (await pool.query<Row>(ownsPool && plan === "prepared" ? prepared(text) : text, values)).rows;
    } catch (error) {
      throw unavailableError(error) ?? inputError(error);
    }
  };
  // A read may go again once when the connection it got had died under it (a restart the pool had
  // not noticed yet): reading twice changes nothing. Writes are never repeated here; their callers
  // retry with the same expected version, which tells them whether the first attempt committed.
  const read = async <Row extends object>(text: string, values: unknown[], plan: "prepared" | "each time" = "prepared") => {
    try {
      return await query<Row>(text, values, plan);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      return query<Row>(text, values, plan);
    }
  };
  const exists = async (threadId: string) => (await read(`SELECT 1 FROM ${threads} WHERE id = $1`, [threadId])).length > 0;

  return {
    async create(thread) {
      const rows = await query<{ created: string }>(
        `WITH created AS (
           INSERT INTO ${threads} (id, agent, metadata, schema_version, status, version, created_at, updated_at, wake_at)
           VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), clock_timestamp(), $8::timestamptz)
           ON CONFLICT (id) DO NOTHING
           RETURNING key
         ), inserted AS (
           INSERT INTO ${events} (thread_key, seq, schema_version, body)
           SELECT created.key, new.ordinality - 1, $4, new.body
           FROM created, unnest($7::text[]) WITH ORDINALITY AS new (body, ordinality)
         )
         SELECT count(*) AS created FROM created`,
        [
          thread.id,
          thread.agent ?? null,
          metadataText(thread),
          WRITE_SCHEMA_VERSION,
          thread.status,
          thread.version,
          eventBodies(thread, 0),
          wakeAtOf(thread),
        ],
      );
      if (rows[0]?.created !== "1") throw new ThreadExistsError(thread.id);
    },

    async append(thread, { expectedVersion, fence, releaseLease }) {
      checkExpectedVersion(thread, expectedVersion);
      checkRelease(fence, releaseLease);
      let rows: { version: number; leased: boolean; lease_token: string; appended: string }[];
      try {
        rows = await query(
          `WITH current AS MATERIALIZED (
             SELECT key, version, lease_owner, lease_token FROM ${threads} WHERE id = $1 FOR UPDATE
           ), allowed AS MATERIALIZED (
             SELECT key FROM current
             WHERE version = $2::integer
               AND ($3::bigint IS NULL OR (lease_owner IS NOT NULL AND lease_token = $3::bigint))
           ), inserted AS (
             INSERT INTO ${events} (thread_key, seq, schema_version, body)
             SELECT allowed.key, $2::integer + new.ordinality - 1, $4, new.body
             FROM allowed, unnest($5::text[]) WITH ORDINALITY AS new (body, ordinality)
           ), updated AS (
             UPDATE ${threads} SET version = $6, status = $7, updated_at = clock_timestamp(), wake_at = $8::timestamptz,
               lease_owner = CASE WHEN $9::boolean THEN NULL ELSE ${threads}.lease_owner END,
               lease_expires_at = CASE WHEN $9::boolean THEN NULL ELSE ${threads}.lease_expires_at END
             FROM allowed WHERE ${threads}.key = allowed.key
             RETURNING 1
           )
           SELECT version, lease_owner IS NOT NULL AS leased, lease_token,
                  (SELECT count(*) FROM updated) AS appended
           FROM current`,
          [
            thread.id,
            expectedVersion,
            fence ?? null,
            WRITE_SCHEMA_VERSION,
            eventBodies(thread, expectedVersion),
            thread.version,
            thread.status,
            wakeAtOf(thread),
            releaseLease === true,
          ],
        );
      } catch (error) {
        // The row lock makes this unreachable; the unique (thread, seq) key is the last line of defence.
        if ((error as { code?: string }).code === "23505") {
          const stored = await query<{ version: number }>(`SELECT version FROM ${threads} WHERE id = $1`, [thread.id]);
          throw new VersionConflictError(thread.id, expectedVersion, stored[0]?.version ?? expectedVersion);
        }
        throw error;
      }
      const row = rows[0];
      if (!row) throw new ThreadNotFoundError(thread.id);
      if (row.appended === "1") return;
      if (fence !== undefined && (!row.leased || Number(row.lease_token) !== fence)) {
        throw new LeaseLostError(thread.id, fence);
      }
      throw new VersionConflictError(thread.id, expectedVersion, row.version);
    },

    async load(threadId) {
      // One statement, one snapshot: the events always match the row's version.
      const rows = await read<ThreadRow>(`SELECT ${threadColumns("t")} FROM ${threads} t WHERE id = $1`, [threadId]);
      const row = rows[0];
      return row ? threadOfRow(row) : undefined;
    },

    async list(listQuery: ThreadListQuery = {}) {
      const limit = listLimit(listQuery);
      checkListFilters(listQuery);
      const conditions: string[] = [];
      const values: unknown[] = [];
      const add = (condition: string, value: unknown) => {
        values.push(value);
        conditions.push(condition.replace("?", `$${values.length}`));
      };
      if (listQuery.status !== undefined) add("status = ?", listQuery.status);
      if (listQuery.agent !== undefined) add("agent = ?", listQuery.agent);
      // A thread without a tenant belongs to the default one (see tenantOf in agentfold/runtime).
      if (listQuery.tenant !== undefined) add(`coalesce(metadata::jsonb ->> 'tenant', '${DEFAULT_TENANT}') = ?`, listQuery.tenant);
      const created = createdRange(listQuery);
      if (created.from !== undefined) add("created_at >= ?::timestamptz", created.from);
      if (created.before !== undefined) add("created_at < ?::timestamptz", created.before);
      if (listQuery.cursor !== undefined) add("key < ?::bigint", decodeCursor(listQuery.cursor).toString());
      values.push(limit + 1);
      const rows = await read<SummaryRow>(
        `SELECT key, id, agent, status, version, created_at, updated_at, wake_at FROM ${threads}
         ${conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`}
         ORDER BY key DESC LIMIT $${values.length}`,
        values,
        "each time",
      );
      // One row more than asked tells whether another page follows.
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        threads: page.map(summaryOf),
        ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.key) } : {}),
      };
    },

    async listDue(dueQuery: DueQuery) {
      const limit = listLimit(dueQuery);
      const rows = await read<SummaryRow>(
        `SELECT key, id, agent, status, version, created_at, updated_at, wake_at FROM ${threads}
         WHERE wake_at IS NOT NULL AND wake_at <= $1::timestamptz
         ORDER BY wake_at, key LIMIT $2`,
        [dueQuery.by.toISOString(), limit],
        "each time",
      );
      return rows.map(summaryOf);
    },

    async acquireLease(threadId, owner, ttlMs, options = {}): Promise<Lease | undefined> {
      checkTtl(ttlMs);
      const load = options.load === true;
      // A concurrent acquire waits for the row lock, then re-checks the WHERE clause against the winner's row.
      // `previous` locks the row and reads its lease as it is when the lock is granted (after any
      // concurrent acquirer commits), so the owner it names is exactly the one this update replaces:
      // a lease still on the row was never released, and another owner's is a takeover.
      const rows = await query<{ lease_token: string; lease_expires_at: Date; previous_owner: string | null } & Partial<ThreadRow>>(
        `WITH previous AS (SELECT lease_owner FROM ${threads} WHERE id = $1 FOR UPDATE)
         UPDATE ${threads} t
         SET lease_owner = $2, lease_token = lease_token + 1,
             lease_expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
         FROM previous
         WHERE t.id = $1 AND (t.lease_owner IS NULL OR t.lease_expires_at <= clock_timestamp() OR t.lease_owner = $2)
         RETURNING t.lease_token, t.lease_expires_at, previous.lease_owner AS previous_owner${load ? `, ${threadColumns("t")}` : ""}`,
        [threadId, owner, ttlMs],
      );
      const row = rows[0];
      if (row) {
        const takenOverFrom = row.previous_owner !== null && row.previous_owner !== owner ? row.previous_owner : undefined;
        const lease: Lease = {
          threadId,
          owner,
          token: Number(row.lease_token),
          expiresAt: row.lease_expires_at.toISOString(),
          ...(takenOverFrom === undefined ? {} : { takenOverFrom }),
        };
        // The events come from the statement's snapshot, the row from its newest version: after
        // waiting for another writer's lock they can differ, and then the holder loads it itself.
        const loaded = row as ThreadRow;
        const thread = load && loaded.bodies.length === loaded.version ? threadOfRow(loaded) : undefined;
        return thread ? { ...lease, thread } : lease;
      }
      if (!(await exists(threadId))) throw new ThreadNotFoundError(threadId);
      return undefined;
    },

    async renewLease(lease, ttlMs) {
      checkTtl(ttlMs);
      const rows = await query<{ lease_expires_at: Date }>(
        `UPDATE ${threads}
         SET lease_expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
         WHERE id = $1 AND lease_owner IS NOT NULL AND lease_token = $2
         RETURNING lease_expires_at`,
        [lease.threadId, lease.token, ttlMs],
      );
      const row = rows[0];
      if (row) return { ...lease, expiresAt: row.lease_expires_at.toISOString() };
      if (!(await exists(lease.threadId))) throw new ThreadNotFoundError(lease.threadId);
      return undefined;
    },

    async releaseLease(lease) {
      await query(`UPDATE ${threads} SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_token = $2`, [
        lease.threadId,
        lease.token,
      ]);
    },

    async close() {
      if (closed) return;
      closed = true;
      if (ownsPool) await pool.end();
    },
  };
}
