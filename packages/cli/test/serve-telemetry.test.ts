/**
 * `agentfold serve` with OTEL_EXPORTER_OTLP_ENDPOINT sends its spans over OTLP/HTTP: a receiver in
 * this test gets the span tree of a calculator run paused for approval, the server stopped and
 * started again, and the approval run in the same trace. Its log lines on stderr are JSON.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bin, calculatorModule, cleanEnv, fixtures, tempDir } from "./helpers.ts";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
  events?: Array<{ name: string }>;
}

/** An OTLP/HTTP (JSON) trace receiver: every span it was sent. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      assert.equal(request.url, "/v1/traces");
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const resource of parsed.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

/** `agentfold serve` as a real process; `stop` sends SIGTERM and resolves with its exit code and stderr. */
async function serve(db: string, cwd: string, endpoint: string) {
  const child = spawn(
    process.execPath,
    [
      bin,
      "serve",
      "--agents",
      calculatorModule,
      "--db",
      db,
      "--port",
      "0",
      "--model",
      `script:${join(fixtures, "divide.json")}`,
      "--json",
      "--no-ui",
    ],
    {
      cwd,
      env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: "calculator-api" }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const started = Date.now();
  while (!stdout.trim().endsWith("}")) {
    if (Date.now() - started > 15_000 || child.exitCode !== null) throw new Error(`serve did not start:\n${stdout}\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { url } = JSON.parse(stdout) as { url: string };
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      return { code: await exited, stderr };
    },
  };
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((entry) => entry.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe("agentfold serve: telemetry", () => {
  let dir: ReturnType<typeof tempDir>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    dir = tempDir("serve-telemetry");
    receiver = await startReceiver();
  });
  after(async () => {
    dir.remove();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  test("spans reach an OTLP receiver, and a run resumed after a restart is in the same trace", async () => {
    const db = join(dir.path, "threads.db");
    const first = await serve(db, dir.path, receiver.url);
    const launched = await fetch(`${first.url}/v1/threads`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "can you divide 3 by 4" }),
    });
    const thread = (await launched.json()) as { id: string; status: string; pending: Array<{ callId: string }> };
    assert.equal(thread.status, "awaiting_approval");
    const stopped = await first.stop();
    assert.equal(stopped.code, 0, stopped.stderr);

    // Spans are flushed when the server stops.
    const run1 = receiver.spans.find((span) => span.name === "invoke_agent calculator");
    assert.ok(run1, `received: ${receiver.spans.map((span) => span.name).join(", ")}`);
    assert.equal(attribute(run1, "gen_ai.conversation.id"), thread.id);
    assert.ok(run1.events?.some((event) => event.name === "approval_requested"));
    const step1 = receiver.spans.find((span) => span.parentSpanId === run1.spanId);
    const chat = receiver.spans.find((span) => span.parentSpanId === step1?.spanId);
    assert.equal(chat?.name, `chat script:${join(fixtures, "divide.json")}`);
    assert.equal(attribute(chat!, "gen_ai.operation.name"), "chat");

    // Each log line on stderr is one JSON object; the launch is among them.
    const logLines = stopped.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(logLines.some((line) => line.msg === "request" && line.route === "/v1/threads" && line.status === 200));
    assert.ok(logLines.some((line) => line.msg === "step" && line.thread === thread.id && line.action === "decide"));

    const second = await serve(db, dir.path, receiver.url);
    const approved = await fetch(`${second.url}/v1/threads/${thread.id}/approvals/${thread.pending[0]?.callId}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ approved: true }),
    });
    assert.equal(((await approved.json()) as { status: string }).status, "done");
    assert.equal((await second.stop()).code, 0);

    const runs = receiver.spans.filter((span) => span.name === "invoke_agent calculator");
    assert.equal(runs.length, 2);
    assert.equal(runs[1]!.traceId, run1.traceId, "the run after the restart continues the thread's trace");
    const tool = receiver.spans.find((span) => span.name === "execute_tool divide");
    assert.ok(tool);
    assert.equal(attribute(tool, "gen_ai.tool.call.id"), thread.pending[0]?.callId);
    const toolStep = receiver.spans.find((span) => span.spanId === tool.parentSpanId);
    assert.equal(toolStep?.parentSpanId, runs[1]!.spanId);
  });
});
