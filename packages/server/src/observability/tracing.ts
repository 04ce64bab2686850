/**
 * OpenTelemetry spans from the runner's observations, named and attributed as the GenAI semantic
 * conventions say: `invoke_agent {agent}` per run, `agentfold.step` per step, `chat {model}` per
 * model call, `execute_tool {tool}` per tool run; approvals, questions and retries are span events.
 * Only `@opentelemetry/api`: with no SDK registered its tracer makes no-op spans. It loads when the
 * server is created, not with the package (observations made before it is ready wait in order).
 *
 * Invariants: spans carry the times the events recorded (start and end given explicitly), so they
 * are made after the fact and never sit on the step's path; every run of a thread is in one trace,
 * whose id is derived from the thread's id, so a thread resumed in another process after a restart
 * continues the same trace; no argument, result, prompt or reply text is ever put on a span.
 */
import { createHash } from "node:crypto";
import type { Attributes, Context, Span, Tracer } from "@opentelemetry/api";
import type { Observation } from "./run-observations.ts";

type OpenTelemetry = typeof import("@opentelemetry/api");

/** Exported for tests: the trace every run of `threadId` belongs to. */
export function threadTraceId(threadId: string): string {
  return createHash("sha256").update(`agentfold-thread:${threadId}`).digest("hex").slice(0, 32);
}

/**
 * The remote parent every run span hangs from: the thread itself, which no process exports. Sampled,
 * so a parent-based sampler keeps the runs (the SDK's sampler still decides for root-less setups).
 */
