/**
 * Downloads a GGUF file once into a cache directory, with a progress bar on stderr and a SHA-256
 * check, for `local:hf:<owner>/<repo>/<file>` and for the default local model.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigurationError } from "agentfold";
import type { FetchFunction } from "./providers.ts";

export interface DownloadSource {
  /** `<owner>/<repo>` on the Hugging Face hub. */
  repo: string;
  /** File name inside the repo. */
  file: string;
  /**
   * Pinned SHA-256. Without it, the hub's `x-linked-etag` (the LFS SHA-256) is used: the hub sends it
   * on its redirect to the file's CDN, so redirects are followed by hand to read it.
   */
  sha256?: string;
}

export interface DownloadOptions {
  cacheDir?: string;
  fetch?: FetchFunction;
  env?: Record<string, string | undefined>;
  /** Called as bytes arrive. Default: a progress bar on stderr. */
  onProgress?: (received: number, total: number | undefined) => void;
  /**
   * Milliseconds to wait for the hub to start answering (the response headers, redirects included).
   * Reading the body is not bound by it: a large file may take many minutes. Default 15 s.
   */
  connectTimeoutMs?: number;
  /** Milliseconds without a single byte arriving before a started download is abandoned. Default 60 s. */
  idleTimeoutMs?: number;
  /** Text of the error when the hub cannot be reached. */
  offlineMessage?: string;
}

/**
 * The cache directory for downloaded models: `AGENTFOLD_MODELS_DIR`, else
 * `$XDG_CACHE_HOME/agentfold/models`, else `~/.cache/agentfold/models`.
 *
 * @example
 * modelCacheDir(process.env); // "/home/me/.cache/agentfold/models"
 */
export function modelCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.AGENTFOLD_MODELS_DIR) return env.AGENTFOLD_MODELS_DIR;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "agentfold", "models");
}

/**
 * Parses `hf:<owner>/<repo>/<file>`.
 *
 * @example
 * parseHubPath("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf");
 */
export function parseHubPath(path: string): DownloadSource {
  const match = /^hf:([^/\s]+)\/([^/\s]+)\/(.+\.gguf)$/.exec(path);
  if (!match) {
    throw new ConfigurationError(`"${path}" is not a hub model path. Write local:hf:<owner>/<repo>/<file>.gguf.`);
  }
  return { repo: `${match[1]}/${match[2]}`, file: match[3] as string };
}

function progressBar(label: string): (received: number, total: number | undefined) => void {
  let last = -1;
  return (received, total) => {
    const percent = total ? Math.floor((received / total) * 100) : -1;
    const megabytes = (received / 1_048_576).toFixed(1);
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = total ? Math.round((received / total) * width) : 0;
      process.stderr.write(
        `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${percent >= 0 ? `${percent}%` : ""} ${megabytes} MB`,
      );
      if (total && received >= total) process.stderr.write("\n");
    } else if (percent !== last && percent % 10 === 0) {
      last = percent;
      process.stderr.write(`${label}: ${percent}% (${megabytes} MB)\n`);
    }
  };
}

class DownloadTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownloadTimeout";
  }
}

interface OpenedDownload {
  /** The final response, whose body is the file. */
  response: Response;
  /** The LFS SHA-256 from `x-linked-etag`, on whichever hop carried it. */
  linkedSha256?: string;
  /** The file size from `x-linked-size`, for the progress bar when the CDN sends no length. */
  linkedSize?: number;
}

const maxRedirects = 5;

function sha256FromEtag(value: string | null): string | undefined {
  const cleaned = value?.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
  return cleaned && /^[0-9a-f]{64}$/.test(cleaned) ? cleaned : undefined;
}

/**
 * GETs `url`, following redirects by hand. The hub answers `/resolve/` with a 302 to a CDN and puts
 * `x-linked-etag` (the file's SHA-256) on that 302 only: a `fetch` that follows redirects itself
 * lands on the CDN's response and never sees it.
 */
async function openFollowingRedirects(fetchFunction: FetchFunction, url: string, signal: AbortSignal): Promise<OpenedDownload> {
  let current = url;
  let linkedSha256: string | undefined;
  let linkedSize: number | undefined;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    let response = await fetchFunction(current, { signal, redirect: "manual" });
    linkedSha256 ??= sha256FromEtag(response.headers.get("x-linked-etag"));
    const size = Number(response.headers.get("x-linked-size"));
    if (linkedSize === undefined && Number.isFinite(size) && size > 0) linkedSize = size;
    // A browser-style fetch hides manual redirects (an "opaqueredirect" with no headers): let it follow.
    if (response.type === "opaqueredirect") response = await fetchFunction(current, { signal });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || !location) {
      return {
        response,
        ...(linkedSha256 !== undefined ? { linkedSha256 } : {}),
        ...(linkedSize !== undefined ? { linkedSize } : {}),
      };
    }
    await response.body?.cancel().catch(() => {});
    current = new URL(location, current).href;
  }
  throw new Error(`${url} redirected more than ${maxRedirects} times`);
}

