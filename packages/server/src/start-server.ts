/**
 * `startServer`: the API on a real port through @hono/node-server, with the runner recovering
 * threads left running by a crash. Accepts spec strings for the store and the model, as the CLI does.
 */
import type { AddressInfo } from "node:net";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { ConfigurationError, type Model, type ThreadStore } from "agentfold";
import { scriptedModelFromFile, type DeltaRelay, type WorkQueue } from "agentfold/runtime";
import { createPostgresDeltaRelay, createPostgresWorkQueue, createStore } from "@agentfold/stores";
import { answerClientError, answerUnmetExpectation, requestErrorResponse } from "./client-errors.ts";
import { createServer, type Server, type ServerOptions } from "./create-server.ts";

export interface StartServerOptions extends Omit<ServerOptions, "store" | "model" | "deltaRelay" | "workQueue"> {
  /** A store, or a spec: a SQLite file path or a `postgres://` URL. */
  store: ThreadStore | string;
  /**
   * How pieces of model replies reach the thread streams: a relay, or a `postgres://` URL for one
   * over LISTEN/NOTIFY (`createPostgresDeltaRelay`), which `close()` then closes. Default: that URL's
   * relay when `store` is a `postgres://` spec (a stream on any process of the database gets the
   * pieces, so a load balancer needs no sticky sessions), else this process only.
   */
  deltaRelay?: DeltaRelay | string;
  /**
   * Requests any process of the database may take: timers falling due, threads a closing process
   * let go of (see `RunnerOptions.workQueue`). A queue, or a `postgres://` URL for one on pg-boss
   * (`createPostgresWorkQueue`; with pg-boss not installed, one line says so and the sweeps do it),
   * which the runner closes. Default: that URL's queue when `store` is a `postgres://` spec, else
   * none; `false` for none.
   */
  workQueue?: WorkQueue | string | false;
  /** A model, or a spec string such as `script:./replies.json` or `openai:gpt-4o-mini`. */
  model: Model | string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default `127.0.0.1`: loopback only until you choose otherwise. */
  hostname?: string;
  /**
   * Milliseconds a client has to send a whole request, headers and body; past it the request is a
   * 408 and the connection closes, so a client trickling bytes cannot hold a connection for ever.
   * The headers must arrive within 60 s or this, whichever is less. Answers (event streams, `wait`)
   * are not limited by it. Default 300,000 (Node's).
   */
  requestTimeoutMs?: number;
  /**
   * How long `close()` lets steps in progress finish before it aborts them and releases their leases
   * (another process's next sweep goes on with those threads). Default 0: abort at once, as a test
   * wants; `agentfold serve` passes `--drain-timeout` (8 s by default).
   */
  drainTimeoutMs?: number;
}

export interface RunningServer extends Server {
  /** The address it listens on, e.g. `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  store: ThreadStore;
  /**
   * Shuts down gracefully: drains (`/readyz` 503, no new work, event streams end), stops accepting
   * connections, closes the extensions, gives running steps `drainTimeoutMs` to finish, aborts the
   * rest (releasing their leases), closes the remaining connections, and closes the store if it was
   * opened from a spec.
   */
  close(): Promise<void>;
}

/**
 * The work queue of a `postgres://` store, or none, with one line saying so, when pg-boss is not
 * installed: the server then works as before the queue (timers and hand-overs wait for a sweep).
 */
async function postgresWorkQueue(
  connectionString: string,
  onError: ((error: unknown, threadId: string) => void) | undefined,
): Promise<WorkQueue | undefined> {
  try {
    return await createPostgresWorkQueue({ connectionString, ...(onError ? { onError: (error) => onError(error, "*") } : {}) });
  } catch (error) {
    if (!(error instanceof ConfigurationError) || !error.message.includes("npm i pg-boss")) throw error;
    console.error(`agentfold: ${error.message} (until then timers and hand-overs between processes wait for a sweep, within seconds).`);
    return undefined;
  }
}

/** Whether a spec names Postgres (as `createStore` reads it). */
function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/**
 * A model from a spec string: `script:<path.json>` is built in; other specs need `@agentfold/models`.
 *
 * @example
 * const model = await resolveServerModel("script:./test/fixtures/divide.json");
 */
export async function resolveServerModel(spec: string): Promise<Model> {
  if (spec.startsWith("script:")) return scriptedModelFromFile(spec.slice("script:".length));
  let resolveModel: ((spec: string) => Model | Promise<Model>) | undefined;
  try {
    // Loaded only when needed: the provider SDKs are large.
    const models = (await import("@agentfold/models")) as { resolveModel?: (spec: string) => Model | Promise<Model> };
    resolveModel = models.resolveModel;
  } catch (error) {
    throw new ConfigurationError(
      `Model spec "${spec}" needs the @agentfold/models package, which failed to load: ${(error as Error).message}`,
    );
  }
  if (typeof resolveModel !== "function") {
    throw new ConfigurationError(
      `Model spec "${spec}" is not supported by this installation: use "script:<path.json>" or pass a Model object.`,
    );
  }
  return resolveModel(spec);
}

