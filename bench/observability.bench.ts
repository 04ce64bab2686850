/**
 * What observability costs: step overhead in the runner with no telemetry at all (the runner before
 * spans, metrics and logs), with the server's default telemetry (spans to the no-op tracer of
 * `@opentelemetry/api`, metrics in prom-client), and with tracing on (the OpenTelemetry SDK's batch
 * processor exporting over OTLP/HTTP to a receiver in a child process); and what the entries
 * and `@opentelemetry/api` cost to import (the server loads the API when it is created).
 *
 *   node bench/observability.bench.ts            # needs dist/ for the import rows: node scripts/build.ts core models stores server
 *
 * The four step modes alternate run by run, so the machine's other work weighs on all alike; the
 * import rows alternate the same way, each in a fresh process without the source condition.
 * Results go to bench/results/observability.json and .md. Not a test: nothing here asserts timings.
 */
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { trace } from "@opentelemetry/api";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Model } from "agentfold";
import { createMemoryStore } from "agentfold/testing";
import { createRunner } from "@agentfold/server";
import { createServerMetrics } from "../packages/server/src/observability/metrics.ts";
import { createRunReader, type Observation } from "../packages/server/src/observability/run-observations.ts";
import { createSpanSink } from "../packages/server/src/observability/tracing.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
// The exporter is a dependency of the CLI (the only package that picks an SDK), installed under it.
const exporterPath = createRequire(join(root, "packages/cli/package.json")).resolve("@opentelemetry/exporter-trace-otlp-http");
const { OTLPTraceExporter } = (await import(pathToFileURL(exporterPath).href)) as {
  OTLPTraceExporter: new (config: { url: string }) => SpanExporter;
};
const STEPS = 200;
const ROUNDS = 21;
const median = (values: readonly number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const add = defineTool({
  intent: "add",
  description: "add",
  args: z.object({ a: z.number(), b: z.number() }),
  idempotent: true,
  run: ({ a, b }) => a + b,
});
const agent = defineAgent({ name: "adder", tools: [add, doneForNow()], limits: { maxSteps: 1_000_000 } });
const model: Model = {
  specificationVersion: "v1",
  id: "openai:instant",
  async generate(request) {
    const output = request.turn < STEPS - 1 ? { intent: "add", a: 1, b: 2 } : { intent: "done_for_now", message: "done" };
    return { output, usage: { inputTokens: 100, outputTokens: 10 } };
  },
};

/**
 * A local OTLP/HTTP receiver in a child process (its parsing is not the exporter's cost): it reads
 * and acknowledges each export, and `GET /count` answers how many spans it got.
 */
const receiverSource = `
  const server = require("node:http").createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (request.method === "GET") return response.end(String(globalThis.spans ?? 0));
      globalThis.spans = (globalThis.spans ?? 0) + (body.match(/"spanId"/g) ?? []).length;
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

async function startReceiver() {
  const child = spawn(process.execPath, ["-e", receiverSource], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout.once("data", (chunk) => resolve(Number(String(chunk).trim()))));
  const base = `http://127.0.0.1:${port}`;
  return { url: `${base}/v1/traces`, spans: async () => Number(await (await fetch(`${base}/count`)).text()), stop: () => child.kill() };
}

type Mode = "no telemetry" | "tracing off (default)" | "tracing on, no export" | "tracing on (OTLP)";

/**
 * Microseconds per step of one thread of STEPS decisions and tool runs, advanced by a runner: wall
 * time, and this process's CPU time (user + system, every thread of it) over the same interval. On
 * a shared machine the wall time also measures the other processes; the CPU time much less so.
 */
async function runOnce(mode: Mode): Promise<{ wall: number; cpu: number }> {
  const store = createMemoryStore();
  const runner = createRunner({ store, agents: [agent], model, onError: (error) => console.error(error) });
  if (mode !== "no telemetry") {
    const sinks = [
      createSpanSink(
        mode === "tracing on (OTLP)" ? tracerOn : mode === "tracing on, no export" ? tracerNoExport : trace.getTracer("agentfold"),
      ).observe,
      createServerMetrics(store).observe,
    ];
    runner.subscribeAll(
      createRunReader((observation: Observation) => {
        for (const sink of sinks) sink(observation);
      }).observe,
    );
  }
  const thread = agent.start("add numbers");
  await store.create(thread);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const { thread: done } = await runner.advance(thread.id);
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  if (done?.status !== "done") throw new Error(`the run ended ${done?.status}`);
  await runner.close();
  // Outside the measured time: the batch processor's queue never overflows (dropped spans cost nothing).
  if (mode === "tracing on (OTLP)") await provider.forceFlush();
  if (mode === "tracing on, no export") await providerNoExport.forceFlush();
  return { wall: (elapsed * 1000) / STEPS, cpu: (cpu.user + cpu.system) / STEPS };
}

/** Milliseconds for a fresh process to import `specifier` from dist/ (no source condition), or bare node. */
function importMs(specifier: string | undefined): number {
  const code = specifier ? `const t=performance.now();await import(${JSON.stringify(specifier)});` : "0;";
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const start = performance.now();
  execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: join(root, "packages/server"), env });
  return performance.now() - start;
}

