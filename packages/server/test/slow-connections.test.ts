/**
 * Slow, dropped and half-open connections against a real server: it goes on answering other
 * clients, refuses a request trickled past its timeout with a JSON 408, and leaks neither sockets
 * nor stream slots once the clients are gone.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { startServer, type RunningServer } from "../src/index.ts";
import { openSocket, rawRequest, readResponse, requestBytes } from "./support/raw-http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const requestTimeoutMs = 1000;
const maxStreamsPerKey = 3;

/** Open TCP sockets in this process, client and server ends both (the listener is not one). */
const openSockets = () => process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap").length;

/** Waits until `count()` is at most `expected`, for up to 5 s; returns the last count. */
async function settlesTo(count: () => number, expected: number): Promise<number> {
  let value = count();
  for (let waited = 0; value > expected && waited < 5000; waited += 20) {
    await sleep(20);
    value = count();
  }
  return value;
}

/** Writes `bytes` one at a time, `everyMs` apart, until done or the socket closes. */
async function trickle(socket: Socket, bytes: Buffer, everyMs: number): Promise<void> {
  for (let index = 0; index < bytes.length && !socket.destroyed && socket.writable; index++) {
    socket.write(bytes.subarray(index, index + 1));
    await sleep(everyMs);
  }
}