/** Reads one chunk, giving up (and aborting the request) when nothing arrives within `idleMs`. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number,
  controller: AbortController,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new DownloadTimeout(`no data for ${idleMs} ms`);
      controller.abort(error);
      reject(error);
    }, idleMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Returns the local path of a hub file, downloading it first if it is not cached yet. The file is
 * written under a temporary name, checked against its SHA-256 and only then moved into place.
 * `connectTimeoutMs` bounds the wait for the hub's answer; `idleTimeoutMs` the wait for each chunk, so
 * a slow but steady download of any length succeeds and a stalled one fails.
 *
 * @example
 * const path = await ensureModelFile({ repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF", file: "qwen2.5-0.5b-instruct-q4_k_m.gguf" });
 */
export async function ensureModelFile(source: DownloadSource, options: DownloadOptions = {}): Promise<string> {
  const directory = join(options.cacheDir ?? modelCacheDir(options.env), ...source.repo.split("/"));
  const target = join(directory, source.file);
  const checksumFile = `${target}.sha256`;
  if (existsSync(target) && existsSync(checksumFile)) {
    const recorded = readFileSync(checksumFile, "utf8").trim();
    if (!source.sha256 || recorded === source.sha256) return target;
  }
  mkdirSync(directory, { recursive: true });
  const url = `https://huggingface.co/${source.repo}/resolve/main/${source.file}`;
  const offline =
    options.offlineMessage ??
    `Cannot download ${url}. Download it yourself and use local:/path/to/${source.file}, or choose another model.`;
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  // One controller for the whole download; its timers are armed only while we wait for the hub (the
  // headers, then each chunk), never for the whole transfer.
  const controller = new AbortController();
  const connectTimer = setTimeout(
    () => controller.abort(new DownloadTimeout(`the hub did not answer within ${connectTimeoutMs} ms`)),
    connectTimeoutMs,
  );
  let opened: OpenedDownload;
  try {
    opened = await openFollowingRedirects(options.fetch ?? globalThis.fetch, url, controller.signal);
  } catch (error) {
    throw new ConfigurationError(offline, { cause: error });
  } finally {
    clearTimeout(connectTimer);
  }
  const { response, linkedSha256, linkedSize } = opened;
  if (!response.ok || !response.body) throw new ConfigurationError(`${offline} (the hub answered HTTP ${response.status})`);
  const expected = source.sha256 ?? linkedSha256;
  if (!expected) {
    await response.body.cancel().catch(() => {});
    throw new ConfigurationError(`No SHA-256 is known for ${url}: pin one ({ sha256 }) so the download can be checked.`);
  }
  const totalHeader = Number(response.headers.get("content-length"));
  const total = Number.isFinite(totalHeader) && totalHeader > 0 ? totalHeader : linkedSize;
  const report = options.onProgress ?? progressBar(`Downloading ${source.file}`);
  const partial = `${target}.part`;
  // node:crypto is loaded here rather than on import: it costs ~5 ms, and only a download needs it.
  const hash = process.getBuiltinModule("node:crypto").createHash("sha256");
  const output = createWriteStream(partial);
  const reader = response.body.getReader();
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, idleTimeoutMs, controller);
      if (done) break;
      hash.update(value);
      received += value.length;
      if (!output.write(value)) await new Promise<void>((resolve) => output.once("drain", () => resolve()));
      report(received, total);
    }
    await new Promise<void>((resolve, reject) => output.end((error?: Error | null) => (error ? reject(error) : resolve())));
  } catch (error) {
    output.destroy();
    rmSync(partial, { force: true });
    await reader.cancel().catch(() => {});
    const why =
      error instanceof DownloadTimeout
        ? `no data arrived for ${idleTimeoutMs / 1000} s after ${received} bytes`
        : `the download broke off after ${received} bytes`;
    throw new ConfigurationError(`${offline} (${why})`, { cause: error });
  }
  const actual = hash.digest("hex");
  if (actual !== expected) {
    rmSync(partial, { force: true });
    throw new ConfigurationError(`The download of ${url} is corrupt: SHA-256 ${actual}, expected ${expected}. Try again.`);
  }
  renameSync(partial, target);
  writeFileSync(checksumFile, `${actual}\n`);
  return target;
}
