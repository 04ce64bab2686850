/**
 * An in-memory `ThreadStore`: for tests, examples and single-process scripts. Threads are kept as
 * JSON-round-tripped events so it behaves like a durable store (no shared object references).
 */
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { tenantOf } from "./access.ts";
import { InvalidInputError } from "./errors.ts";
import { Thread } from "./thread.ts";
import { nextWakeAt } from "./timers.ts";
import {
  LeaseLostError,
  ThreadExistsError,
  ThreadNotFoundError,
  VersionConflictError,
  type AppendOptions,
  type DueQuery,
  type Lease,
  type ThreadListPage,
  type ThreadListQuery,
  type ThreadStore,
  type ThreadSummary,
} from "./store.ts";

interface Row {
  thread: Thread;
  summary: ThreadSummary;
  order: number;
  lease?: { owner: string; token: number; expiresAt: number };
  lastToken: number;
}

/**
 * @example
 * const store = createMemoryStore();
 * await store.create(Thread.start("hello"));
 */
export function createMemoryStore(options: { clock?: Clock } = {}): ThreadStore {
  const clock = options.clock ?? systemClock;
  const rows = new Map<string, Row>();
  let order = 0;

  const copy = (thread: Thread) => Thread.fromJSON(JSON.stringify(thread));
  const checkLimit = (limit: number) => {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidInputError(`limit must be an integer from 1 to 1000, got ${limit}.`);
    }
  };
  /** The time of a `createdFrom`/`createdBefore` filter in ms, checked to be a valid `Date`. */
  const checkedTime = (value: Date | undefined, name: string): number | undefined => {
    if (value === undefined) return undefined;
    const time = value instanceof Date ? value.getTime() : Number.NaN;
    if (Number.isNaN(time)) throw new InvalidInputError(`The ${name} filter must be a valid Date, got ${String(value)}.`);
    return time;
  };
  const withWakeAt = (summary: ThreadSummary, thread: Thread): ThreadSummary => {
    const { wakeAt: _previous, ...rest } = summary;
    const wakeAt = nextWakeAt(thread.state);
    return wakeAt === undefined ? rest : { ...rest, wakeAt };
  };
  const rowOf = (threadId: string): Row => {
    const row = rows.get(threadId);
    if (!row) throw new ThreadNotFoundError(threadId);
    return row;
  };

  return {
    async create(thread) {
      if (rows.has(thread.id)) throw new ThreadExistsError(thread.id);
      const now = clock.now().toISOString();
      rows.set(thread.id, {
        thread: copy(thread),
        summary: withWakeAt(
          { id: thread.id, agent: thread.agent, status: thread.status, version: thread.version, createdAt: now, updatedAt: now },
          thread,
        ),
        order: order++,
        lastToken: 0,
      });
    },
    async append(thread, { expectedVersion, fence, releaseLease }: AppendOptions) {
      if (releaseLease && fence === undefined) throw new InvalidInputError("releaseLease needs the fence of the lease to release.");
      if (!Number.isInteger(expectedVersion) || expectedVersion < 0 || expectedVersion > thread.version) {
        throw new InvalidInputError(
          `expectedVersion must be an integer from 0 to the thread's version (${thread.version}), got ${expectedVersion}.`,
        );
      }
      const row = rowOf(thread.id);
      if (fence !== undefined && (row.lastToken !== fence || !row.lease || row.lease.token !== fence)) {
        throw new LeaseLostError(thread.id, fence);
      }
      if (row.thread.version !== expectedVersion) {
        throw new VersionConflictError(thread.id, expectedVersion, row.thread.version);
      }
      const added = JSON.parse(JSON.stringify(thread.events.slice(expectedVersion)));
      row.thread = row.thread.appendEvents(added);
      row.summary = withWakeAt(
        { ...row.summary, status: row.thread.status, version: row.thread.version, updatedAt: clock.now().toISOString() },
        row.thread,
      );
      if (releaseLease) delete row.lease;
    },
    async load(threadId) {
      const row = rows.get(threadId);
      return row ? row.thread : undefined;
    },
    async list(query: ThreadListQuery = {}): Promise<ThreadListPage> {
      const limit = query.limit ?? 50;
      checkLimit(limit);
      let before = Number.POSITIVE_INFINITY;
      if (query.cursor !== undefined) {
        before = /^[0-9]+$/.test(query.cursor) ? Number(query.cursor) : Number.NaN;
        if (!Number.isInteger(before))
          throw new InvalidInputError(
            `Invalid cursor ${JSON.stringify(query.cursor)}: pass the nextCursor of the previous page unchanged, or no cursor for the first page.`,
          );
      }
      const from = checkedTime(query.createdFrom, "createdFrom");
      const until = checkedTime(query.createdBefore, "createdBefore");
      const matching = [...rows.values()]
        .filter((row) => row.order < before)
        .filter((row) => {
          const created = Date.parse(row.summary.createdAt);
          return (from === undefined || created >= from) && (until === undefined || created < until);
        })
        .filter((row) => query.status === undefined || row.summary.status === query.status)
        .filter((row) => query.agent === undefined || row.summary.agent === query.agent)
        .filter((row) => query.tenant === undefined || tenantOf(row.thread.metadata) === query.tenant)
        .sort((a, b) => b.order - a.order);
      const page = matching.slice(0, limit);
      const last = page[page.length - 1];
      return {
        threads: page.map((row) => ({ ...row.summary })),
        ...(matching.length > limit && last ? { nextCursor: String(last.order) } : {}),
      };
    },
    async listDue(query: DueQuery) {
      const limit = query.limit ?? 50;
      checkLimit(limit);
      const by = query.by.getTime();
      return [...rows.values()]
        .filter((row) => row.summary.wakeAt !== undefined && Date.parse(row.summary.wakeAt) <= by)
        .sort((a, b) => Date.parse(a.summary.wakeAt!) - Date.parse(b.summary.wakeAt!) || a.order - b.order)
        .slice(0, limit)
        .map((row) => ({ ...row.summary }));
    },
    async acquireLease(threadId, owner, ttlMs, options = {}) {
      const row = rowOf(threadId);
      const now = clock.now().getTime();
      if (row.lease && row.lease.expiresAt > now && row.lease.owner !== owner) return undefined;
      // A lease still on the row was never released: another owner's is a takeover.
      const takenOverFrom = row.lease && row.lease.owner !== owner ? row.lease.owner : undefined;
      row.lastToken += 1;
      row.lease = { owner, token: row.lastToken, expiresAt: now + ttlMs };
      const lease: Lease = {
        threadId,
        owner,
        token: row.lastToken,
        expiresAt: new Date(row.lease.expiresAt).toISOString(),
        ...(takenOverFrom === undefined ? {} : { takenOverFrom }),
      };
      return options.load ? { ...lease, thread: row.thread } : lease;
    },
    async renewLease(lease, ttlMs) {
      const row = rowOf(lease.threadId);
      if (!row.lease || row.lease.token !== lease.token) return undefined;
      row.lease.expiresAt = clock.now().getTime() + ttlMs;
      return { ...lease, expiresAt: new Date(row.lease.expiresAt).toISOString() };
    },
    async releaseLease(lease) {
      const row = rows.get(lease.threadId);
      if (row?.lease?.token === lease.token) delete row.lease;
    },
    async close() {},
  };
}
