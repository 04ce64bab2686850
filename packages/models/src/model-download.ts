/**
 * Downloads a GGUF file once into a cache directory, with a progress bar on stderr and a SHA-256
 * check, for `local:hf:<owner>/<repo>/<file>` and for the default local model.
 */
import { createHash } from "node:crypto";
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
  /** Pinned SHA-256. Without it, the hub's `x-linked-etag` (the LFS SHA-256) is used. */
  sha256?: string;
}

export interface DownloadOptions {
  cacheDir?: string;
  fetch?: FetchFunction;
  env?: Record<string, string | undefined>;
  /** Called as bytes arrive. Default: a progress bar on stderr. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Milliseconds to wait for the hub to start answering. Default 15 s. */
  connectTimeoutMs?: number;
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
      process.stderr.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${percent >= 0 ? `${percent}%` : ""} ${megabytes} MB`);
      if (total && received >= total) process.stderr.write("\n");
    } else if (percent !== last && percent % 10 === 0) {
      last = percent;
      process.stderr.write(`${label}: ${percent}% (${megabytes} MB)\n`);
    }
  };
}

/**
 * Returns the local path of a hub file, downloading it first if it is not cached yet. The file is
 * written under a temporary name, checked against its SHA-256 and only then moved into place.
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
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, { signal: AbortSignal.timeout(options.connectTimeoutMs ?? 15_000) });
  } catch (error) {
    throw new ConfigurationError(offline, { cause: error });
  }
  if (!response.ok || !response.body) throw new ConfigurationError(`${offline} (the hub answered HTTP ${response.status})`);
  const fromHub = response.headers.get("x-linked-etag")?.replace(/^W\//, "").replace(/"/g, "");
  const expected = source.sha256 ?? (fromHub && /^[0-9a-f]{64}$/.test(fromHub) ? fromHub : undefined);
  if (!expected) {
    throw new ConfigurationError(`No SHA-256 is known for ${url}: pin one ({ sha256 }) so the download can be checked.`);
  }
  const totalHeader = Number(response.headers.get("content-length"));
  const total = Number.isFinite(totalHeader) && totalHeader > 0 ? totalHeader : undefined;
  const report = options.onProgress ?? progressBar(`Downloading ${source.file}`);
  const partial = `${target}.part`;
  const hash = createHash("sha256");
  const output = createWriteStream(partial);
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
      if (!output.write(chunk)) await new Promise<void>((resolve) => output.once("drain", () => resolve()));
      report(received, total);
    }
    await new Promise<void>((resolve, reject) => output.end((error?: Error | null) => (error ? reject(error) : resolve())));
  } catch (error) {
    output.destroy();
    rmSync(partial, { force: true });
    throw new ConfigurationError(`${offline} (the download broke off after ${received} bytes)`, { cause: error });
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
