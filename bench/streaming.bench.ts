/**
 * Time to the first streamed piece of a model reply: read directly from a provider stand-in (an
 * OpenAI Chat Completions stream over loopback, first frame after a fixed delay), and through
 * `agentfold serve` (the adapter reads the same stand-in; a client follows the thread's SSE stream
 * and waits for its first `model_delta`). Both are measured from the moment the stand-in writes its
 * first frame, so the fixed delay cancels out and what is left is what each path adds. Runs
 * alternate between the two paths, in one process (stand-in, server and clients share its event
 * loop, as they would share a machine).
 *
 * Then across processes on Postgres: two server processes (this file with `--serve`) on one
 * database, each with the Postgres delta relay; process A runs every step, and the client follows
 * the thread on A itself or on B, where the pieces arrive through LISTEN/NOTIFY. Same timing, from
 * the stand-in's first write to the first `model_delta` at the client; runs alternate between A and
 * B. Last, what a NOTIFY costs when nobody listens: the round trip of `SELECT pg_notify(...)` beside
 * `SELECT 1`. Postgres: AGENTFOLD_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
 *
 *   node bench/streaming.bench.ts
 *
 * Results go to bench/results/streaming.json and .md. Not a test: nothing here asserts timings.
 */
import { spawn, type ChildProcess } from "node:child_process";
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
import { createStore } from "@agentfold/stores";
import pg from "pg";
import { openaiStreamFrames } from "../packages/models/test/support/provider-streams.ts";

const SAMPLES = 60;
const POSTGRES_URL = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `bench_streaming_${process.pid}`;
const FIRST_FRAME_DELAY_MS = 50;
/**
 * Across processes the stream is opened on a server the launch did not go to, after the launch
 * answered: a longer delay keeps the first piece after the stream is live (a piece published before
 * a stream listens is not for it). The timing starts at the first piece, so the delay cancels out.
 */
const ACROSS_FIRST_FRAME_DELAY_MS = 200;
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
async function startStandIn(): Promise<{ url: string; firstPieceAt: number[]; server: Server; delay: { ms: number } }> {
  const delay = { ms: FIRST_FRAME_DELAY_MS };
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
      }, delay.ms);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, firstPieceAt, server, delay };
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

/** `--serve <stand-in url> <db> <schema>`: one server process on Postgres, with the delta relay of its URL. */
async function serve(standInUrl: string, db: string, schema: string): Promise<void> {
  const store = await createStore(db, { schema });
  const agent = defineAgent({ name: "bench", tools: [doneForNow()] });
  const model = openaiCompatibleModel(standInUrl, "bench", { defaultMode: "prompt" });
  const server = await startServer({ store, deltaRelay: db, agents: [agent], model, port: 0, apiKeys: false, onError: () => {} });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.on(
    "SIGTERM",
    () =>
      void server
        .close()
        .then(() => store.close())
        .then(() => process.exit(0)),
  );
}

function startChild(standInUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve", standInUrl, POSTGRES_URL, SCHEMA], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** Launches on `runsOn` and follows the thread on `streamsFrom`: first piece written → received there. */
async function acrossProcesses(runsOn: string, streamsFrom: string, standIn: { firstPieceAt: number[] }): Promise<number> {
  const launched = await fetch(`${runsOn}/v1/threads?wait=0`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ agent: "bench", message: "hi" }),
  });
  const { id } = (await launched.json()) as { id: string };
  const stream = await fetch(`${streamsFrom}/v1/threads/${id}/stream`);
  // A stream that shows the end without a piece missed them all: counted, never waited for.
  let missed = false;
  const received = await readUntil(stream.body!, (text) => {
    missed = !text.includes("event: model_delta") && text.includes("event: done");
    return missed || text.includes("event: model_delta");
  });
  return missed ? Number.NaN : received - standIn.firstPieceAt.at(-1)!;
}

/** Median round trip of `statement`, in milliseconds, over `count` runs on one connection. */
async function roundTrip(client: pg.Client, statement: string, values: unknown[], count: number): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await client.query(statement, values);
    times.push(performance.now() - started);
  }
  return median(times);
}

