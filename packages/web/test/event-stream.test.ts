import assert from "node:assert/strict";
import { registerHooks } from "node:module";
import { afterEach, describe, it } from "node:test";
import { waitFor, sleep } from "./support/wait.ts";

type StreamedEvent = { type: string; at: string; sequence: number };
type FollowOptions = {
  after: number;
  onEvent: (event: StreamedEvent) => void;
  onStatus?: (connected: boolean, problem?: string) => void;
  onMalformed?: () => void;
  onError?: (error: Error & { status?: number }) => void;
  onDelta?: (delta: { kind: string; attempt: number; after: number; text?: string }) => void;
  retryMs?: number;
};

/** The first reconnection delay the tests give followThread (the UI's is 500 ms). */
const retryMs = 50;
/** Longer than that delay: a reconnect would have happened by then. */
const reconnectWindowMs = 4 * retryMs;
// In the browser, "./eventsource-parser.js" is the web app's /assets/eventsource-parser.js, served
// from the installed package; here it resolves to that package the same way.
registerHooks({
  resolve: (specifier, context, next) =>
    specifier === "./eventsource-parser.js" && context.parentURL?.includes("/public/")
      ? next(import.meta.resolve("eventsource-parser"), context)
      : next(specifier, context),
});
const {
  followThread,
}: {
  followThread(threadId: string, options: FollowOptions): () => void;
} = await import(new URL("../public/event-stream.js", import.meta.url).href);

describe("following a thread", () => {
  const realFetch = globalThis.fetch;
  /** The URLs fetched, in order. */
  let requests: string[] = [];
  let stop = () => {};

  /** Answers every request with `respond`; the module reads the API key from sessionStorage. */
  function fakeServer(respond: (url: string) => Response) {
    requests = [];
    Object.assign(globalThis, { sessionStorage: { getItem: () => null } });
    globalThis.fetch = async (input: string | URL | Request) => {
      const url = String(input);
      requests.push(url);
      return respond(url);
    };
  }

  /** A stream that sends `text` and stays open, like a live thread with nothing new. */
  function openStream(text: string): Response {
    const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(new TextEncoder().encode(text)) });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }

  afterEach(() => {
    stop();
    globalThis.fetch = realFetch;
    Reflect.deleteProperty(globalThis, "sessionStorage");
  });

  it("reads messages split across chunks, with comments, CRLF line ends and multi-line data", async () => {
    const event = (sequence: number) => `{"sequence":${sequence},"type":"custom","at":"2026-01-01T00:00:00.000Z"}`;
    const chunks = [
      `: keep-alive\n\nid: 1\nevent: custom\ndata: ${event(1)}\r`,
      `\n\r\nid: 2\ndata: ${event(2).slice(0, 10)}`,
      `${event(2).slice(10)}\n\n`,
      `id: 3\ndata: {"sequence":3,\ndata: "type":"custom","at":"x"}\n\n`,
    ];
    fakeServer(() => {
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const events: number[] = [];
    stop = followThread("thr_1", { after: 0, retryMs, onEvent: (received) => events.push(received.sequence) });
    await waitFor("three events", async () => events.length === 3, 2_000);
    assert.deepEqual(events, [1, 2, 3]);
  });

  it("skips a message whose data is not JSON and keeps the stream", async () => {
    fakeServer(() =>
      openStream('id: 1\ndata: {not json\n\nid: 2\ndata: {"sequence":2,"type":"custom","at":"2026-01-01T00:00:00.000Z"}\n\n'),
    );
    const events: number[] = [];
    let malformed = 0;
    const statuses: string[] = [];
    stop = followThread("thr_1", {
      after: 0,
      retryMs,
      onEvent: (event) => events.push(event.sequence),
      onMalformed: () => (malformed += 1),
      onStatus: (connected, problem) => statuses.push(connected ? "connected" : (problem ?? "")),
    });
    await waitFor("the good event", async () => events.length > 0, 2_000);
    await sleep(reconnectWindowMs);
    assert.deepEqual(events, [2]);
    assert.equal(malformed, 1);
    assert.deepEqual(requests, ["/v1/threads/thr_1/stream?after=0"]);
    assert.deepEqual(statuses, ["connected"]);
  });

  it("hands model deltas to onDelta, in order with the events, without counting them as events", async () => {
    const stored = `id: 1\nevent: user_input\ndata: {"sequence":1,"type":"user_input","at":"2026-01-01T00:00:00.000Z"}\n\n`;
    const delta = (text: string) =>
      `event: model_delta\ndata: {"type":"model_delta","after":1,"kind":"text","attempt":1,"text":${JSON.stringify(text)}}\n\n`;
    const decision = `id: 2\nevent: model_decision\ndata: {"sequence":2,"type":"model_decision","at":"2026-01-01T00:00:01.000Z"}\n\n`;
    fakeServer(() => openStream(stored + delta("Hel") + delta("lo") + decision));
    const seen: string[] = [];
    let malformed = 0;
    stop = followThread("thr_1", {
      after: 0,
      retryMs,
      onEvent: (event) => seen.push(`event ${event.sequence}`),
      onDelta: (piece) => seen.push(`delta ${piece.text} after ${piece.after}`),
      onMalformed: () => (malformed += 1),
    });
    await waitFor("the decision", async () => seen.includes("event 2"), 2_000);
    assert.deepEqual(seen, ["event 1", "delta Hel after 1", "delta lo after 1", "event 2"]);
    assert.equal(malformed, 0);
  });

  it("reports a 401 as an API error instead of stopping silently", async () => {
    fakeServer(() => Response.json({ error: { code: "unauthorized", message: "A valid API key is required." } }, { status: 401 }));
    const errors: (Error & { status?: number })[] = [];
    stop = followThread("thr_1", { after: 3, retryMs, onEvent: () => {}, onError: (error) => errors.push(error) });
    await waitFor("the error", async () => errors.length > 0, 2_000);
    await sleep(reconnectWindowMs);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.name, "ApiError");
    assert.equal(errors[0]!.status, 401);
    assert.equal(errors[0]!.message, "A valid API key is required.");
    assert.equal(requests.length, 1, "no retry with a key the server refused");
  });
});