const receiver = await startReceiver();
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url }), { maxQueueSize: 4 * STEPS * 4 })],
});
const tracerOn = provider.getTracer("agentfold");
// The same SDK and processor with an exporter that drops every batch: what making the spans costs.
const dropAll: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
const providerNoExport = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropAll, { maxQueueSize: 4 * STEPS * 4 })] });
const tracerNoExport = providerNoExport.getTracer("agentfold");
const modes: Mode[] = ["no telemetry", "tracing off (default)", "tracing on, no export", "tracing on (OTLP)"];
const samples = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
const cpuSamples = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
const loadBefore = loadavg();
for (let round = 0; round < ROUNDS + 3; round++) {
  for (const mode of round % 2 === 0 ? modes : modes.toReversed()) {
    const micros = await runOnce(mode);
    if (round >= 3) {
      samples.get(mode)!.push(micros.wall);
      cpuSamples.get(mode)!.push(micros.cpu);
    }
  }
}
await provider.forceFlush();
const exported = await receiver.spans();
await provider.shutdown();
receiver.stop();

const imports = ["bare node", "agentfold", "@agentfold/server", "@opentelemetry/api"] as const;
const importSamples = new Map<string, number[]>(imports.map((name) => [name, []]));
for (let round = 0; round < 15; round++) {
  for (const name of imports) importSamples.get(name)!.push(importMs(name === "bare node" ? undefined : name));
}
const bare = median(importSamples.get("bare node")!);

const steps = Object.fromEntries(modes.map((mode) => [mode, round(median(samples.get(mode)!))]));
const cpuSteps = Object.fromEntries(modes.map((mode) => [mode, round(median(cpuSamples.get(mode)!))]));
const results = {
  at: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  platform: `${platform()} ${release()}`,
  loadavg: { before: loadBefore, after: loadavg() },
  stepsPerRun: STEPS,
  rounds: ROUNDS,
  spansExported: exported,
  microsPerStep: steps,
  cpuMicrosPerStep: cpuSteps,
  importOverBareMs: Object.fromEntries(imports.slice(1).map((name) => [name, round(median(importSamples.get(name)!) - bare)])),
  bareNodeMs: round(bare),
};
writeFileSync(join(root, "bench/results/observability.json"), `${JSON.stringify(results, null, 2)}\n`);
const off = steps["tracing off (default)"]!;
const on = steps["tracing on (OTLP)"]!;
const none = steps["no telemetry"]!;
const cpuOff = cpuSteps["tracing off (default)"]!;
const cpuOn = cpuSteps["tracing on (OTLP)"]!;
const cpuNone = cpuSteps["no telemetry"]!;
const cpuNoExport = cpuSteps["tracing on, no export"]!;
const markdown = `# Observability benchmark

Run ${results.at} with \`node bench/observability.bench.ts\`: node ${results.node}, ${results.cpu}, ${results.cores} cores, ${results.platform} (load average ${results.loadavg.before.map((value) => value.toFixed(2)).join(", ")} at the start, ${results.loadavg.after.map((value) => value.toFixed(2)).join(", ")} at the end; the machine is shared).

## Step overhead in the runner

A thread of ${STEPS} steps (a decision of an instant model and an \`add\` tool run each) advanced by
\`createRunner\` over the memory store; medians of ${ROUNDS} runs per mode, the modes alternating run by run.
Tracing on exports every span with the SDK's batch processor over OTLP/HTTP to a receiver in a
child process (${exported} spans received in all, of ${(ROUNDS + 3) * 3 * STEPS} made: none dropped when
they are equal), flushed after each run outside the measured time.

| mode | µs per step (wall) | µs of CPU per step |
|---|---:|---:|
| no telemetry (the runner before spans, metrics and logs) | ${none} | ${cpuNone} |
| tracing off: the server's default (no-op tracer, metrics) | ${off} | ${cpuOff} |
| tracing on, SDK spans dropped by the exporter (making the spans) | ${steps["tracing on, no export"]} | ${cpuNoExport} |
| tracing on: SDK + OTLP exporter, metrics | ${on} | ${cpuOn} |

Tracing on adds **${round(cpuOn - cpuOff)} µs of CPU per step** over tracing off (on/off = ${round(cpuOn / cpuOff, 2)}×;
by wall time ${round(on - off)} µs, ${round(on / off, 2)}×); target ≤ 10 µs: ${cpuOn - cpuOff <= 10 && on - off <= 10 ? "met" : "**not met**"}.
The default telemetry adds ${round(cpuOff - cpuNone)} µs of CPU per step over none. Of tracing's cost,
${round(cpuNoExport - cpuOff)} µs of CPU per step is making the spans (the SDK's \`startSpan\` and \`end\`,
attributes, ids; three spans a step) and the rest is the OTLP exporter serializing and sending them
in the same process. Where that time goes, and what was cut: [the decision](../../docs/decisions/2026-12-01-tracing-overhead.md).
Compare rows only within a run: the machine is shared, and its load (above) moves every row, the
wall times most.

## Import cost

Fresh processes loading dist/ (no source condition), medians of 15, alternating; bare \`node -e 0\` took ${results.bareNodeMs} ms.

| import | ms over bare node |
|---|---:|
${imports
  .slice(1)
  .map((name) => `| \`import("${name}")\` | ${results.importOverBareMs[name]} |`)
  .join("\n")}

\`import("agentfold")\` and \`import("@agentfold/server")\` load nothing for observability:
\`@opentelemetry/api\` (its cost alone is the last row) and prom-client load when a server is
created, pino when a logger is, the OpenTelemetry SDK only in \`agentfold serve\` with
\`OTEL_EXPORTER_OTLP_ENDPOINT\` set.
`;
writeFileSync(join(root, "bench/results/observability.md"), markdown);
console.log(markdown);
