/**
 * What the SQL stores share: argument checks with the same messages as the memory store, the opaque
 * list cursor, and turning stored rows back into a `Thread`.
 */
import { InvalidInputError, Thread, type ThreadListQuery } from "agentfold";
import { InternalError, THREAD_SCHEMA_VERSION } from "agentfold/runtime";

/** The default and largest page sizes of `list`, as in the memory store. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;

/** The `limit` of a list query, checked. */
export function listLimit(query: Pick<ThreadListQuery, "limit">): number {
  const limit = query.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${limit}.`);
  }
  return limit;
}

const CURSOR_PREFIX = "k";

/**
 * The cursor after a thread: its creation sequence number, base64url-encoded so that callers treat
 * it as opaque and the encoding can change without breaking them.
 */
export function encodeCursor(key: number | bigint | string): string {
  return Buffer.from(`${CURSOR_PREFIX}${key}`).toString("base64url");
}

/** The largest creation sequence number: SQLite's INTEGER and Postgres's bigint are both 64-bit signed. */
const MAX_KEY = 2n ** 63n - 1n;

/** The creation sequence number a cursor points after, or an `InvalidInputError`. */
export function decodeCursor(cursor: string): bigint {
  const decoded = typeof cursor === "string" ? Buffer.from(cursor, "base64url").toString() : "";
  const key = decoded.slice(CURSOR_PREFIX.length);
  if (!decoded.startsWith(CURSOR_PREFIX) || !/^[1-9][0-9]{0,18}$/.test(key) || BigInt(key) > MAX_KEY) {
    throw new InvalidInputError(
      `Invalid cursor ${JSON.stringify(cursor)}: pass the nextCursor of the previous page unchanged, or no cursor for the first page.`,
    );
  }
  return BigInt(key);
}

/** Control characters (NUL included) never occur in agent names or statuses; Postgres cannot even compare NUL. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Checks the `status` and `agent` filters of a list query: strings without control characters. */
export function checkListFilters(query: ThreadListQuery): void {
  for (const name of ["status", "agent", "tenant"] as const) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== "string" || CONTROL_CHARACTER.test(value)) {
      throw new InvalidInputError(`The ${name} filter must be text without control characters, got ${JSON.stringify(value)}.`);
    }
  }
}

/** The earliest and latest times a SQL bound is written as: ISO text sorts by time only within years 0-9999, and Postgres has no year 0. */
const EARLIEST = Date.parse("0001-01-01T00:00:00.000Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * The `createdFrom`/`createdBefore` filters of a list query as ISO text, or an `InvalidInputError`
 * for a value that is not a valid `Date`. Bounds are clamped to years 1-9999 (no thread is created
 * outside them), so SQLite's text comparison stays a time comparison and Postgres never sees a time
 * out of its range.
 */
export function createdRange(query: ThreadListQuery): { from?: string; before?: string } {
  const bound = (name: "createdFrom" | "createdBefore") => {
    const value = query[name];
    if (value === undefined) return undefined;
    const time = value instanceof Date ? value.getTime() : Number.NaN;
    if (Number.isNaN(time)) throw new InvalidInputError(`The ${name} filter must be a valid Date, got ${String(value)}.`);
    return new Date(Math.min(Math.max(time, EARLIEST), LATEST)).toISOString();
  };
  const from = bound("createdFrom");
  const before = bound("createdBefore");
  return { ...(from === undefined ? {} : { from }), ...(before === undefined ? {} : { before }) };
}

/** Checks `expectedVersion` against the thread the caller passed (not the stored one). */
/** `releaseLease` names no lease without a fence. */
export function checkRelease(fence: number | undefined, releaseLease: boolean | undefined): void {
  if (releaseLease && fence === undefined) throw new InvalidInputError("releaseLease needs the fence of the lease to release.");
}

export function checkExpectedVersion(thread: Thread, expectedVersion: number): void {
  if (!Number.isInteger(expectedVersion) || expectedVersion < 0 || expectedVersion > thread.version) {
    throw new InvalidInputError(
      `expectedVersion must be an integer from 0 to the thread's version (${thread.version}), got ${expectedVersion}.`,
    );
  }
}

/** Checks a lease duration. */
export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidInputError(`A lease's ttlMs must be a positive number of milliseconds, got ${ttlMs}.`);
  }
}

/** The JSON text of each event from `from` on: one stored row per event. */
export function eventBodies(thread: Thread, from: number): string[] {
  return thread.events.slice(from).map((event) => JSON.stringify(event));
}

/** The stored metadata column: `null` when the thread has none. */
export function metadataText(thread: Thread): string | null {
  return Object.keys(thread.metadata).length === 0 ? null : JSON.stringify(thread.metadata);
}

/** A thread row as both stores read it. */
export interface StoredThread {
  id: string;
  agent: string | null;
  metadata: string | null;
  schemaVersion: number;
  version: number;
}

/**
 * Rebuilds a thread from its row and event rows, validating every event like `Thread.fromJSON`.
 * `schemaVersion` is the newest format any row was written with, so a thread touched by a newer
 * agentfold refuses to load instead of being misread.
 */
export function threadFromRows(row: StoredThread, bodies: readonly string[], schemaVersion: number): Thread {
  if (bodies.length !== row.version) {
    throw new InternalError(
      `Thread ${row.id} records version ${row.version} but has ${bodies.length} stored events; the database was changed outside agentfold.`,
    );
  }
  const head = JSON.stringify({
    schemaVersion: Math.max(schemaVersion, row.schemaVersion, 1),
    id: row.id,
    ...(row.agent === null ? {} : { agent: row.agent }),
  });
  const metadata = row.metadata === null ? "" : `,"metadata":${row.metadata}`;
  return Thread.fromJSON(`${head.slice(0, -1)}${metadata},"events":[${bodies.join(",")}]}`);
}

/** The format version new rows are written with. */
export const WRITE_SCHEMA_VERSION = THREAD_SCHEMA_VERSION;
