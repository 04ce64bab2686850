import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { Thread } from "agentfold";
import { createStore } from "@agentfold/stores";
import { createServer } from "../../src/index.ts";
import { createSpanSink, threadTraceId } from "../../src/observability/tracing.ts";
import { appFetcher, post } from "../support/http.ts";
import { createRetryingModel, retryingModelId } from "../support/retrying-model.ts";
import { createTestAgents } from "../support/test-agent.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-traces-"));
after(() => rmSync(directory, { recursive: true, force: true }));

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer("agentfold") };
}

/** A server over the SQLite file, as one process would run it; `close` is its process stopping. */
async function startProcess(path: string, tracer: ReturnType<typeof tracing>["tracer"]) {
  const store = await createStore(path);
  const agents = createTestAgents();
  const server = createServer({ store, agents: [agents.calculator], model: createRetryingModel(), apiKeys: false, metrics: false, tracer });
  return {
    fetch: appFetcher(server.app),
    store,
    close: async () => {
      await server.runner.close();
      await store.close?.();
    },
  };
}

const byName = (spans: readonly ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const children = (spans: readonly ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
const ms = (span: ReadableSpan, which: "startTime" | "endTime") => span[which][0] * 1000 + span[which][1] / 1e6;
const eventAt = (thread: Thread, type: string) => Date.parse(thread.events.find((event) => event.type === type)!.at);

describe("traces", () => {
  it("a run with a retried model call, an approval pause and a restart is one trace of GenAI spans", async () => {
    const path = join(directory, "threads.db");
    const first = tracing();
    const before = await startProcess(path, first.tracer);
    const launched = await post(before.fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" });
    assert.equal(launched.body.status, "awaiting_approval");
    const threadId = launched.body.id as string;
    await before.close();

    // The first process: one run, one step, one chat span with its retry; the approval is an event.
    const spans1 = first.exporter.getFinishedSpans();
    const [run1] = byName(spans1, "invoke_agent calculator");
    assert.ok(run1, `spans: ${spans1.map((span) => span.name).join(", ")}`);
    assert.equal(run1.spanContext().traceId, threadTraceId(threadId));
    assert.equal(run1.attributes["gen_ai.operation.name"], "invoke_agent");
    assert.equal(run1.attributes["gen_ai.agent.name"], "calculator");
    assert.equal(run1.attributes["gen_ai.conversation.id"], threadId);
    assert.equal(run1.attributes["agentfold.thread.status"], "awaiting_approval");
    assert.equal(run1.attributes["agentfold.trigger"], "user_input");
    const approval = run1.events.find((event) => event.name === "approval_requested");
    assert.equal(approval?.attributes?.["gen_ai.tool.name"], "divide");
    const [step1] = children(spans1, run1);
    assert.equal(step1?.name, "agentfold.step");
    assert.equal(step1.attributes["agentfold.step.action"], "decide");
    const [chat] = children(spans1, step1);
    assert.equal(chat?.name, `chat ${retryingModelId}`);
    assert.equal(chat.attributes["gen_ai.operation.name"], "chat");
    assert.equal(chat.attributes["gen_ai.provider.name"], "openai");
    assert.equal(chat.attributes["gen_ai.request.model"], retryingModelId);
    assert.equal(chat.attributes["gen_ai.usage.input_tokens"], 120);
    assert.equal(chat.attributes["gen_ai.usage.output_tokens"], 9);
    assert.equal(chat.attributes["agentfold.model.retries"], 1);
    const retry = chat.events.find((event) => event.name === "model_call_retried");
    assert.equal(retry?.attributes?.["http.response.status_code"], 429);

    // Another process approves: the tool runs there, in the same trace.
    const second = tracing();
    const resumed = await startProcess(path, second.tracer);
    const thread = (await resumed.store.load(threadId))!;
    const callId = thread.pending[0]!.callId;
    const approved = await post(resumed.fetch, `/v1/threads/${threadId}/approvals/${callId}`, { approved: true });
    assert.equal(approved.body.status, "done");
    const done = (await resumed.store.load(threadId))!;
    await resumed.close();

    const spans2 = second.exporter.getFinishedSpans();
    const [run2] = byName(spans2, "invoke_agent calculator");
    assert.ok(run2);
    assert.equal(run2.spanContext().traceId, threadTraceId(threadId), "the resumed run continues the thread's trace");
    assert.equal(run2.attributes["agentfold.trigger"], "approval_decision");
    assert.equal(run2.attributes["agentfold.thread.status"], "done");
    const steps = children(spans2, run2);
    assert.deepEqual(
      steps.map((step) => step.attributes["agentfold.step.action"]),
      ["run_tool", "decide"],
    );
    const [tool] = children(spans2, steps[0]!);
    assert.equal(tool?.name, "execute_tool divide");
    assert.equal(tool.attributes["gen_ai.operation.name"], "execute_tool");
    assert.equal(tool.attributes["gen_ai.tool.name"], "divide");
    assert.equal(tool.attributes["gen_ai.tool.call.id"], callId);
    // The span's times are the events' times.
    assert.equal(ms(tool, "startTime"), eventAt(done, "tool_started"));
    assert.equal(ms(tool, "endTime"), eventAt(done, "tool_result"));
    const [chat2] = children(spans2, steps[1]!);
    assert.equal(chat2?.attributes["gen_ai.usage.output_tokens"], 7);
    assert.ok(ms(steps[0]!, "startTime") >= ms(run2, "startTime") && ms(steps[1]!, "endTime") <= ms(run2, "endTime"));

    // Arguments and results never reach a span.
    for (const span of [...spans1, ...spans2]) {
      for (const [key, value] of Object.entries(span.attributes)) {
        assert.ok(!/args|result|message/.test(key), `${span.name} has ${key}`);
        assert.ok(!String(value).includes("0.75"), `${span.name}.${key} holds a result`);
      }
    }
  });
});

describe("traces with no tracer given", () => {
  // The sink loads the API itself; every promise of that load settles before the next macrotask.
  const apiLoaded = () => new Promise((resolve) => setImmediate(resolve));
  const runStarted = (threadId: string) =>
    ({ kind: "run_started", threadId, agent: "calculator", startMs: 1, queueLagMs: undefined, trigger: undefined }) as const;

  it("listens only while an SDK is registered, and then makes its spans with the global tracer", async () => {
    const spans = createSpanSink();
    await apiLoaded();
    assert.equal(spans.listening(), false, "no SDK registered: the server does not read its appends");

    const { exporter } = tracing();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    assert.ok(trace.setGlobalTracerProvider(provider));
    try {
      assert.equal(spans.listening(), true);
      spans.observe(runStarted("thread-1"));
      spans.observe({ kind: "run_ended", threadId: "thread-1", agent: "calculator", startMs: 1, endMs: 2, status: "done" });
      assert.deepEqual(
        exporter.getFinishedSpans().map((span) => span.name),
        ["invoke_agent calculator"],
      );
    } finally {
      trace.disable();
    }
    assert.equal(spans.listening(), false);
  });

  it("listens whenever a tracer is given", async () => {
    const spans = createSpanSink(tracing().tracer);
    await apiLoaded();
    assert.equal(spans.listening(), true);
  });
});
