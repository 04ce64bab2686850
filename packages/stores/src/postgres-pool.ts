/**
 * The connection pool under the Postgres stores, and what happens when the database goes away.
 *
 * A restart, a failover or a network cut closes the pool's idle connections; `pg` reports that as
 * an 'error' event on the pool, and an 'error' event nobody listens to ends a Node process. A pool
 * made here always has a listener, connects with a deadline, and keeps TCP alive, so an outage
 * turns into `StoreUnavailableError`s (HTTP 503) until the database is back — then the pool simply
 * connects again.
 */
import { StoreUnavailableError } from "agentfold/runtime";
import { loadPg } from "./load-pg.ts";

/** What a query gives back. */
export interface PostgresResult<Row> {
  rows: Row[];
  rowCount: number | null;
}

/** The part of a `pg` client the stores use. */
export interface PostgresClient {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresResult<Row>>;
  release(error?: Error | boolean): void;
}

/**
 * The part of a `pg.Pool` the stores use: pass a `pg.Pool` (give it an `on("error")` listener of
 * your own; a pool the store makes has one). Typed here, not as `pg.Pool`, so that `pg` stays an
 * optional install for people who only use SQLite, and their TypeScript never needs its types.
 */
export interface PostgresPool {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresResult<Row>>;
  connect(): Promise<PostgresClient>;
  end(): Promise<void>;
}

export interface OwnedPoolOptions {
  connectionString: string;
  /** Told about connections the database dropped while idle. Default: one line on stderr. */
  onConnectionError?: (error: Error) => void;
  /** How long to wait for a new connection before the call fails as unavailable. Default 5 s. */
  connectTimeoutMs?: number;
  /** Most connections open at once. Default 10 (pg's). */
  max?: number;
}

/**
 * A pool for a store that owns it.
 *
 * @example
 * const pool = await createOwnedPool({ connectionString: "postgres://postgres@127.0.0.1:5432/agents" });
 */
export async function createOwnedPool(options: OwnedPoolOptions): Promise<PostgresPool> {
  const pg = await loadPg();
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    // Without a deadline a connect during a network cut waits as long as the OS does (minutes).
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // A dead peer behind a silent network is found by keepalive probes instead of never.
    keepAlive: true,
    ...(options.max === undefined ? {} : { max: options.max }),
  });
  const report =
    options.onConnectionError ??
    ((error: Error) =>
      console.error(`agentfold postgres: an idle connection was dropped (${error.message}); new ones will be opened as needed.`));
  // pg has already discarded the broken client when this fires; the next query opens a new one.
  pool.on("error", (error) => report(error));
  return pool as unknown as PostgresPool;
}

/** Postgres SQLSTATE codes that mean "the server cannot serve you now", not "your query is wrong". */
const UNAVAILABLE_STATES = new Set([
  "57P01", // admin_shutdown: terminated by an administrator or a restart
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or in recovery
  "53100", // disk_full
  "53200", // out_of_memory
  "53300", // too_many_connections
  "58030", // io_error
]);

/** Network failures between this process and the database. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/**
 * `StoreUnavailableError` for an error that says the database could not be reached or could not
 * serve, else `undefined`.
 */
export function unavailableError(error: unknown): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : "";
  const unavailable =
    (typeof code === "string" && (code.startsWith("08") || UNAVAILABLE_STATES.has(code) || NETWORK_CODES.has(code))) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      text,
    );
  if (!unavailable) return undefined;
  return new StoreUnavailableError(`Postgres is unavailable (${text || String(code)}); the call was not completed. Retry shortly.`, {
    retryAfterSeconds: 2,
    cause: error,
  });
}
