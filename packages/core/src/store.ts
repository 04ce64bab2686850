/**
 * `ThreadStore`: where threads live between steps. A paused thread is rows in a store, nothing else.
 *
 * Contract (checked by `runThreadStoreConformance` in `agentfold/testing`):
 * - `append` writes only the new events, atomically, and only if the stored version equals
 *   `expectedVersion`; otherwise it throws `VersionConflictError` and writes nothing.
 * - When a `fence` is given, the append also fails (with `LeaseLostError`) unless that fencing token
 *   is still the newest lease on the thread: a runner that lost its lease cannot write.
 * - `acquireLease` says when it took over another owner's expired, unreleased lease (`takenOverFrom`).
 * - `acquireLease(…, { load: true })` may carry the thread as stored then (`lease.thread`), equal to
 *   what `load` returns; `append` with `releaseLease` frees the lease only when it appends.
 * - `load` returns exactly the events appended, in order, equal after a JSON round trip.
 * - `list` is newest first (by creation), filtered by status, agent, tenant and a creation-time range
 *   (`createdFrom` inclusive, `createdBefore` exclusive), paged by an opaque cursor.
 * - `listDue` finds the threads whose next wake time (`nextWakeAt` of the thread as last created or
 *   appended: a timer, a request's deadline) is at or before a time, earliest first.
 */
import { AgentfoldError } from "./errors.ts";
import type { Thread } from "./thread.ts";
import type { ThreadStatus } from "./thread-state.ts";

export interface ThreadSummary {
  id: string;
  agent: string | undefined;
  status: ThreadStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** When something in the thread falls due next (a timer, a request's deadline); absent when nothing will. */
  wakeAt?: string;
}

export interface DueQuery {
  /** Threads due at or before this time. */
  by: Date;
  /** 1..1000, default 50. */
  limit?: number;
}

export interface ThreadListQuery {
  status?: ThreadStatus;
  agent?: string;
  /**
   * Only threads of this tenant (`metadata.tenant`; a thread without one belongs to `"default"`).
   * Servers pass the caller's tenant, so one tenant never lists another's threads.
   */
  tenant?: string;
  /**
   * Only threads created at or after this time. The range is on creation, the order the list is in,
   * so a range is one unbroken stretch of the list and paging through it never skips or repeats.
   */
  createdFrom?: Date;
  /**
   * Only threads created before this time (exclusive, so `[day, next day)` ranges never overlap).
   * A range that ends before it starts lists nothing.
   */
  createdBefore?: Date;
  /** 1..1000, default 50. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ThreadListPage {
  threads: ThreadSummary[];
  /** Present when there may be more threads after this page. */
  nextCursor?: string;
}

/** The right to advance one thread for a while. `token` increases with every new lease. */
export interface Lease {
  threadId: string;
  owner: string;
  token: number;
  expiresAt: string;
  /**
   * The thread as stored when the lease was taken, read in the same round trip: present only when
   * asked for (`acquireLease(…, { load: true })`) and the store could read it consistently. A
   * holder without it loads the thread itself.
   */
  thread?: Thread;
  /**
   * Present when this lease took over another owner's lease that had expired without being released
   * (its holder stopped, hung or lost the store for longer than the lease lasts): that owner. Absent
   * for a free thread, a released lease, or the same owner taking its own lease again.
   */
  takenOverFrom?: string;
}

export interface AcquireLeaseOptions {
  /** Also read the thread with the lease (`lease.thread`), saving the holder a `load`. */
  load?: boolean;
}

export interface AppendOptions {
  /** The version (event count) the caller read; the append fails if the store moved on. */
  expectedVersion: number;
  /** The fencing token of the caller's lease, when it holds one. */
  fence?: number;
  /**
   * Also release that lease, in the same write: for the holder's last append (the thread stops
   * there), saving the round trip of `releaseLease`. Needs `fence`; when the append is refused, the
   * lease is left as it was.
   */
  releaseLease?: boolean;
}

export interface ThreadStore {
  /** Stores a new thread with the events it already has. Fails if the id exists. */
  create(thread: Thread): Promise<void>;
  /**
   * Appends `thread.events.slice(expectedVersion)`; `thread` is the caller's new thread, whose status
   * is stored beside the events for listing.
   */
  append(thread: Thread, options: AppendOptions): Promise<void>;
  /** The thread, or `undefined` when there is none with this id. */
  load(threadId: string): Promise<Thread | undefined>;
  list(query?: ThreadListQuery): Promise<ThreadListPage>;
  /**
   * Threads with a timer or a request deadline due at or before `by`, earliest first, each with its
   * `wakeAt`: what a runner's sweep wakes. The store keeps the time beside the status on every write.
   */
  listDue(query: DueQuery): Promise<ThreadSummary[]>;
  /** Takes the lease if it is free or expired; `undefined` when another owner holds it. */
  acquireLease(threadId: string, owner: string, ttlMs: number, options?: AcquireLeaseOptions): Promise<Lease | undefined>;
  /** Extends a lease still held; `undefined` when it was lost. */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  releaseLease(lease: Lease): Promise<void>;
  close(): Promise<void>;
}

/** The thread changed since it was read: reload and try again. Maps to HTTP 409. */
export class VersionConflictError extends AgentfoldError {
  readonly threadId: string;
  readonly expectedVersion: number;
  readonly actualVersion: number;
  constructor(threadId: string, expectedVersion: number, actualVersion: number) {
    super(
      "version_conflict",
      `Thread ${threadId} is at version ${actualVersion}, not ${expectedVersion}: it changed since it was read. Reload it and retry.`,
    );
    this.threadId = threadId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** The caller's lease was taken over by another runner: stop working on this thread. */
export class LeaseLostError extends AgentfoldError {
  constructor(threadId: string, fence: number) {
    super("lease_lost", `Lease ${fence} on thread ${threadId} is no longer current; another runner owns the thread now.`);
  }
}

/** No thread with this id. Maps to HTTP 404. */
export class ThreadNotFoundError extends AgentfoldError {
  constructor(threadId: string) {
    super("not_found", `No thread with id ${JSON.stringify(threadId)}.`);
  }
}

/** A thread with this id already exists. */
export class ThreadExistsError extends AgentfoldError {
  constructor(threadId: string) {
    super("thread_exists", `A thread with id ${JSON.stringify(threadId)} already exists.`);
  }
}

/**
 * The store cannot be reached right now (the database restarted, the network dropped, the disk is
 * full): nothing was decided about the call, so it is safe to retry later. Maps to HTTP 503 with a
 * `Retry-After` of `retryAfterSeconds`. A write that failed this way may or may not have committed:
 * retry it with the same `expectedVersion`, and a `VersionConflictError` then means it had.
 */
export class StoreUnavailableError extends AgentfoldError {
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super("store_unavailable", message, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}