describe("slow, dropped and half-open connections", () => {
  let server: RunningServer;
  let threadId: string;
  let baseline: number;

  const healthy = async () => {
    const health = await rawRequest(server.port, { method: "GET", target: "/healthz" }, 5000);
    assert.equal(health.status, 200);
  };
  const streamRequest = () =>
    requestBytes(server.port, { method: "GET", target: `/v1/threads/${threadId}/stream`, headers: { connection: "keep-alive" } });
  /** Opens an event stream and waits for its headers; resolves the socket and its status. */
  const openStream = async () => {
    const socket = await openSocket(server.port);
    const status = await new Promise<number>((resolve, reject) => {
      let data = "";
      socket.on("data", (chunk: Buffer) => {
        data += chunk.toString("latin1");
        const match = /^HTTP\/1\.1 (\d{3})[\s\S]*?\r\n\r\n/.exec(data);
        if (match) resolve(Number(match[1]));
      });
      socket.once("error", reject);
      socket.write(streamRequest());
    });
    return { socket, status };
  };
  /** Streams open at once until the limit refuses one: how many slots are free. */
  const freeStreamSlots = async () => {
    const opened: Socket[] = [];
    try {
      for (let index = 0; index <= maxStreamsPerKey; index++) {
        const { socket, status } = await openStream();
        opened.push(socket);
        if (status !== 200) return index;
      }
      return maxStreamsPerKey + 1;
    } finally {
      for (const socket of opened) socket.destroy();
    }
  };

  before(async () => {
    server = await startServer({
      store: createMemoryStore(),
      agents: [createTestAgents().calculator],
      model: createTestModel(),
      port: 0,
      apiKeys: false,
      maxStreamsPerKey,
      requestTimeoutMs,
      onError: () => {},
    });
    const launched = await rawRequest(server.port, {
      method: "POST",
      target: "/v1/threads",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "divide 3 by 4" }),
    });
    threadId = (JSON.parse(launched.body) as { id: string }).id;
    baseline = await settlesTo(openSockets, 0);
  });
  after(async () => {
    await server.close();
  });

  it("headers and a body trickled byte by byte: others are answered meanwhile, and the slow request gets a JSON 408 at the timeout", async () => {
    const headers = Buffer.from(
      `POST /v1/threads HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 60\r\nX-Padding: ${"p".repeat(200)}\r\n\r\n`,
    );
    const slow = await Promise.all(Array.from({ length: 20 }, () => openSocket(server.port)));
    const answers = slow.map((socket) => readResponse(socket, 10_000));
    // Half trickle their headers, half send headers at once and trickle the body.
    const trickling = slow.map((socket, index) => {
      if (index % 2 === 0) return trickle(socket, headers, 25);
      socket.write(headers);
      return trickle(socket, Buffer.from(`{"agent":"calculator","message":"${"x".repeat(40)}"}`), 100);
    });
    for (let check = 0; check < 3; check++) await healthy();
    const refused = await Promise.all(answers);
    for (const response of refused) {
      assert.equal(response.status, 408);
      assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, "request_timeout");
    }
    await Promise.all(trickling);
    await healthy();
    assert.equal(await settlesTo(openSockets, baseline), baseline, "no socket left open");
  });

  it("connections dropped mid-headers and mid-body leave nothing open", async () => {
    const request = requestBytes(server.port, {
      method: "POST",
      target: "/v1/threads",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "m".repeat(10_000) }),
    });
    for (const cut of [10, 40, request.length - 5_000, request.length - 1]) {
      const sockets = await Promise.all(Array.from({ length: 5 }, () => openSocket(server.port)));
      for (const [index, socket] of sockets.entries()) {
        socket.on("error", () => {});
        socket.write(request.subarray(0, cut));
        // Some go away politely, some with a reset.
        if (index % 2 === 0) socket.destroy();
        else socket.resetAndDestroy();
      }
      await healthy();
    }
    assert.equal(await settlesTo(openSockets, baseline), baseline, "no socket left open");
  });

  it("a client that drops mid-body is not logged as the server's failure", async (t) => {
    const logged = t.mock.method(console, "error", () => {});
    const request = requestBytes(server.port, {
      method: "POST",
      target: "/v1/threads",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "m".repeat(1000) }),
    });
    for (let index = 0; index < 5; index++) {
      const socket = await openSocket(server.port);
      socket.on("error", () => {});
      socket.write(request.subarray(0, request.length - 10));
      await sleep(20); // the route is reading the body
      if (index % 2 === 0) socket.destroy();
      else socket.resetAndDestroy();
    }
    await healthy();
    await sleep(50);
    assert.deepEqual(
      logged.mock.calls.map((call) => String(call.arguments[1] ?? call.arguments[0])),
      [],
    );
  });

  it("half-open clients (they sent FIN, still read) are answered, then closed", async () => {
    const sockets = await Promise.all(Array.from({ length: 10 }, () => openSocket(server.port)));
    const answers = sockets.map((socket) => readResponse(socket, 5000));
    for (const socket of sockets) socket.end(requestBytes(server.port, { method: "GET", target: `/v1/threads/${threadId}` }));
    for (const response of await Promise.all(answers)) assert.equal(response.status, 200);
    // Half-open mid-body: the body never comes; the server must not wait on it forever.
    const partial = await Promise.all(Array.from({ length: 5 }, () => openSocket(server.port)));
    const refused = partial.map((socket) => readResponse(socket, 5000).catch((error: Error) => error));
    for (const socket of partial)
      socket.end(
        requestBytes(server.port, {
          method: "POST",
          target: "/v1/threads",
          headers: { "content-type": "application/json", "content-length": "100" },
          body: '{"agent":',
        }),
      );
    for (const outcome of await Promise.all(refused)) {
      // An answer (a 400 for the cut body) or a close: both end the connection.
      if (!(outcome instanceof Error)) assert.ok(outcome.status >= 400 && outcome.status < 500, `got ${outcome.status}`);
    }
    await healthy();
    assert.equal(await settlesTo(openSockets, baseline), baseline, "no socket left open");
  });

  it("event streams dropped in every way give back their slots", async () => {
    assert.equal(await freeStreamSlots(), maxStreamsPerKey);
    for (let round = 0; round < 4; round++) {
      const streams = await Promise.all(Array.from({ length: maxStreamsPerKey }, () => openStream()));
      assert.deepEqual(
        streams.map((stream) => stream.status),
        Array(maxStreamsPerKey).fill(200),
      );
      for (const { socket } of streams) {
        socket.on("error", () => {});
        if (round === 0) socket.destroy();
        else if (round === 1) socket.resetAndDestroy();
        else if (round === 2)
          socket.end(); // half-open: the client stops sending (the server ends the stream)
        else socket.destroySoon();
      }
      let free = 0;
      for (let attempt = 0; attempt < 100 && free < maxStreamsPerKey; attempt++) {
        await sleep(20);
        free = await freeStreamSlots();
      }
      assert.equal(free, maxStreamsPerKey, `round ${round}: every slot is free again`);
      await healthy();
    }
    assert.equal(await settlesTo(openSockets, baseline), baseline, "no socket left open");
  });
});
