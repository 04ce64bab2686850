/**
 * Model adapter benchmark (not a test): the overhead an adapter adds per call on top of the HTTP round
 * trip, against the loopback fake provider server, and the tiny embedded model's load time.
 *
 * Run: node bench/models.bench.ts   (writes bench/results/models.json)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { conformanceRequest } from "agentfold/testing";
import { anthropicModel, localModel, openaiCompatibleModel, openaiModel } from "../packages/models/src/index.ts";
import { startFakeProviderServer } from "../packages/models/test/support/fake-provider-server.ts";
import { writeTinyGguf } from "../packages/models/test/support/tiny-gguf.ts";

const iterations = 300;
const warmup = 50;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(run: () => Promise<unknown>): Promise<number> {
  for (let index = 0; index < warmup; index++) await run();
  const samples: number[] = [];
  for (let index = 0; index < iterations; index++) {
    const started = performance.now();
    await run();
    samples.push((performance.now() - started) * 1000);
  }
  return Math.round(median(samples));
}

const server = await startFakeProviderServer();
const request = conformanceRequest("tools");

const rawFetch = (path: string, body: string) => async () => {
  const response = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
  return response.json();
};
const payload = JSON.stringify({ model: "x", messages: [{ role: "user", content: "hello" }] });
const adapters = {
  openai: { model: openaiModel("gpt-test", { apiKey: "k", baseURL: server.url }), raw: rawFetch("/chat/completions", payload) },
  openaiCompatible: { model: openaiCompatibleModel(server.url, "qwen", {}), raw: rawFetch("/chat/completions", payload) },
  anthropic: { model: anthropicModel("claude-test", { apiKey: "k", baseURL: server.url }), raw: rawFetch("/messages", payload) },
};
// Interleave raw and adapter runs over several rounds and keep the median of the round medians, so
// warm-up and drift hit both sides alike.
const medianMicroseconds: Record<string, number> = {};
for (const [name, { model, raw }] of Object.entries(adapters)) {
  const rawRounds: number[] = [];
  const adapterRounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    rawRounds.push(await measure(raw));
    adapterRounds.push(await measure(() => model.generate(request)));
  }
  medianMicroseconds[`${name}RawFetch`] = median(rawRounds);
  medianMicroseconds[`${name}AdapterCall`] = median(adapterRounds);
  medianMicroseconds[`${name}Overhead`] = median(adapterRounds) - median(rawRounds);
}
await server.close();

const directory = await mkdtemp(join(tmpdir(), "agentfold-bench-"));
const modelPath = join(directory, "tiny.gguf");
const modelBytes = await writeTinyGguf(modelPath);
const loads: number[] = [];
let generateMs = 0;
for (let round = 0; round < 3; round++) {
  const model = localModel({
    modelPath,
    threads: 1,
    gpu: false,
    contextSize: 1024,
    grammarLimits: { characters: "ascii", maxStringLength: 24 },
  });
  loads.push(await model.load());
  if (round === 0) {
    const started = performance.now();
    await model.generate(conformanceRequest("json"));
    generateMs = performance.now() - started;
  }
  await model.dispose();
}
await rm(directory, { recursive: true, force: true });

const results = {
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    platform: `${process.platform}-${process.arch}`,
  },
  iterations,
  medianMicroseconds,
  note: "Per call against the loopback fake server. Raw fetch: POST a small chat body and parse the JSON reply. Adapter call: model.generate in tools mode (AI SDK request building, response validation, reply shaping, retry wrapper). Overhead = adapter - raw.",
  tinyModel: {
    bytes: modelBytes,
    loadMilliseconds: loads.map((value) => Math.round(value)),
    firstGenerateMilliseconds: Math.round(generateMs),
  },
};
await writeFile(new URL("./results/models.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