/**
 * Starts the API on a port and the runner's crash recovery.
 *
 * @example
 * const server = await startServer({ store: "./agentfold.db", agents: [calculator], model: "script:replies.json", port: 3000 });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const drainTimeoutMs = options.drainTimeoutMs ?? 0;
  if (!Number.isFinite(drainTimeoutMs) || drainTimeoutMs < 0) {
    throw new ConfigurationError(`drainTimeoutMs must be a number of milliseconds, 0 or more; got ${drainTimeoutMs}.`);
  }
  const ownsStore = typeof options.store === "string";
  const store = typeof options.store === "string" ? await createStore(options.store) : options.store;
  const relaySpec = options.deltaRelay ?? (typeof options.store === "string" && isPostgresUrl(options.store) ? options.store : undefined);
  let ownedRelay: DeltaRelay | undefined;
  let ownedQueue: WorkQueue | undefined;
  let server: Server | undefined;
  let listener: HttpServer | undefined;
  let address: AddressInfo;
  try {
    const model = typeof options.model === "string" ? await resolveServerModel(options.model) : options.model;
    if (typeof relaySpec === "string") {
      if (!isPostgresUrl(relaySpec)) throw new ConfigurationError(`deltaRelay must be a relay or a postgres:// URL; got "${relaySpec}".`);
      ownedRelay = await createPostgresDeltaRelay({
        connectionString: relaySpec,
        ...(options.onError ? { onError: options.onError } : {}),
      });
    }
    const deltaRelay = ownedRelay ?? (typeof relaySpec === "string" ? undefined : relaySpec);
    const queueSpec = options.workQueue ?? (typeof options.store === "string" && isPostgresUrl(options.store) ? options.store : undefined);
    if (typeof queueSpec === "string" && !options.runner) {
      if (!isPostgresUrl(queueSpec)) throw new ConfigurationError(`workQueue must be a queue or a postgres:// URL; got "${queueSpec}".`);
      ownedQueue = await postgresWorkQueue(queueSpec, options.onError);
    }
    const workQueue = ownedQueue ?? (typeof queueSpec === "object" ? queueSpec : undefined);
    const {
      port = 3000,
      hostname = "127.0.0.1",
      requestTimeoutMs = 300_000,
      drainTimeoutMs: _,
      deltaRelay: __,
      workQueue: ___,
      ...rest
    } = options;
    if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1) {
      throw new ConfigurationError(`requestTimeoutMs must be a whole number of milliseconds, at least 1; got ${requestTimeoutMs}.`);
    }
    const timeouts = {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(60_000, requestTimeoutMs),
      // How often Node looks for requests past their timeout: its default, or often enough for a short timeout.
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeoutMs / 4))),
    };
    const created = (server = createServer({
      resolveModel: resolveServerModel,
      ...rest,
      hostname,
      store,
      model,
      ...(deltaRelay ? { deltaRelay } : {}),
      ...(workQueue ? { workQueue } : {}),
    }));
    // An agent's own model that cannot be used stops the start, naming the agent.
    await created.runner.models.checkAgents(created.runner === options.runner ? [] : Object.values(options.agents));
    address = await new Promise<AddressInfo>((resolve, reject) => {
      // As @hono/node-server's serve(), with JSON errors for requests refused before the app runs.
      const started = (listener = createHttpServer(
        timeouts,
        getRequestListener(created.app.fetch, { hostname, errorHandler: requestErrorResponse }),
      ));
      started.on("clientError", answerClientError);
      started.on("checkExpectation", answerUnmetExpectation);
      started.once("error", reject);
      started.listen(port, hostname, () => resolve(started.address() as AddressInfo));
    });
    await created.runner.start();
    for (const extension of options.extensions ?? []) await extension.start?.();
  } catch (error) {
    // A failed start leaves nothing open: no listener, no runner, and no store this opened.
    const opened = listener;
    if (opened?.listening) await new Promise<void>((resolve) => opened.close(() => resolve()));
    await server?.runner.close().catch(() => {});
    // Closed by the runner once it was made; before that, here.
    if (!server) await ownedQueue?.close().catch(() => {});
    await ownedRelay?.close().catch(() => {});
    if (ownsStore) await store.close().catch(() => {});
    throw error;
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    ...server,
    store,
    port: address.port,
    url: `http://${host}:${address.port}`,
    async close() {
      server.drain();
      // No new connections; idle keep-alive ones close, so a client's next request goes elsewhere.
      const closed = new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
      listener?.closeIdleConnections();
      for (const extension of options.extensions ?? []) await extension.close?.();
      await server.runner.close({ graceMs: drainTimeoutMs });
      // Requests still open (a `wait` for a thread this process no longer advances) end here.
      listener?.closeAllConnections();
      await closed;
      await ownedRelay?.close();
      if (ownsStore) await store.close();
    },
  };
}
