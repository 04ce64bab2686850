/**
 * Downloads against a fake hub on loopback that behaves like Hugging Face: `/resolve/` answers 302
 * with `x-linked-etag` (the SHA-256) and a CDN `Location`; the CDN streams the bytes without it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { ensureModelFile } from "../src/index.ts";

const chunk = Buffer.alloc(1_000, 7);
const chunks = 8;
const whole = Buffer.concat(Array.from({ length: chunks }, () => chunk));
const sha256 = createHash("sha256").update(whole).digest("hex");
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
/**
 * The slow CDN's gap between chunks: the whole body (8 gaps) takes well past the connect timeout
 * below, and each gap stays well under the idle timeout, with room for a loaded machine.
 */
const chunkGapMs = 250;
const connectTimeoutMs = 1_000;

/** How the CDN behaves in the current test. */
let cdn: "slow" | "stalls" | "hangs" = "slow";
let seen: string[] = [];
const open = new Set<ServerResponse>();

const server = createServer(async (request, response) => {
  seen.push(`${request.method} ${request.url}`);
  open.add(response);
  response.on("close", () => open.delete(response));
  if (request.url?.includes("/resolve/main/")) {
    response.writeHead(302, {
      location: "https://cdn-lfs.example/blob/abc?signature=1",
      "x-linked-etag": `"${sha256}"`,
      "x-linked-size": String(whole.length),
    });
    response.end();
    return;
  }
  if (cdn === "hangs") return;
  // The CDN's own ETag is not the SHA-256.
  response.writeHead(200, { "content-length": String(whole.length), etag: '"cdn-md5-ish"' });
  for (let index = 0; index < chunks; index++) {
    if (response.destroyed) return;
    response.write(chunk);
    if (cdn === "stalls" && index === 1) return;
    await sleep(chunkGapMs);
  }
  response.end();
});

let base: string;
let cacheDir: string;
/** Sends every https URL (hub or CDN) to the fake server, keeping path and query. */
const hubFetch = ((input: string | URL | Request, init?: RequestInit) =>
  fetch(String(input).replace(/^https:\/\/[^/]+/, base), init)) as typeof fetch;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cacheDir = mkdtempSync(join(tmpdir(), "agentfold-download-"));
});
after(async () => {
  for (const response of open) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(cacheDir, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
});

describe("model downloads", () => {
  test("a download longer than the connect timeout succeeds; the SHA-256 comes from the 302", async () => {
    cdn = "slow";
    const progress: Array<number | undefined> = [];
    const started = performance.now();
    const path = await ensureModelFile(
      { repo: "owner/repo", file: "slow.gguf" },
      { cacheDir, fetch: hubFetch, connectTimeoutMs, idleTimeoutMs: 5_000, onProgress: (_received, total) => progress.push(total) },
    );
    assert.ok(performance.now() - started > connectTimeoutMs, "the body took longer than connectTimeoutMs");
    assert.deepEqual(readFileSync(path), whole);
    assert.equal(readFileSync(`${path}.sha256`, "utf8").trim(), sha256);
    assert.deepEqual(seen, ["GET /owner/repo/resolve/main/slow.gguf", "GET /blob/abc?signature=1"]);
    assert.equal(progress[0], whole.length);
  });

  test("the SHA-256 from the 302 is checked against the bytes the CDN sends", async () => {
    cdn = "slow";
    const corrupting = ((input: string | URL | Request, init?: RequestInit) =>
      hubFetch(input, init).then((response) =>
        String(input).includes("/blob/") ? new Response(Buffer.from("other bytes"), { status: 200 }) : response,
      )) as typeof fetch;
    await assert.rejects(
      ensureModelFile({ repo: "owner/repo", file: "corrupt.gguf" }, { cacheDir, fetch: corrupting, onProgress: () => {} }),
      new RegExp(`corrupt: SHA-256 [0-9a-f]{64}, expected ${sha256}`),
    );
    assert.equal(existsSync(join(cacheDir, "owner", "repo", "corrupt.gguf.part")), false);
  });

  test("a download that stops sending bytes fails after the idle timeout and leaves no partial file", async () => {
    cdn = "stalls";
    const started = performance.now();
    await assert.rejects(
      ensureModelFile(
        { repo: "owner/repo", file: "stalled.gguf" },
        { cacheDir, fetch: hubFetch, idleTimeoutMs: 300, onProgress: () => {} },
      ),
      (error: Error) => {
        assert.equal(error.name, "ConfigurationError");
        assert.match(error.message, /no data arrived for 0\.3 s after 2000 bytes/);
        return true;
      },
    );
    assert.ok(performance.now() - started < 3_000);
    assert.equal(existsSync(join(cacheDir, "owner", "repo", "stalled.gguf.part")), false);
  });

  test("a hub that never answers fails after the connect timeout with the offline message", async () => {
    cdn = "hangs";
    const started = performance.now();
    await assert.rejects(
      ensureModelFile(
        { repo: "owner/repo", file: "hung.gguf" },
        { cacheDir, fetch: hubFetch, connectTimeoutMs: 200, offlineMessage: "offline: give a model", onProgress: () => {} },
      ),
      /offline: give a model/,
    );
    assert.ok(performance.now() - started < 3_000);
  });
});
