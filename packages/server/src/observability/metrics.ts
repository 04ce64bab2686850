/**
 * Prometheus metrics for `GET /metrics`, with prom-client in a registry of the server's own (never
 * the global one, so two servers in a process do not mix). prom-client loads when the server is
 * created, not when the package is imported: observations made before it is ready wait in order.
 *
 * Invariants: labels are agent, model, tool, action, status, route and method: bounded sets, never a
 * thread id or anything a caller typed; the threads gauge is read from the store at scrape time, so
 * every process reports the same numbers, and it counts at most `maxCountedThreads` per status.
 */
import type { ThreadStore } from "agentfold";
import type { Observation } from "./run-observations.ts";

/** Counting a status stops here: a scrape must stay cheap on a store of millions of threads. */
const maxCountedThreads = 10_000;
/** The statuses the threads gauge counts; finished runs are counted as they end (`agentfold_runs_total`). */
const waitingStatuses = ["running", "awaiting_approval", "awaiting_human"] as const;

type PromClient = typeof import("prom-client");

export interface ServerMetrics {
  observe(observation: Observation): void;
  httpRequest(request: { method: string; route: string; status: number; durationMs: number }): void;
  /** This process took over a thread's expired lease (`Runner.subscribeLeaseTakeovers`). */
  leaseTakeover(agent: string): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

function build(client: PromClient, store: ThreadStore) {
  const registry = new client.Registry();
  const seconds = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  const counter = (name: string, help: string, labelNames: string[]) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  const histogram = (name: string, help: string, labelNames: string[]) =>
    new client.Histogram({ name, help, labelNames, buckets: seconds, registers: [registry] });
  new client.Gauge({
    name: "agentfold_threads",
    help: `Threads waiting or running, by agent and status, from the store (at most ${maxCountedThreads} counted per status).`,
    labelNames: ["agent", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const status of waitingStatuses) {
        for (const [agent, count] of await countByAgent(store, status)) this.set({ agent, status }, count);
      }
    },
  });
  return {
    registry,
    runs: counter("agentfold_runs_total", "Runs of a thread by this process, by agent and the status they ended in.", ["agent", "status"]),
    steps: counter("agentfold_steps_total", "Steps taken, by agent and action (decide or run_tool).", ["agent", "action"]),
    modelCalls: counter("agentfold_model_calls_total", "Model calls, by agent, model and outcome (ok or error).", [
      "agent",
      "model",
      "outcome",
    ]),
    tokens: counter("agentfold_model_tokens_total", "Tokens the model reported, by agent, model and type (input or output).", [
      "agent",
      "model",
      "type",
    ]),
    modelSeconds: histogram("agentfold_model_call_duration_seconds", "Model call latency, retries included.", ["agent", "model"]),
    retries: counter("agentfold_model_call_retries_total", "Failed model call attempts that were retried.", ["agent", "model"]),
    toolSeconds: histogram("agentfold_tool_run_duration_seconds", "Tool run durations, by agent, tool and outcome.", [
      "agent",
      "tool",
      "outcome",
    ]),
    recoveries: counter(
      "agentfold_recoveries_total",
      "Work taken over after a process stopped: a started tool run again (tool_rerun) or a person asked (outcome_unknown).",
      ["agent", "reason"],
    ),
    leaseTakeovers: counter(
      "agentfold_lease_takeovers_total",
      "Threads this process took over after another owner's lease expired unreleased (a crashed or stuck process), by agent.",
      ["agent"],
    ),
    approvals: counter("agentfold_approvals_requested_total", "Approvals requested, by agent and tool.", ["agent", "tool"]),
    queueLag: histogram("agentfold_queue_lag_seconds", "From the event that made a thread runnable to its run's first step.", ["agent"]),
    httpRequests: counter("agentfold_http_requests_total", "HTTP requests, by method, route and status.", ["method", "route", "status"]),
    httpSeconds: histogram("agentfold_http_request_duration_seconds", "HTTP request durations, by method and route.", ["method", "route"]),
  };
}

async function countByAgent(store: ThreadStore, status: (typeof waitingStatuses)[number]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let counted = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ status, limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const thread of page.threads) {
      const agent = thread.agent ?? "unknown";
      counts.set(agent, (counts.get(agent) ?? 0) + 1);
    }
    counted += page.threads.length;
    cursor = page.nextCursor;
  } while (cursor && counted < maxCountedThreads);
  return counts;
}

function record(metrics: ReturnType<typeof build>, observation: Observation): void {
  const { agent } = observation;
  switch (observation.kind) {
    case "run_started":
      if (observation.queueLagMs !== undefined) metrics.queueLag.observe({ agent }, observation.queueLagMs / 1000);
      return;
    case "run_ended":
      metrics.runs.inc({ agent, status: observation.status });
      return;
    case "step_started":
      metrics.steps.inc({ agent, action: observation.action });
      return;
    case "model_call": {
      const { model } = observation;
      metrics.modelCalls.inc({ agent, model, outcome: observation.error ? "error" : "ok" });
      metrics.modelSeconds.observe({ agent, model }, (observation.endMs - observation.startMs) / 1000);
      if (observation.inputTokens !== undefined) metrics.tokens.inc({ agent, model, type: "input" }, observation.inputTokens);
      if (observation.outputTokens !== undefined) metrics.tokens.inc({ agent, model, type: "output" }, observation.outputTokens);
      return;
    }
    case "model_retry":
      metrics.retries.inc({ agent, model: observation.model });
      return;
    case "tool_run":
      metrics.toolSeconds.observe(
        { agent, tool: observation.tool, outcome: observation.outcome },
        (observation.endMs - observation.startMs) / 1000,
      );
      return;
    case "recovery":
      metrics.recoveries.inc({ agent, reason: observation.reason });
      return;
    case "mark":
      if (observation.name === "approval_requested")
        metrics.approvals.inc({ agent, tool: String(observation.attributes["gen_ai.tool.name"]) });
      return;
    case "step_ended":
      return;
  }
}

/**
 * Metrics over `store`; prom-client starts loading now.
 *
 * @example
 * const metrics = createServerMetrics(store);
 * runner.subscribeAll(createRunReader(metrics.observe).observe);
 * const { body } = await metrics.scrape();
 */
export function createServerMetrics(store: ThreadStore): ServerMetrics {
  let metrics: ReturnType<typeof build> | undefined;
  const waiting: Array<(ready: ReturnType<typeof build>) => void> = [];
  const ready = import("prom-client").then((client) => {
    metrics = build((client as { default?: PromClient }).default ?? client, store);
    for (const apply of waiting.splice(0)) apply(metrics);
    return metrics;
  });
  // A missing prom-client is reported on the first scrape, not as an unhandled rejection.
  ready.catch(() => {});
  const whenReady = (apply: (ready: ReturnType<typeof build>) => void) => (metrics ? apply(metrics) : waiting.push(apply));
  return {
    // No closure per observation once prom-client is in: this runs for every event the runner appends.
    observe: (observation) => (metrics ? record(metrics, observation) : whenReady((ready) => record(ready, observation))),
    httpRequest: ({ method, route, status, durationMs }) =>
      whenReady((ready) => {
        ready.httpRequests.inc({ method, route, status: String(status) });
        ready.httpSeconds.observe({ method, route }, durationMs / 1000);
      }),
    leaseTakeover: (agent) => whenReady((ready) => ready.leaseTakeovers.inc({ agent })),
    async scrape() {
      const { registry } = await ready;
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
