/**
 * `createServer`: the HTTP API v1 as a Hono app over a store, some agents and a model, with the runner
 * that advances threads after launches, approvals, answers and messages.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { ConfigurationError, InvalidInputError, Thread, type Agent, type Model, type ThreadStore } from "agentfold";
import {
  THREAD_SCHEMA_VERSION,
  ThreadExistsError,
  ThreadNotFoundError,
  applyHumanAction,
  describeError,
  faultPoint,
  newId,
  tenantMetadata,
  type HumanAction,
} from "agentfold/runtime";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { streamSSE } from "hono/streaming";
import type { Context } from "hono";
import type { z } from "zod";
import { registerAgentsRoute } from "./agents-route.ts";
import { allowedHostsMiddleware, hostPolicy, parseAllowedHosts } from "./allowed-hosts.ts";
import { anonymousCaller, parseApiKeys, type ApiKeysConfig, type Caller } from "./api-keys.ts";
import { checkAgentAllowed, checkDecisionAllowed, checkScopes, checkThreadAllowed, listForCaller } from "./authorization.ts";
import {
  approvalRoute,
  cancelRoute,
  contextRoute,
  forkRoute,
  getRoute,
  healthRoute,
  launchRoute,
  listRoute,
  messageRoute,
  responseRoute,
  streamRoute,
  type threadView,
} from "./api-routes.ts";
import { ApiError, errorResponse } from "./http-errors.ts";
import { checkLaunchReplay, findKeyedEvent, idempotencyKeyOf, idempotencyMetadataKey, launchThreadId, requestHash } from "./idempotency.ts";
import { jsonDepthLimit } from "./json-depth.ts";
import { withThreadSchemas } from "./openapi-thread-schemas.ts";
import { createRunner, type AdvanceOutcome, type Runner, type ThreadChange } from "./runner.ts";
import type { ServerExtension } from "./server-extension.ts";
import { createStreamLimits } from "./stream-limits.ts";
import { streamThread } from "./thread-stream.ts";

export interface ServerOptions {
  store: ThreadStore;
  /** The agents the server runs; threads name theirs by `agent`. */
  agents: readonly Agent[] | Readonly<Record<string, Agent>>;
  model: Model;
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
}

type Env = { Variables: { actor: string; caller: Caller } };
type ThreadView = z.infer<typeof threadView>;

export interface Server {
  /** The Hono app: `app.fetch` for any runtime, `app.request(...)` in tests. */
  app: OpenAPIHono<Env>;
  runner: Runner;
}

function viewOf(thread: Thread): ThreadView {
  return {
    id: thread.id,
    agent: thread.agent ?? null,
    status: thread.status,
    version: thread.version,
    metadata: { ...thread.metadata },
    events: thread.events as unknown as ThreadView["events"],
    pending: thread.pending as unknown as ThreadView["pending"],
  };
}

