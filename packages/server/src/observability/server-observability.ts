/**
 * The server's telemetry, composed: one reader of the runner's appends feeding spans, metrics and
 * log lines (run-observations.ts), lease takeovers as the runner reports them, the access log and
 * request metrics (one middleware, first in line so refused requests count too), and `GET /metrics`.
 *
 * Invariants: `/metrics` needs an unrestricted API key (every agent, the default tenant) unless the
 * server says `metrics: "open"`: the numbers cover every tenant's agents; a sink that throws is
 * reported to the logger and never reaches the runner (thread-listeners.ts reports it too).
 */
import type { Tracer } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { ThreadStore } from "agentfold";
import { apiKeyAuth } from "../api-key-auth.ts";
import type { ApiKeys } from "../api-keys.ts";
import { checkMetricsAllowed } from "../authorization.ts";
import type { ApiApp, Env } from "../routes/route-context.ts";
import type { Runner } from "../runner.ts";
import { createLogSink, type Logger } from "./logs.ts";
import { createServerMetrics, type ServerMetrics } from "./metrics.ts";
import { createRunReader, type Observation } from "./run-observations.ts";
import { createSpanSink } from "./tracing.ts";

export interface ObservabilityOptions {
  store: ThreadStore;
  runner: Runner;
  logger: Logger | undefined;
  /** `true` (default): `/metrics` behind the API keys; `"open"`: for anyone who reaches the server; `false`: none. */
  metrics: boolean | "open";
  tracer: Tracer | undefined;
  /** A monotonic time in milliseconds, for request durations. */
  now: () => number;
}

/** The access log and request metrics: one line per request once its answer is known. */
function accessLog(logger: Logger | undefined, metrics: ServerMetrics | undefined, now: () => number): MiddlewareHandler<Env> {
  return async (c, next) => {
    const started = now();
    try {
      await next();
    } finally {
      const durationMs = now() - started;
      // The route as registered (`/v1/threads/:id`), so ids never become labels.
      const route = routePath(c, -1) || "unmatched";
      const status = c.res.status;
      metrics?.httpRequest({ method: c.req.method, route, status, durationMs });
      logger?.info({ method: c.req.method, route, status, durationMs, actor: c.get("actor") ?? "anonymous" }, "request");
    }
  };
}

/**
 * Wires telemetry into `app` and `runner`: call before any other middleware. Returns a function
 * that registers `/metrics` (after API-key auth is in place for `/v1/*`).
 *
 * @example
 * const registerMetrics = observeServer(app, { store, runner, logger, metrics: true, tracer: undefined, now: Date.now });
 */
export function observeServer(app: ApiApp, options: ObservabilityOptions): (apiKeys: ApiKeys | undefined) => void {
  const metrics = options.metrics === false ? undefined : createServerMetrics(options.store);
  const spans = createSpanSink(options.tracer);
  const sinks: Array<(observation: Observation) => void> = [spans.observe];
  if (metrics) sinks.push(metrics.observe);
  if (options.logger) sinks.push(createLogSink(options.logger));
  const reader = createRunReader((observation) => {
    for (const sink of sinks) sink(observation);
  });
  // With only spans wanted and no SDK registered, appends are not read at all: zero cost.
  const spansOnly = sinks.length === 1;
  options.runner.subscribeAll((thread) => {
    if (!spansOnly || spans.listening()) reader.observe(thread);
  });
  // Not an event (a lease is not part of the thread): the runner says when it took one over.
  options.runner.subscribeLeaseTakeovers(({ threadId, agent, previousOwner, token }) => {
    metrics?.leaseTakeover(agent);
    // The fencing token as `fence`: the logger redacts fields named like credentials (`token`).
    options.logger?.warn({ thread: threadId, agent, previousOwner, fence: token }, "lease takeover");
  });
  app.use("*", accessLog(options.logger, metrics, options.now));
  return (apiKeys) => {
    if (!metrics) return;
    if (options.metrics !== "open") {
      app.use("/metrics", apiKeyAuth(apiKeys), async (c, next) => {
        checkMetricsAllowed(c.get("caller"));
        return next();
      });
    }
    app.get("/metrics", async (c) => {
      const { contentType, body } = await metrics.scrape();
      return c.body(body, 200, { "content-type": contentType });
    });
  };
}
