/**
 * Record and replay of model exchanges at the HTTP level. Recording wraps `fetch` and writes each
 * request and response to a cassette file; replaying serves them back through a fake `fetch`, so the
 * adapter's real wire handling runs offline. API keys and other request headers are never written.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigurationError } from "agentfold";
import type { FetchFunction } from "./providers.ts";

export interface CassetteExchange {
  request: { method: string; url: string; body: unknown };
  response: { status: number; headers: Record<string, string>; body: string };
}

export interface Cassette {
  version: 1;
  /** The model spec the exchanges were recorded with, e.g. `openai:gpt-4o-mini`. */
  spec: string;
  exchanges: CassetteExchange[];
}

function parseBody(body: unknown): unknown {
  if (typeof body !== "string") return body ?? null;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function requestParts(input: Parameters<FetchFunction>[0], init: Parameters<FetchFunction>[1]) {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  return { method: init?.method ?? "GET", url, body: parseBody(init?.body) };
}

const keptHeaders = new Set(["content-type", "retry-after", "retry-after-ms"]);

/**
 * Wraps `fetch` so every exchange is appended to the cassette at `path` (rewritten after each one).
 *
 * @example
 * const fetch = recordingFetch("cassettes/calc.json", "openai:gpt-4o-mini");
 * const model = openaiModel("gpt-4o-mini", { fetch });
 */
export function recordingFetch(path: string, spec: string, inner: FetchFunction = globalThis.fetch): FetchFunction {
  const cassette: Cassette = { version: 1, spec, exchanges: [] };
  mkdirSync(dirname(path), { recursive: true });
  const recorder = async (input: Parameters<FetchFunction>[0], init?: Parameters<FetchFunction>[1]) => {
    const response = await inner(input, init);
    const body = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      if (keptHeaders.has(key.toLowerCase())) headers[key] = value;
    });
    cassette.exchanges.push({ request: requestParts(input, init), response: { status: response.status, headers, body } });
    writeFileSync(path, `${JSON.stringify(cassette, null, 2)}\n`);
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return recorder as FetchFunction;
}

/**
 * Reads a cassette file, with an error that says what is wrong with it.
 *
 * @example
 * const cassette = readCassette("cassettes/calc.json");
 */
export function readCassette(path: string): Cassette {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigurationError(`Cannot read the cassette ${path}. Record one first with a record:<spec> model.`, { cause: error });
  }
  const cassette = JSON.parse(text) as Partial<Cassette>;
  if (cassette.version !== 1 || typeof cassette.spec !== "string" || !Array.isArray(cassette.exchanges)) {
    throw new ConfigurationError(`${path} is not a cassette: expected { "version": 1, "spec": "...", "exchanges": [...] }.`);
  }
  return cassette as Cassette;
}

/**
 * A `fetch` that serves a cassette's responses: the first unused exchange with the same method, URL
 * and body, else the next unused one in recorded order. Running out is a clear error.
 *
 * @example
 * const model = openaiModel("gpt-4o-mini", { apiKey: "replay", fetch: replayingFetch(readCassette(path)) });
 */
export function replayingFetch(cassette: Cassette, path = "cassette"): FetchFunction {
  const used = new Set<number>();
  const replayer = async (input: Parameters<FetchFunction>[0], init?: Parameters<FetchFunction>[1]) => {
    init?.signal?.throwIfAborted();
    const wanted = JSON.stringify(requestParts(input, init));
    let index = cassette.exchanges.findIndex((exchange, position) => !used.has(position) && JSON.stringify(exchange.request) === wanted);
    if (index === -1) index = cassette.exchanges.findIndex((_exchange, position) => !used.has(position));
    const exchange = cassette.exchanges[index];
    if (!exchange) {
      throw new ConfigurationError(
        `The cassette ${path} has no more recorded exchanges (${cassette.exchanges.length} recorded). Record it again with record:${cassette.spec}.`,
      );
    }
    used.add(index);
    return new Response(exchange.response.body, { status: exchange.response.status, headers: exchange.response.headers });
  };
  return replayer as FetchFunction;
}