/** "1 MB", "64 KB" or "1000 bytes": a size as the 413 message names it. */
function byteSize(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

// Not unref'd: a request waiting for its thread keeps the process alive until it is answered.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CORS for the listed origins, with the headers the API reads and sends. */
function corsMiddleware(origins: readonly string[]) {
  for (const origin of origins) {
    let exact: string | undefined;
    try {
      exact = new URL(origin).origin;
    } catch {}
    if (origin !== "*" && exact !== origin) {
      throw new ConfigurationError(`CORS origin ${JSON.stringify(origin)} is invalid: give an origin such as https://inbox.example.com (scheme, host, port; no path or trailing slash), or "*".`);
    }
  }
  if (origins.length === 0) throw new ConfigurationError('cors.origins is empty: list the origins to allow (["https://inbox.example.com"]), or leave cors out to keep it off.');
  return cors({
    origin: origins.includes("*") ? "*" : [...origins],
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"],
    exposeHeaders: ["Location", "Retry-After"],
    maxAge: 600,
  });
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
  const agentList = Array.isArray(options.agents) ? (options.agents as readonly Agent[]) : Object.values(options.agents as Record<string, Agent>);
  const agents = new Map(agentList.map((agent) => [agent.name, agent]));
  const runner =
    options.runner ??
    createRunner({
      store,
      agents: agentList,
      model,
      ...(options.owner === undefined ? {} : { owner: options.owner }),
      ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
      ...(options.leaseWaitMs === undefined ? {} : { leaseWaitMs: options.leaseWaitMs }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
  const apiKeys = options.apiKeys === false ? undefined : parseApiKeys(options.apiKeys ?? process.env.AGENTFOLD_API_KEYS);
  checkScopes(apiKeys, agentList);
  const allowedHosts = parseAllowedHosts(options.allowedHosts ?? process.env.AGENTFOLD_ALLOWED_HOSTS);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const streamLimits = createStreamLimits({ perKey: options.maxStreamsPerKey ?? 100, total: options.maxStreams ?? 1000 });
  if (!model || typeof model.generate !== "function") throw new ConfigurationError("createServer needs a model (an object with generate()).");

  const app = new OpenAPIHono<Env>({
    defaultHook: (result) => {
      if (result.success) return;
      const issues = result.error.issues
        .slice(0, 5)
        .map((issue) => `${[result.target === "json" ? "body" : result.target, ...issue.path].join(".")}: ${issue.message}`)
        .join("; ");
      throw new ApiError(400, "invalid_request", `Invalid request: ${issues}.`);
    },
  });

  app.onError((error, c) => {
    // The client went away while sending its body: nobody reads this answer, and it is not a server failure to log.
    if (c.req.raw.signal.aborted && (error as NodeJS.ErrnoException).code === "ECONNRESET") {
      return c.json({ error: { code: "client_closed", message: "The client closed the connection before its request arrived whole." } }, 400);
    }
    const { status, body, headers } = errorResponse(error);
    if (status >= 500) console.error("agentfold server:", status === 503 ? describeError(error) : error);
    return c.json(body, status, headers);
  });
  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `No route ${c.req.method} ${new URL(c.req.url).pathname}. See GET /openapi.json for the API.` } }, 404),
  );
  // First, for every route (extensions' and the web inbox's too): a refused Host gets no further.
  if (!apiKeys || allowedHosts.length > 0) {
    const policy = hostPolicy({ allowed: allowedHosts, hostname: options.hostname });
    app.use("*", allowedHostsMiddleware(policy, apiKeys ? "as allowedHosts says" : "without API keys"));
  }
  if (options.cors) app.use("*", corsMiddleware(options.cors.origins));
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `The request body is over ${byteSize(maxBodyBytes)}, the most this server accepts (maxBodyBytes: ${maxBodyBytes}); send less.`);
      },
    }),
  );
  // Before any route parses its body, extensions' too: validation, hashing and storing recurse into it (json-depth.ts).
  app.use("*", jsonDepthLimit());
  // Extension routes authenticate their own requests (signatures), so they come before API-key auth.
  for (const extension of options.extensions ?? []) extension.mount({ app, runner, store, agents });
  app.use("/v1/*", async (c, next) => {
    if (!apiKeys) {
      c.set("actor", anonymousCaller.name);
      c.set("caller", anonymousCaller);
      return next();
    }
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const caller = match ? apiKeys.callerOf(match[1]!) : undefined;
    if (!caller) {
      c.header("WWW-Authenticate", 'Bearer realm="agentfold"');
      throw new ApiError(401, "unauthorized", match ? "The API key is not valid." : 'Send an API key: "Authorization: Bearer <key>".');
    }
    c.set("actor", caller.name);
    c.set("caller", caller);
    return next();
  });

  function agentOf(thread: Thread): Agent {
    const agent = agents.get(thread.agent ?? "");
    if (!agent) {
      throw new ApiError(409, "unknown_agent", `Thread ${thread.id} belongs to agent "${thread.agent}", which this server does not run. Agents here: ${[...agents.keys()].join(", ")}.`);
    }
    return agent;
  }

  async function load(threadId: string): Promise<Thread> {
    const thread = await store.load(threadId);
    if (!thread) throw new ThreadNotFoundError(threadId);
    return thread;
  }

  /** The thread, if the caller may see it: another tenant's is a 404 (see authorization.ts). */
  async function loadFor(c: Context<Env>, threadId: string): Promise<Thread> {
    return checkThreadAllowed(c.get("caller"), await load(threadId));
  }

  /** Waits until the runner is done with the thread or `waitSeconds` pass; then the thread as stored. */
  async function settle(threadId: string, settled: Promise<AdvanceOutcome>, waitSeconds: number): Promise<Thread> {
    const deadline = Date.now() + waitSeconds * 1000;
    let elapse = () => {};
    const timeout = new Promise<undefined>((resolve) => (elapse = () => resolve(undefined)));
    const timer = setTimeout(elapse, waitSeconds * 1000);
    const outcome = await Promise.race([settled, timeout]);
    clearTimeout(timer);
    if (outcome?.result === "settled" && outcome.thread) return outcome.thread;
    // Another runner has the thread (or the wait ran out): watch the store until it settles.
    for (;;) {
      const thread = await load(threadId);
      const remaining = deadline - Date.now();
      if (thread.status !== "running" || remaining <= 0) return thread;
      await sleep(Math.min(pollIntervalMs, remaining));
    }
  }

  /** 200 once the thread waits or is finished, 202 while it still runs. */
  function respond(c: Context<Env>, thread: Thread) {
    return c.json(viewOf(thread), thread.status === "running" ? 202 : 200);
  }

  /** Applies a person's change through the runner, then answers like a launch. */
  async function changeAndSettle(threadId: string, waitSeconds: number, change: ThreadChange): Promise<Thread> {
    const { applied, settled } = await runner.change(threadId, change);
    // Stored, not yet answered: the client's keyed retry must find the change already made.
    faultPoint("before-reply");
    if (waitSeconds === 0) return applied;
    return settle(threadId, settled, waitSeconds);
  }

  /**
   * The `Idempotency-Key` of a message or decision: `fields` go on its event, and `replayed(thread)`
   * is true when that event is already in the thread (the request is a retry: nothing is appended).
   * Checked inside the runner's change, under the thread's lease, so two retries at once cannot both
   * append.
   */
  function keyedChange(c: Context<Env>, route: string, params: Record<string, string>, body: unknown) {
    const key = idempotencyKeyOf(c);
    if (key === undefined) return { fields: {}, replayed: (_thread: Thread) => false };
    const hash = requestHash(route, params, body);
    const actor = c.get("actor");
    return {
      fields: { idempotencyKey: key, requestHash: hash },
      replayed: (thread: Thread) => findKeyedEvent(thread, actor, key, hash) !== undefined,
    };
  }

  async function launch(thread: Thread, waitSeconds: number, replay?: { key: string; hash: string }): Promise<Thread> {
    try {
      await store.create(thread);
    } catch (error) {
      if (!replay || !(error instanceof ThreadExistsError)) throw error;
      // A retry of a keyed launch: the thread its first request created is the answer. Advancing it
      // is harmless (the runner takes the lease or finds it held) and picks up a thread whose first
      // process stopped before it could run it.
      const existing = await load(thread.id);
      checkLaunchReplay(existing, replay.key, replay.hash);
      const settled = runner.advance(existing.id);
      if (waitSeconds === 0) return existing;
      return settle(existing.id, settled, waitSeconds);
    }
    const settled = runner.advance(thread.id);
    faultPoint("before-reply");
    if (waitSeconds === 0) return thread;
    return settle(thread.id, settled, waitSeconds);
  }

  /** No `metadata` field at all when there is none, as threads were before tenants. */
  const withMetadata = (metadata: Record<string, unknown>) => (Object.keys(metadata).length === 0 ? {} : { metadata });

  app.openapi(launchRoute, async (c) => {
    const body = c.req.valid("json");
    const wait = c.req.valid("query").wait ?? 30;
    let agent: Agent | undefined;
    if (body.agent === undefined) {
      if (agents.size !== 1) throw new InvalidInputError(`Name the agent to run: "agent" is one of ${[...agents.keys()].join(", ")}.`);
      agent = agentList[0];
    } else {
      agent = agents.get(body.agent);
    }
    if (!agent) throw new InvalidInputError(`Unknown agent "${body.agent}". Agents here: ${[...agents.keys()].join(", ")}.`);
    const caller = c.get("caller");
    checkAgentAllowed(caller, agent.name);
    if (body.message === undefined && (body.events === undefined || body.events.length === 0)) {
      throw new InvalidInputError('Give the thread a "message" or "events" to start from.');
    }
    const at = new Date().toISOString();
    const actor = c.get("actor");
    const key = idempotencyKeyOf(c);
    const replay = key === undefined ? undefined : { key, hash: requestHash("launch", {}, body) };
    // Only user_input and custom events get here (the route schema); who said it is the caller, whatever the body claims.
    const events: Record<string, unknown>[] = (body.events ?? []).map((event) =>
      event.type === "user_input" ? { ...event, at, source: "http", actor } : { ...event, at },
    );
    if (body.message !== undefined) events.push({ type: "user_input", at, text: body.message, actor, source: "http" });
    const thread = Thread.fromJSON({
      schemaVersion: THREAD_SCHEMA_VERSION,
      id: replay ? launchThreadId(actor, replay.key, caller.tenant) : newId("thr"),
      agent: agent.name,
      // The tenant comes from the API key; the route schema refuses a client's `tenant`.
      ...withMetadata({ ...body.metadata, ...tenantMetadata(caller.tenant), ...(replay ? { [idempotencyMetadataKey]: { key: replay.key, requestHash: replay.hash } } : {}) }),
      events,
    });
    // A keyed retry answers with a stored thread: still only one the caller may see (a key's tenant
    // or agents may have changed since the first request).
    const result = checkThreadAllowed(caller, await launch(thread, wait, replay));
    c.header("Location", `/v1/threads/${result.id}`);
    return respond(c, result);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listForCaller(store, c.get("caller"), {
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.agent === undefined ? {} : { agent: query.agent }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return c.json(
      {
        threads: page.threads.map((summary) => ({ ...summary, agent: summary.agent ?? null })),
        ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
      },
      200,
    );
  });

  app.openapi(getRoute, async (c) => c.json(viewOf(await loadFor(c, c.req.valid("param").id)), 200));

  app.openapi(approvalRoute, async (c) => {
    const { id, callId } = c.req.valid("param");
    const body = c.req.valid("json");
    const actor = c.get("actor");
    if (!body.approved && body.args !== undefined) {
      throw new InvalidInputError('"args" edits the arguments of an approval; leave it out when rejecting ("approved": false).');
    }
    await checkDecisionAllowed(runner, c.get("caller"), await loadFor(c, id), callId, body.approved ? "approve" : "reject");
    const keyed = keyedChange(c, "approval", { id, callId }, body);
    const action: HumanAction = body.approved
      ? { type: "approve", callId, actor, comment: body.comment, args: body.args, argsHash: body.argsHash, ...keyed.fields }
      : { type: "reject", callId, actor, comment: body.comment, ...keyed.fields };
    // A retry of a decision already recorded: the thread as it is now, not a 409 "already decided".
    const thread = await changeAndSettle(id, c.req.valid("query").wait ?? 30, (current, agent) => (keyed.replayed(current) ? current : applyHumanAction(agent, current, action)));
    return respond(c, thread);
  });

  app.openapi(responseRoute, async (c) => {
    const { id, callId } = c.req.valid("param");
    const { text } = c.req.valid("json");
    const actor = c.get("actor");
    await checkDecisionAllowed(runner, c.get("caller"), await loadFor(c, id), callId, "answer");
    const keyed = keyedChange(c, "response", { id, callId }, { text });
    const action: HumanAction = { type: "respond", callId, actor, text, ...keyed.fields };
    const thread = await changeAndSettle(id, c.req.valid("query").wait ?? 30, (current, agent) => (keyed.replayed(current) ? current : applyHumanAction(agent, current, action)));
    return respond(c, thread);
  });

  app.openapi(messageRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { text } = c.req.valid("json");
    const actor = c.get("actor");
    await loadFor(c, id);
    const keyed = keyedChange(c, "message", { id }, { text });
    const action: HumanAction = { type: "message", text, actor, source: "http", ...keyed.fields };
    const thread = await changeAndSettle(id, c.req.valid("query").wait ?? 30, (current, agent) => (keyed.replayed(current) ? current : applyHumanAction(agent, current, action)));
    return respond(c, thread);
  });

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    agentOf(await loadFor(c, id));
    const thread = await runner.cancel(id, { actor: c.get("actor"), ...(reason === undefined ? {} : { reason }) });
    return c.json(viewOf(thread), 200);
  });

  app.openapi(forkRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { atEvent } = c.req.valid("json");
    // The fork keeps the source's metadata, its tenant included.
    const source = await loadFor(c, id);
    agentOf(source);
    // Core checks `atEvent` against the thread (InvalidInputError: 400) and re-opens approvals that had
    // not taken effect before the cut: a fork never runs a call on the original's approval.
    const forked = source.fork(atEvent, { metadata: { forkedBy: c.get("actor") } });
    const result = await launch(forked, c.req.valid("query").wait ?? 30);
    c.header("Location", `/v1/threads/${result.id}`);
    return respond(c, result);
  });

  app.openapi(contextRoute, async (c) => {
    const thread = await loadFor(c, c.req.valid("param").id);
    const agent = agentOf(thread);
    // The output mode follows core's rule (the agent's, else the model's preference); render reports it.
    const { messages, context, tokens, mode } = agent.render(thread, { model });
    return c.json({ messages, context, tokens, mode }, 200);
  });

  app.openapi(streamRoute, async (c) => {
    const { id } = c.req.valid("param");
    const lastEventId = c.req.valid("header")["last-event-id"];
    const after = lastEventId === undefined ? (c.req.valid("query").after ?? 0) : Number(lastEventId);
    await loadFor(c, id);
    const release = streamLimits.acquire(c.get("actor"));
    try {
      return streamSSE(c, async (stream) => {
        // The slot is freed when the stream ends for any reason: the client went away (streamThread
        // returns on abort) or writing failed.
        try {
          await streamThread(stream, { store, runner, threadId: id, after, pollIntervalMs: Math.max(pollIntervalMs, 250), keepAliveMs: 15_000 });
        } finally {
          release();
        }
      });
    } catch (error) {
      release();
      throw error;
    }
  });

  app.openapi(healthRoute, (c) => c.json({ ok: true }, 200));
  registerAgentsRoute(app, agentList);

  const documentConfig = {
    openapi: "3.1.0",
    info: {
      title: "agentfold HTTP API",
      version: "1",
      description: "Launch, inspect, approve, answer, message, cancel and fork agent threads. Errors are { error: { code, message } }.",
    },
  };
  // OpenAPI 3.1, whose schemas are JSON Schema 2020-12 like the ones core's event schema gives.
  app.get("/openapi.json", (c) => c.json(withThreadSchemas(app.getOpenAPI31Document(documentConfig))));

  return { app, runner };
}
