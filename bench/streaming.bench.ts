/**
 * Time to the first streamed piece of a model reply: read directly from a provider stand-in (an
 * OpenAI Chat Completions stream over loopback, first frame after a fixed delay), and through
 * `agentfold serve` (the adapter reads the same stand-in; a client follows the thread's SSE stream
 * and waits for its first `model_delta`). Both are measured from the moment the stand-in writes its
 * first frame, so the fixed delay cancels out and what is left is what each path adds. Runs
 * alternate between the two paths, in one process (stand-in, server and clients share its event
 * loop, as they would share a machine).
 *
 *   node bench/streaming.bench.ts
 *
 * Results go to bench/results/streaming.json and .md. Not a test: nothing here asserts timings.
 */
import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { defineAgent, doneForNow } from "agentfold";
import { createMemoryStore } from "agentfold/testing";
import { openaiCompatibleModel } from "@agentfold/models";
import { startServer } from "@agentfold/server";
import { openaiStreamFrames } from "../packages/models/test/support/provider-streams.ts";

const SAMPLES = 60;
const FIRST_FRAME_DELAY_MS = 50;
const goalAddedMs = 5;

const median = (values: readonly number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

const reply = {
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "bench",
  choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: '{"intent":"done_for_now","message":"streamed"}' } }],
  usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
};
// The role frame carries no text: the first piece is the second frame, written first after the delay.
const [roleFrame = "", ...pieceFrames] = openaiStreamFrames(reply, 8);

/** The stand-in: answers every request with the stream, its first piece after the fixed delay. */
async function startStandIn(): Promise<{ url: string; firstPieceAt: number[]; server: Server }> {
  const firstPieceAt: number[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(roleFrame);
      setTimeout(() => {
        firstPieceAt.push(performance.now());
        response.write(pieceFrames[0]);
        setTimeout(() => response.end(pieceFrames.slice(1).join("")), 5);
      }, FIRST_FRAME_DELAY_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, firstPieceAt, server };
}

/** Reads a body until `found` matches the text so far; returns when it did. */
async function readUntil(body: NonNullable<Response["body"]>, found: (text: string) => boolean): Promise<number> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Number.NaN;
      text += value;
      if (found(text)) return performance.now();
    }
  } finally {
    await reader.cancel();
  }
}

async function direct(standIn: { url: string; firstPieceAt: number[] }): Promise<number> {
  const response = await fetch(`${standIn.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "bench", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  const received = await readUntil(response.body!, (text) => /"content":"[^"]/.test(text));
  return received - standIn.firstPieceAt.at(-1)!;
}

async function throughServe(serverUrl: string, standIn: { firstPieceAt: number[] }): Promise<number> {
  const launched = await fetch(`${serverUrl}/v1/threads?wait=0`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ agent: "bench", message: "hi" }),
  });
  const { id } = (await launched.json()) as { id: string };
  // Opened well within the stand-in's delay: the first piece is written after this stream is live.
  const stream = await fetch(`${serverUrl}/v1/threads/${id}/stream`);
  const received = await readUntil(stream.body!, (text) => text.includes("event: model_delta"));
  return received - standIn.firstPieceAt.at(-1)!;
}

const standIn = await startStandIn();
const agent = defineAgent({ name: "bench", tools: [doneForNow()] });
const model = openaiCompatibleModel(standIn.url, "bench", { defaultMode: "prompt" });
const server = await startServer({ store: createMemoryStore(), agents: [agent], model, port: 0, apiKeys: false, onError: () => {} });
const loadAtStart = loadavg().map((value) => round(value));

// Warm both paths (module loading, JIT, connection pools) before measuring.
for (let index = 0; index < 5; index++) {
  await direct(standIn);
  await throughServe(server.url, standIn);
}
const directMs: number[] = [];
const serveMs: number[] = [];
for (let index = 0; index < SAMPLES; index++) {
  directMs.push(await direct(standIn));
  serveMs.push(await throughServe(server.url, standIn));
}
await server.close();
standIn.server.closeAllConnections();
standIn.server.close();

const results = {
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    os: `${platform()} ${release()}`,
  },
  samples: SAMPLES,
  firstFrameDelayMs: FIRST_FRAME_DELAY_MS,
  medianMs: { direct: round(median(directMs)), serve: round(median(serveMs)) },
  addedMs: round(median(serveMs) - median(directMs)),
  goalAddedMs,
};
const out = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "streaming.json"), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(
  join(out, "streaming.md"),
  `# Time to the first streamed piece: through serve vs. directly from the provider

Run ${results.date} with \`node bench/streaming.bench.ts\`: node ${results.machine.node}, ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, ${results.machine.os}; load average at start ${loadAtStart.join(", ")}.
A stand-in speaking the OpenAI Chat Completions stream over loopback writes its first piece ${FIRST_FRAME_DELAY_MS} ms after the request; both paths are timed from that write to the first piece at the client, ${SAMPLES} runs each, alternating, after 5 warm-up runs. Stand-in, server (memory store, the openai-compatible adapter) and clients share one process.

| path | median, first piece written → received |
| --- | --- |
| directly: fetch the stand-in, read its SSE | ${results.medianMs.direct} ms |
| through serve: adapter (doStream) → step → runner → \`GET /v1/threads/:id/stream\` \`model_delta\` | ${results.medianMs.serve} ms |
| **added by serve** (difference of the medians) | **${results.addedMs} ms** (goal ≤ ${goalAddedMs} ms) |
`,
);
console.log(JSON.stringify(results, null, 2));
