/**
 * `createServer`: the HTTP API v1 as a Hono app over a store, some agents and a model, with the runner
 * that advances threads after launches, approvals, answers and messages. This file composes the
 * pieces: the app and its guards (api-app.ts, allowed-hosts.ts, cors-origins.ts, body-size.ts,
 * json-depth.ts), the extensions, API-key auth (api-key-auth.ts), then the routes (routes/).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Tracer } from "@opentelemetry/api";
import { ConfigurationError, type Agent, type Model, type ThreadStore } from "agentfold";
import type { DeltaRelay, WorkQueue } from "agentfold/runtime";
import { createApiApp } from "./api-app.ts";
import { apiKeyAuth } from "./api-key-auth.ts";
import { allowedHostsMiddleware, hostPolicy, parseAllowedHosts } from "./allowed-hosts.ts";
import { parseApiKeys, type ApiKeys, type ApiKeysConfig } from "./api-keys.ts";
import { checkScopes } from "./authorization.ts";
import { bodySizeLimit } from "./body-size.ts";
import { corsMiddleware } from "./cors-origins.ts";
import { createDrain, refuseWhileDraining } from "./drain.ts";
import { jsonDepthLimit } from "./json-depth.ts";
import { errorField, type Logger } from "./observability/logs.ts";
import { observeServer } from "./observability/server-observability.ts";
import { registerHumanActionRoutes } from "./routes/human-actions.ts";
import { registerForkAndContextRoutes } from "./routes/fork-and-context.ts";
import { registerMetaRoutes } from "./routes/meta.ts";
import type { ApiApp, Env, RouteContext } from "./routes/route-context.ts";
import { registerStreamRoute } from "./routes/stream.ts";
import { registerUiChatRoute } from "./ui-chat/ui-chat-route.ts";
import { registerThreadRoutes } from "./routes/threads.ts";
import { createRunner, type Runner } from "./runner.ts";
import type { ServerExtension } from "./server-extension.ts";
import { createStreamLimits } from "./stream-limits.ts";

export interface ServerOptions {
  store: ThreadStore;
  /** The agents the server runs; threads name theirs by `agent`. */
  agents: readonly Agent[] | Readonly<Record<string, Agent>>;
  /** The model for agents that name none (`defineAgent({ model })`), and for all when `modelOverridesAgents`. */
  model: Model;
  /** Turns model specs (an agent's, a launch's) into models; `startServer` passes one. */
  resolveModel?: (spec: string) => Model | Promise<Model>;
  /** `model` wins over the agents' own specs (`agentfold serve --model`). Default false. */
  modelOverridesAgents?: boolean;
  /**
   * Model specs a launch may name in `model`, besides its agent's own. Default none: the model is
   * the operator's choice (a spec can point at files or URLs), so a client picks only among these.
   */
  launchModels?: readonly string[];
  /**
   * Bearer API keys: `"name:key,name2:key2"` or `{ name: key }` (unrestricted keys), or
   * `{ name: { key, tenant?, agents?, decide? } }` (also as JSON text) to give a key a tenant, the
   * agents it may launch and read, and the intents it may decide. Default: `AGENTFOLD_API_KEYS`;
   * `false` turns auth off even when that is set. Without keys every request is `anonymous`.
   */
  apiKeys?: ApiKeysConfig | false;
  /**
   * Host names the server answers besides loopback names (`localhost`, `127.0.0.1`, `[::1]`), IP
   * addresses and `hostname`: a list or `"name,name2"`; `.example.com` allows a domain and its
   * subdomains, `*` any host. Default: `AGENTFOLD_ALLOWED_HOSTS`. Without API keys a request for any
   * other `Host` is a 403 `host_not_allowed` (DNS rebinding would otherwise let a web page drive a
   * keyless server on loopback); with API keys `Host` is checked only when this lists names.
   */
  allowedHosts?: readonly string[] | string;
  /** The name the server listens on (`startServer` passes its `hostname`); requests for it are allowed. */
  hostname?: string;
  /** A runner to use instead of a new one (e.g. shared with other servers in one process). */
  runner?: Runner;
  /**
   * How pieces of model replies reach the thread streams (see `RunnerOptions.deltaRelay`): default
   * this process only; `createPostgresDeltaRelay` for several processes on one Postgres. Passed to
   * the runner this creates.
   */
  deltaRelay?: DeltaRelay;
  /**
   * Requests any of several processes may take (timers falling due, threads a closing process let
   * go of; see `RunnerOptions.workQueue`): default none (this process's timers and sweeps);
   * `createPostgresWorkQueue` for several processes on one Postgres. Passed to the runner this creates.
   */
  workQueue?: WorkQueue;
  /** Passed to the runner this creates. */
  leaseTtlMs?: number;
  leaseWaitMs?: number;
  owner?: string;
  /** Largest request body in bytes. Default 1 MB. */
  maxBodyBytes?: number;
  /** How often streams and waits look for appends made by other processes. Default 250 ms. */
  pollIntervalMs?: number;
  /**
   * Open event streams (`GET /v1/threads/:id/stream`) one API key may hold at once; past it a new one
   * is a 429 with `Retry-After`. Without API keys every caller is `anonymous` and shares this. Default 100.
   */
  maxStreamsPerKey?: number;
  /** Open event streams the server holds at once, over all keys. Default 1,000. */
  maxStreams?: number;
  /**
   * Lets web pages on these origins call the API from a browser (`["https://inbox.example.com"]`,
   * or `["*"]` for any). Off by default: no `Access-Control-*` headers, so browsers keep other
   * origins' pages out. Keys still apply: CORS only lets a page send its request.
   */
  cors?: { origins: readonly string[] };
  /** Errors the runner met while advancing threads. Default: logged to stderr. */
  onError?: (error: unknown, threadId: string) => void;
  /** Human channels and triggers (e.g. from `@agentfold/channels`): mounted in order, before API-key auth. */
  extensions?: readonly ServerExtension[];
  /**
   * A pino logger (`createLogger()`, or your own): one JSON line per request, per step, per retry
   * and recovery, and the runner's errors. Default: none (`startServer` makes one).
   */
  logger?: Logger;
  /**
   * Prometheus metrics at `GET /metrics`: `true` (default) behind the API keys (a key limited to
   * agents or a tenant gets a 403), `"open"` for anyone who reaches the server, `false` for none.
   */
  metrics?: boolean | "open";
  /** The tracer spans go to. Default: `trace.getTracer("agentfold")` from `@opentelemetry/api` (no-op until an SDK is registered). */
  tracer?: Tracer;
}