function threadParent(api: OpenTelemetry, threadId: string) {
  const digest = createHash("sha256").update(`agentfold-thread-span:${threadId}`).digest("hex");
  return api.trace.setSpanContext(api.context.active(), {
    traceId: threadTraceId(threadId),
    spanId: digest.slice(0, 16),
    traceFlags: api.TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** `openai:gpt-4o` → `openai`; a bare model id names no provider. */
function providerOf(model: string): string {
  const colon = model.indexOf(":");
  return colon > 0 ? model.slice(0, colon) : "agentfold";
}

/**
 * Whether an SDK is registered: the API's global provider is a proxy whose delegate stays the API's
 * one no-op provider until an SDK registers (`new ProxyTracerProvider()` hands out that same one).
 */
function sdkRegistered(api: OpenTelemetry): boolean {
  const provider = api.trace.getTracerProvider();
  if (!(provider instanceof api.ProxyTracerProvider)) return true;
  return provider.getDelegate() !== new api.ProxyTracerProvider().getDelegate();
}

/** The sink, once `@opentelemetry/api` is loaded; `tracer` undefined: the global provider's, when an SDK is registered. */
function spanSink(api: OpenTelemetry, given: Tracer | undefined): (observation: Observation) => void {
  const tracer = given ?? api.trace.getTracer("agentfold");
  // Each span's context is made once, when the span starts: its children are made in it.
  const runs = new Map<
    string,
    { run: Span; runContext: Context; step: Span | undefined; stepContext: Context | undefined; recording: boolean }
  >();

  return (observation) => {
    // A run whose span does not record (no SDK registered, or sampled out) gets no children: with
    // the API's no-op tracer the step pays for one lookup, not for spans nobody keeps.
    const open = runs.get(observation.threadId);
    if (open ? !open.recording && observation.kind !== "run_ended" : observation.kind !== "run_started") return;
    // With no SDK registered nothing is made at all, not even the no-op run span and its parent.
    if (!open && !given && !sdkRegistered(api)) return;
    switch (observation.kind) {
      case "run_started": {
        const run = tracer.startSpan(
          `invoke_agent ${observation.agent}`,
          {
            kind: api.SpanKind.INTERNAL,
            startTime: observation.startMs,
            attributes: {
              "gen_ai.operation.name": "invoke_agent",
              "gen_ai.agent.name": observation.agent,
              "gen_ai.conversation.id": observation.threadId,
              ...(observation.queueLagMs === undefined ? {} : { "agentfold.queue_lag_ms": observation.queueLagMs }),
              ...(observation.trigger === undefined ? {} : { "agentfold.trigger": observation.trigger }),
            },
          },
          threadParent(api, observation.threadId),
        );
        runs.set(observation.threadId, {
          run,
          runContext: api.trace.setSpan(api.context.active(), run),
          step: undefined,
          stepContext: undefined,
          recording: run.isRecording(),
        });
        return;
      }
      case "step_started":
        if (!open) return;
        // The run's span carries the agent and the thread; a step adds only its action.
        open.step = tracer.startSpan(
          "agentfold.step",
          { startTime: observation.startMs, attributes: { "agentfold.step.action": observation.action } },
          open.runContext,
        );
        open.stepContext = api.trace.setSpan(open.runContext, open.step);
        return;
      case "step_ended":
        open?.step?.end(observation.endMs);
        if (open) {
          open.step = undefined;
          open.stepContext = undefined;
        }
        return;
      case "run_ended":
        if (!open) return;
        open.run.setAttribute("agentfold.thread.status", observation.status);
        if (observation.status === "failed") open.run.setStatus({ code: api.SpanStatusCode.ERROR, message: "the thread failed" });
        open.run.end(observation.endMs);
        runs.delete(observation.threadId);
        return;
      case "model_call": {
        if (!open) return;
        // Built by assignment, not spreads: this runs for every model call of every traced thread.
        const attributes: Attributes = {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": providerOf(observation.model),
          "gen_ai.request.model": observation.model,
          "gen_ai.agent.name": observation.agent,
          "gen_ai.conversation.id": observation.threadId,
          "agentfold.model.retries": observation.retries.length,
        };
        if (observation.inputTokens !== undefined) attributes["gen_ai.usage.input_tokens"] = observation.inputTokens;
        if (observation.outputTokens !== undefined) attributes["gen_ai.usage.output_tokens"] = observation.outputTokens;
        if (observation.cost !== undefined) attributes["agentfold.usage.cost"] = observation.cost;
        const span = tracer.startSpan(
          `chat ${observation.model}`,
          { kind: api.SpanKind.CLIENT, startTime: observation.startMs, attributes },
          open.stepContext ?? open.runContext,
        );
        for (const retry of observation.retries) {
          span.addEvent(
            "model_call_retried",
            {
              attempt: retry.attempt,
              "agentfold.wait_ms": retry.waitMs,
              ...(retry.status === undefined ? {} : { "http.response.status_code": retry.status }),
            },
            retry.atMs,
          );
        }
        if (observation.error) {
          span.setAttribute("error.type", observation.error);
          span.setStatus({ code: api.SpanStatusCode.ERROR });
        }
        span.end(observation.endMs);
        return;
      }
      case "tool_run": {
        if (!open) return;
        const span = tracer.startSpan(
          `execute_tool ${observation.tool}`,
          {
            kind: api.SpanKind.INTERNAL,
            startTime: observation.startMs,
            attributes: {
              "gen_ai.operation.name": "execute_tool",
              "gen_ai.tool.name": observation.tool,
              "gen_ai.tool.call.id": observation.callId,
              "gen_ai.tool.type": "function",
              "gen_ai.agent.name": observation.agent,
              "gen_ai.conversation.id": observation.threadId,
              "agentfold.tool.attempt": observation.attempt,
              "agentfold.tool.outcome": observation.outcome,
            },
          },
          open.stepContext ?? open.runContext,
        );
        if (observation.outcome === "tool_error") {
          span.setAttribute("error.type", "tool_error");
          span.setStatus({ code: api.SpanStatusCode.ERROR });
        }
        span.end(observation.endMs);
        return;
      }
      case "mark":
        open?.run.addEvent(observation.name, observation.attributes, observation.atMs);
        return;
      case "recovery":
        open?.run.addEvent("recovery", { reason: observation.reason, "gen_ai.tool.call.id": observation.callId }, observation.atMs);
        return;
      case "model_retry":
        // Recorded on the call's span once the call ends.
        return;
    }
  };
}

export interface SpanSink {
  observe(observation: Observation): void;
  /** Whether spans may be made: false once the API is loaded, no tracer was given and no SDK is registered. */
  listening(): boolean;
}

/**
 * A sink for `createRunReader` that makes spans with `tracer` (default: the global tracer provider's
 * `agentfold` tracer, while an SDK is registered).
 *
 * @example
 * const spans = createSpanSink();
 * const reader = createRunReader(spans.observe);
 */
export function createSpanSink(tracer?: Tracer): SpanSink {
  let sink: ((observation: Observation) => void) | undefined;
  let api: OpenTelemetry | undefined;
  const waiting: Observation[] = [];
  void import("@opentelemetry/api").then((loaded) => {
    api = loaded;
    sink = spanSink(loaded, tracer);
    for (const observation of waiting.splice(0)) sink(observation);
  });
  return {
    observe: (observation) => (sink ? sink(observation) : void waiting.push(observation)),
    listening: () => !api || tracer !== undefined || sdkRegistered(api),
  };
}
