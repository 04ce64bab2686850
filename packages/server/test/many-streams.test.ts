/**
 * Two thousand event streams at a server process with the default limits (100 per key, 1,000 in
 * all): the ones past a limit are 429s with `Retry-After`, the server keeps answering, its memory
 * grows by a bounded amount, and every slot is free again once the clients go away.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { openSocket, rawRequest, requestBytes } from "./support/raw-http.ts";

const keys = 20;
const perKey = 100;
const total = 1000;
const attempts = 2000;
/**
 * A generous bound, not a measurement. A thousand open streams grew this process by about 100 MB of
 * resident memory (about 26 MB of it live heap after a full GC, the rest garbage not yet collected
 * and allocator slack); a leak, or a stream that buffers what it sends, would go far past it.
 */
const maxGrowthBytes = 150 * 1024 * 1024;

/** Resident memory of a process, in bytes. */
function residentBytes(pid: number): number {
  try {
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    if (kilobytes) return Number(kilobytes) * 1024;
  } catch {}
  return Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) * 1024;
}

interface Opened {
  socket: Socket;
  status: number;
  retryAfter: string | undefined;
  body: string;
}

describe("thousands of event streams", () => {
  let directory: string;
  let server: ChildServer;
  let port: number;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), "agentfold-streams-"));
    const apiKeys = Array.from({ length: keys }, (_, index) => `k${index}:key-${String(index).padStart(4, "0")}-secret`).join(",");
    server = await startChildServer({ TEST_DB: join(directory, "threads.db"), TEST_API_KEYS: apiKeys });
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it(`${attempts} streams: ${total} open, the rest 429 with Retry-After; memory bounded; slots freed`, async (t) => {
    const auth = (index: number) => ({ authorization: `Bearer key-${String(index).padStart(4, "0")}-secret` });
    const launched = await rawRequest(port, {
      method: "POST",
      target: "/v1/threads",
      headers: { ...auth(0), "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "divide 3 by 4" }),
    });
    const threadId = (JSON.parse(launched.body) as { id: string }).id;
    const streamRequest = (key: number) =>
      requestBytes(port, { method: "GET", target: `/v1/threads/${threadId}/stream`, headers: { ...auth(key), connection: "keep-alive" } });

    /** Opens a stream as key `key`: a 200 keeps its socket open; anything else is read whole and closed. */
    const open = async (key: number): Promise<Opened> => {
      const socket = await openSocket(port);
      return new Promise<Opened>((resolve, reject) => {
        let data = "";
        const onData = (chunk: Buffer) => {
          data += chunk.toString("latin1");
          const head = /^HTTP\/1\.1 (\d{3})[\s\S]*?\r\n\r\n/.exec(data);
          if (!head) return;
          const status = Number(head[1]);
          const retryAfter = /\r\nretry-after: *(\S+)/i.exec(head[0])?.[1];
          if (status === 200) {
            socket.off("data", onData);
            return resolve({ socket, status, retryAfter, body: "" });
          }
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head[0])?.[1] ?? 0);
          if (data.length - head[0].length >= length) {
            socket.destroy();
            resolve({ socket, status, retryAfter, body: data.slice(head[0].length) });
          }
        };
        socket.on("data", onData);
        socket.once("error", reject);
        socket.write(streamRequest(key));
      });
    };

    // Warm up (the first stream loads code), then the baseline.
    (await open(1)).socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = residentBytes(server.child.pid!);

    // Each key asks for its share of the attempts, a batch of keys at a time.
    const opened: Opened[] = [];
    const perKeyAttempts = attempts / keys;
    for (let first = 0; first < keys; first += 5) {
      const batch = Array.from({ length: 5 * perKeyAttempts }, (_, index) => open(first + Math.floor(index / perKeyAttempts)));
      opened.push(...(await Promise.all(batch)));
    }
    // One key past its own limit: the per-key 429.
    const overKey = await Promise.all(Array.from({ length: 5 }, () => open(0)));

    const accepted = opened.filter((stream) => stream.status === 200);
    const refused = opened.filter((stream) => stream.status !== 200);
    assert.equal(accepted.length, total, "as many streams as the global limit");
    assert.equal(refused.length, attempts - total);
    for (const stream of [...refused, ...overKey]) {
      assert.equal(stream.status, 429);
      assert.equal(stream.retryAfter, "5");
      assert.equal((JSON.parse(stream.body) as { error: { code: string } }).error.code, "too_many_streams");
    }
    assert.match(refused[0]!.body, /maxStreams: 1000/);
    assert.match(overKey[0]!.body, /maxStreamsPerKey: 100/);

    // The server answers other requests with a thousand streams open, and the memory they cost is bounded.
    assert.equal((await rawRequest(port, { method: "GET", target: "/healthz" }, 10_000)).status, 200);
    const thread = await rawRequest(port, { method: "GET", target: `/v1/threads/${threadId}`, headers: auth(3) }, 10_000);
    assert.equal(thread.status, 200);
    const during = residentBytes(server.child.pid!);
    t.diagnostic(
      `resident memory ${(before / 2 ** 20).toFixed(1)} MB before, ${(during / 2 ** 20).toFixed(1)} MB with ${accepted.length} streams open`,
    );
    assert.ok(during - before < maxGrowthBytes, `memory grew by ${((during - before) / 2 ** 20).toFixed(1)} MB`);

    // A decision reaches the open streams; then every client goes away and the slots are free again.
    const someStream = accepted[0]!.socket;
    const delivered = new Promise<void>((resolve) => {
      let seen = "";
      someStream.on("data", (chunk: Buffer) => {
        seen += chunk.toString("latin1");
        if (seen.includes("event: approval_decision")) resolve();
      });
    });
    const approved = await rawRequest(
      port,
      {
        method: "POST",
        target: `/v1/threads/${threadId}/approvals/call_1_0?wait=0`,
        headers: { ...auth(2), "content-type": "application/json" },
        body: '{"approved":true}',
      },
      10_000,
    );
    assert.ok(approved.status === 200 || approved.status === 202, `approval: ${approved.status} ${approved.body}`);
    await delivered;
    for (const stream of accepted) stream.socket.destroy();
    let again: Opened[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await Promise.all(Array.from({ length: perKey }, () => open(7)));
      for (const stream of again) stream.socket.destroy();
      if (again.every((stream) => stream.status === 200)) break;
    }
    assert.deepEqual(new Set(again.map((stream) => stream.status)), new Set([200]), "a key has all its slots again");
    assert.equal(server.child.exitCode, null, "the server process is still running");
  });
});
