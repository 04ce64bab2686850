/**
 * Record and replay of model exchanges at the HTTP level. Recording wraps `fetch` and writes each
 * request and response to a cassette file; replaying serves them back through a fake `fetch`, so the
 * adapter's real wire handling runs offline. API keys and other request headers are never written.
 *
 * Replay is strict by default: a request that was not recorded is an error naming where it differs
 * from the closest recorded one, so a changed prompt cannot pass on stale replies.
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

/**
 * What a replayed request must match: method, body, and the URL without its origin. The origin is
 * configuration (`OPENAI_BASE_URL`, a proxy), not part of what was asked, so a cassette recorded
 * against one base URL replays under another.
 */
function matchKey(request: CassetteExchange["request"]): CassetteExchange["request"] {
  let url = request.url;
  try {
    const parsed = new URL(request.url);
    url = `${parsed.pathname}${parsed.search}`;
  } catch {
    // Not an absolute URL (a hand-written cassette): compare it as written.
  }
  return { method: request.method, url, body: request.body };
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
 * Reads a cassette file, with an error that names the file and says what is wrong with it.
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
  let cassette: Partial<Cassette>;
  try {
    cassette = JSON.parse(text) as Partial<Cassette>;
  } catch (error) {
    throw new ConfigurationError(
      `The cassette ${path} is not valid JSON (${(error as Error).message}). Record it again, or restore it from version control.`,
      { cause: error },
    );
  }
  if (cassette?.version !== 1 || typeof cassette.spec !== "string" || !Array.isArray(cassette.exchanges)) {
    throw new ConfigurationError(`${path} is not a cassette: expected { "version": 1, "spec": "...", "exchanges": [...] }.`);
  }
  return cassette as Cassette;
}

export interface ReplayOptions {
  /**
   * `strict` (default): each request is served the first unused exchange recorded for the same
   * method, URL path and body; any other request is an error naming the first difference. `loose`:
   * a request with no such exchange gets the next unused one in recorded order, whatever it was
   * recorded for (for hand-written cassettes that only script replies).
   */
  match?: "strict" | "loose";
}

/**
 * A `fetch` that serves a cassette's responses. Strict by default: a request that was not recorded
 * (a changed prompt, tool or setting) throws a `ConfigurationError` naming where it differs from the
 * closest recorded request and saying to record again. Running out is a clear error too.
 *
 * @example
 * const model = openaiModel("gpt-4o-mini", { apiKey: "replay", fetch: replayingFetch(readCassette(path), path) });
 * const scripted = replayingFetch(handWritten, "scripted.json", { match: "loose" });
 */
export function replayingFetch(cassette: Cassette, path = "cassette", options: ReplayOptions = {}): FetchFunction {
  const loose = options.match === "loose";
  const used = new Set<number>();
  const recorded = cassette.exchanges.map((exchange) => JSON.stringify(matchKey(exchange.request)));
  const again = `Record it again: agentfold test <eval file> --model ${cassette.spec} --record (or run with --model record:${cassette.spec}).`;
  const replayer = async (input: Parameters<FetchFunction>[0], init?: Parameters<FetchFunction>[1]) => {
    init?.signal?.throwIfAborted();
    const sent = matchKey(requestParts(input, init));
    const wanted = JSON.stringify(sent);
    let index = recorded.findIndex((key, position) => !used.has(position) && key === wanted);
    if (index === -1 && loose) index = cassette.exchanges.findIndex((_exchange, position) => !used.has(position));
    if (index === -1) {
      const total = cassette.exchanges.length;
      if (used.size === total) {
        throw new ConfigurationError(`The cassette ${path} has no more recorded exchanges (${total} recorded). ${again}`);
      }
      const matching = recorded.filter((key) => key === wanted).length;
      if (matching > 0) {
        throw new ConfigurationError(
          `The cassette ${path} has no more recorded exchanges (${total} recorded) for this request: the ${matching} recorded for it were all replayed. ${again}`,
        );
      }
      throw new ConfigurationError(`${missMessage(cassette, path, sent, used)} ${again}`);
    }
    used.add(index);
    const exchange = cassette.exchanges[index] as CassetteExchange;
    return new Response(exchange.response.body, { status: exchange.response.status, headers: exchange.response.headers });
  };
  return replayer as FetchFunction;
}

/** Explains a strict-replay miss by the first difference from the closest unused recorded request. */
function missMessage(cassette: Cassette, path: string, sent: CassetteExchange["request"], used: ReadonlySet<number>): string {
  const wanted = JSON.stringify(sent);
  let closest = -1;
  let longest = -1;
  for (const [position, exchange] of cassette.exchanges.entries()) {
    if (used.has(position)) continue;
    const shared = commonPrefixLength(JSON.stringify(matchKey(exchange.request)), wanted);
    if (shared > longest) {
      longest = shared;
      closest = position;
    }
  }
  const exchange = cassette.exchanges[closest] as CassetteExchange;
  const difference = firstDifference(matchKey(exchange.request), sent, "request");
  const where = difference
    ? `at ${difference.path}: recorded ${difference.recorded}, sent ${difference.sent}`
    : "in a way JSON cannot show";
  return (
    `The cassette ${path} has no recorded exchange for this request. It differs from the closest recorded one ` +
    `(exchange ${closest + 1} of ${cassette.exchanges.length}) ${where}. The prompt, tools or settings changed since it was recorded.`
  );
}

function commonPrefixLength(a: string, b: string): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}

interface Difference {
  path: string;
  recorded: string;
  sent: string;
}

/**
 * Walks two JSON values side by side and reports the first place they differ, with short excerpts.
 *
 * For example `{ a: [1, 2] }` against `{ a: [1, 3] }` at "body" gives `body.a[1]`, recorded "2", sent "3".
 */
function firstDifference(recorded: unknown, sent: unknown, path: string): Difference | undefined {
  if (Object.is(recorded, sent)) return undefined;
  if (typeof recorded === "string" && typeof sent === "string") return { path, ...stringExcerpts(recorded, sent) };
  const bothArrays = Array.isArray(recorded) && Array.isArray(sent);
  const bothObjects = isPlainObject(recorded) && isPlainObject(sent);
  if (bothArrays) {
    const length = Math.max(recorded.length, sent.length);
    for (let index = 0; index < length; index++) {
      const inner = firstDifference(recorded[index], sent[index], `${path}[${index}]`);
      if (inner) return inner;
    }
    return undefined;
  }
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(recorded), ...Object.keys(sent)])];
    for (const key of keys) {
      const inner = firstDifference(
        recorded[key],
        sent[key],
        /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
      );
      if (inner) return inner;
    }
    return undefined;
  }
  return { path, recorded: excerpt(recorded), sent: excerpt(sent) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function excerpt(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Both strings around their first differing character, so a long prompt shows where it changed. */
function stringExcerpts(recorded: string, sent: string): { recorded: string; sent: string } {
  const at = commonPrefixLength(recorded, sent);
  const start = Math.max(0, at - 30);
  const cut = (text: string) => {
    const piece = text.slice(start, at + 50);
    return `${start > 0 ? "..." : ""}${JSON.stringify(piece)}${at + 50 < text.length ? "..." : ""}`;
  };
  return { recorded: cut(recorded), sent: cut(sent) };
}