export interface Server {
  /** The Hono app: `app.fetch` for any runtime, `app.request(...)` in tests. */
  app: OpenAPIHono<Env>;
  runner: Runner;
  /**
   * Starts draining (see drain.ts): `/readyz` answers 503, `/v1` requests that would start or change
   * work and new event streams get a 503 `draining`, open event streams end. Reads go on. The runner
   * is not touched: `startServer`'s `close()` then gives its steps `drainTimeoutMs` to finish.
   */
  drain(): void;
  /** Whether `drain()` was called. */
  readonly draining: boolean;
  /**
   * What is mounted where, in the order requests meet it: each extension's paths under its name,
   * then the API's under `api`. For a banner or a log line (`agentfold serve` prints it).
   */
  routeGroups: readonly RouteGroup[];
}

/** The paths one extension (or the API itself) added to the app, each once, in the order added. */
export interface RouteGroup {
  name: string;
  paths: readonly string[];
}

/** The paths of the routes added to `app` since it had `from` routes. */
function pathsSince(app: ApiApp, from: number): string[] {
  return [...new Set(app.routes.slice(from).map((route) => route.path))];
}

/** The runner `options` name, or a new one over the server's store, agents and model. */
function runnerFor(options: ServerOptions, agents: readonly Agent[]): Runner {
  return (
    options.runner ??
    createRunner({
      store: options.store,
      agents,
      model: options.model,
      ...(options.resolveModel === undefined ? {} : { resolveModel: options.resolveModel }),
      ...(options.modelOverridesAgents === undefined ? {} : { modelOverridesAgents: options.modelOverridesAgents }),
      ...(options.owner === undefined ? {} : { owner: options.owner }),
      ...(options.deltaRelay === undefined ? {} : { deltaRelay: options.deltaRelay }),
      ...(options.workQueue === undefined ? {} : { workQueue: options.workQueue }),
      ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
      ...(options.leaseWaitMs === undefined ? {} : { leaseWaitMs: options.leaseWaitMs }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      ...(options.onError === undefined && options.logger
        ? {
            onError: (error: unknown, threadId: string) =>
              options.logger!.error({ thread: threadId, err: errorField(error) }, "runner error"),
          }
        : {}),
    })
  );
}

/** What runs before any route, extensions' and the web inbox's too, in this order. */
function useGuards(app: ApiApp, options: ServerOptions, apiKeys: ApiKeys | undefined, allowedHosts: readonly string[]): void {
  // First: a refused Host gets no further.
  if (!apiKeys || allowedHosts.length > 0) {
    const policy = hostPolicy({ allowed: allowedHosts, hostname: options.hostname });
    app.use("*", allowedHostsMiddleware(policy, apiKeys ? "as allowedHosts says" : "without API keys"));
  }
  if (options.cors) app.use("*", corsMiddleware(options.cors.origins));
  app.use("*", bodySizeLimit(options.maxBodyBytes ?? 1024 * 1024));
  // Before any route parses its body: validation, hashing and storing recurse into it (json-depth.ts).
  app.use("*", jsonDepthLimit());
}

/**
 * Creates the HTTP API. The runner is not started: call `runner.start()` to recover threads left
 * running by a crash (`startServer` does).
 *
 * @example
 * const { app, runner } = createServer({ store: createMemoryStore(), agents: [calculator], model });
 * const response = await app.request("/v1/threads", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ agent: "calculator", message: "divide 3 by 4" }),
 * });
 * (await response.json()).status; // "awaiting_approval"
 */
export function createServer(options: ServerOptions): Server {
  const { store, model } = options;
  const agentList = Array.isArray(options.agents)
    ? (options.agents as readonly Agent[])
    : Object.values(options.agents as Record<string, Agent>);
  const agents = new Map(agentList.map((agent) => [agent.name, agent]));
  const runner = runnerFor(options, agentList);
  const apiKeys = options.apiKeys === false ? undefined : parseApiKeys(options.apiKeys ?? process.env.AGENTFOLD_API_KEYS);
  checkScopes(apiKeys, agentList);
  const allowedHosts = parseAllowedHosts(options.allowedHosts ?? process.env.AGENTFOLD_ALLOWED_HOSTS);
  const streamLimits = createStreamLimits({ perKey: options.maxStreamsPerKey ?? 100, total: options.maxStreams ?? 1000 });
  if (!model || typeof model.generate !== "function")
    throw new ConfigurationError("createServer needs a model (an object with generate()).");

  const app = createApiApp();
  // First, so requests the guards refuse are logged and counted too.
  const registerMetrics = observeServer(app, {
    store,
    runner,
    logger: options.logger,
    metrics: options.metrics ?? true,
    tracer: options.tracer,
    now: () => performance.now(),
  });
  useGuards(app, options, apiKeys, allowedHosts);
  // Extension routes authenticate their own requests (signatures), so they come before API-key auth.
  const routeGroups: RouteGroup[] = [];
  for (const extension of options.extensions ?? []) {
    const before = app.routes.length;
    extension.mount({ app, runner, store, agents });
    routeGroups.push({ name: extension.name, paths: pathsSince(app, before) });
  }
  const drain = createDrain();
  app.use("/v1/*", refuseWhileDraining(drain));
  app.use("/v1/*", apiKeyAuth(apiKeys));

  const launchModels = options.launchModels ?? [];
  const context: RouteContext = {
    store,
    runner,
    model,
    agents,
    agentList,
    launchModels,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    streamLimits,
    streamsEnd: drain.signal,
  };
  const apiStart = app.routes.length;
  registerThreadRoutes(app, context);
  registerHumanActionRoutes(app, context);
  registerForkAndContextRoutes(app, context);
  registerStreamRoute(app, context);
  registerUiChatRoute(app, context);
  registerMetaRoutes(app, agentList, { store, drain });
  registerMetrics(apiKeys);
  routeGroups.push({ name: "api", paths: pathsSince(app, apiStart) });
  return {
    app,
    runner,
    routeGroups,
    drain: () => drain.start(),
    get draining() {
      return drain.draining;
    },
  };
}