async function main(): Promise<void> {
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

  // Across processes on Postgres: A runs the steps; the client follows on A, or on B through the relay.
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  standIn.delay.ms = ACROSS_FIRST_FRAME_DELAY_MS;
  const first = await startChild(standIn.url);
  const second = await startChild(standIn.url);
  for (let index = 0; index < 5; index++) {
    await acrossProcesses(first.url, first.url, standIn);
    await acrossProcesses(first.url, second.url, standIn);
  }
  const sameProcessMs: number[] = [];
  const relayMs: number[] = [];
  for (let index = 0; index < SAMPLES; index++) {
    sameProcessMs.push(await acrossProcesses(first.url, first.url, standIn));
    relayMs.push(await acrossProcesses(first.url, second.url, standIn));
  }
  const missed = { sameProcess: sameProcessMs.filter(Number.isNaN).length, otherProcess: relayMs.filter(Number.isNaN).length };
  const got = (values: number[]) => values.filter((value) => !Number.isNaN(value));
  for (const { child } of [first, second]) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  // What a NOTIFY costs when no session listens on its channel, beside the cheapest statement.
  const payload = JSON.stringify({ p: "bench", t: "thread", s: 1, d: [[3, { type: "text", attempt: 1, text: "x".repeat(150) }]] });
  await roundTrip(admin, "SELECT 1", [], 200);
  const selectOneMs = await roundTrip(admin, "SELECT 1", [], 2_000);
  const notifyMs = await roundTrip(admin, "SELECT pg_notify($1, $2)", ["agentfold_delta_nobody", payload], 2_000);
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.end();
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
    postgres: {
      firstFrameDelayMs: ACROSS_FIRST_FRAME_DELAY_MS,
      medianMs: { sameProcess: round(median(got(sameProcessMs))), otherProcess: round(median(got(relayMs))) },
      addedByRelayMs: round(median(got(relayMs)) - median(got(sameProcessMs))),
      missedAllPieces: missed,
      roundTripMs: { selectOne: round(selectOneMs, 3), notifyNobodyListens: round(notifyMs, 3) },
    },
  };
  const out = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "streaming.json"), `${JSON.stringify(results, null, 2)}\n`);
  const { postgres } = results;
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

## Across server processes on one Postgres (the delta relay)

Two server processes on one Postgres (local, over loopback), each with the Postgres delta relay (LISTEN/NOTIFY, 25 ms batching window, the first piece after a quiet spell sent at once). Process A runs every step; the client (in the bench process, with the stand-in) follows the thread on A or on B. The stand-in writes its first piece ${ACROSS_FIRST_FRAME_DELAY_MS} ms after the request here (the stream on B opens after the launch on A answered); timing starts at that write, as above. ${SAMPLES} runs each, alternating, after 5 warm-up runs each; runs whose stream got no piece at all: ${postgres.missedAllPieces.sameProcess} on A, ${postgres.missedAllPieces.otherProcess} on B (left out of the medians).

| client follows the thread on | median, first piece written → received |
| --- | --- |
| A, the process that runs the step (pieces in process; A also NOTIFYs them) | ${postgres.medianMs.sameProcess} ms |
| B, another process (A's NOTIFY → Postgres → B's LISTEN connection → B's stream) | ${postgres.medianMs.otherProcess} ms |
| **added by the relay** (difference of the medians) | **${postgres.addedByRelayMs} ms** |

What a NOTIFY costs when no session listens on its channel (median round trip on one connection, 2,000 runs each): \`SELECT 1\` ${postgres.roundTripMs.selectOne} ms, \`SELECT pg_notify(channel, 200-byte payload)\` ${postgres.roundTripMs.notifyNobodyListens} ms. A process sends at most one such statement per 25 ms while its models stream, whatever the number of pieces or threads.
`,
  );
  console.log(JSON.stringify(results, null, 2));
}

if (process.argv[2] === "--serve") await serve(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else await main();
