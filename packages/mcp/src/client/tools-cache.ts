/**
 * The tool list of an MCP server kept in a file, so an agent module can define its tools without
 * starting the server. By default each server has its own file under the project's `.agentfold/`
 * (`./.agentfold/mcp-tools/<name>-<key>.json`, beside the CLI's default database, relative to the
 * working directory); `toolsCache: "<path>"` names another file and `toolsCache: false` keeps none.
 *
 * Invariants:
 * - The file holds what the server listed, unfiltered (`include`, `approval`, `prefix` are applied
 *   after reading), so changing those options never needs a fresh listing.
 * - The key is a hash of what starts or reaches the server — command, args and cwd, or the URL
 *   without its user and password — and never of `env` or `headers`, which can hold secrets. A file
 *   written for another key (the module now starts another server) is a miss, not a warning.
 * - A file that cannot be read or is not such a list is ignored with a one-line warning and written
 *   again from the server's list; a file that cannot be written is a warning too. The cache never
 *   makes `mcpTools` fail: at worst the server is listed at every load, as without a cache.
 * - A stale file is safe: every connection that opens lists the tools again and rewrites the file
 *   when the list changed (mcp-tools.ts), and a call of a tool the server dropped fails with an
 *   error naming the tools it lists now.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ListedTool } from "agentfold";
import { canonicalJson, sha256Hex } from "agentfold/runtime";
import { isStdio, type McpServerOptions } from "./server-options.ts";

/** Bumped when the file's shape changes; a file of another version is a miss and is written again. */
export const toolsCacheFormat = "agentfold.mcp-tools/2";
const formatPrefix = "agentfold.mcp-tools/";

/** The directory of the default cache files, relative to the working directory. */
export const defaultToolsCacheDir = join(".agentfold", "mcp-tools");

/** What identifies a server for the cache: its start command or URL, without secrets. */
export function toolsCacheKey(options: McpServerOptions): string {
  let identity: unknown;
  if (isStdio(options)) {
    identity = { command: options.command, args: options.args ?? [], cwd: options.cwd ?? null };
  } else {
    const url = new URL(options.url);
    url.username = "";
    url.password = "";
    identity = { url: url.href };
  }
  return sha256Hex(canonicalJson(identity)).slice(0, 16);
}

/**
 * Where the list of this server is kept, or `undefined` with `toolsCache: false`.
 *
 * @example
 * toolsCachePath("files", { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "."] });
 * // "/home/me/project/.agentfold/mcp-tools/files-3f2a9c0d1e4b5a67.json"
 */
export function toolsCachePath(server: string, options: McpServerOptions, cwd = process.cwd()): string | undefined {
  if (options.toolsCache === false) return undefined;
  if (typeof options.toolsCache === "string") return resolve(cwd, options.toolsCache);
  const safeName = server.replace(/[^a-zA-Z0-9_.-]/g, "_").slice(0, 64);
  return resolve(cwd, defaultToolsCacheDir, `${safeName}-${toolsCacheKey(options)}.json`);
}

function warn(server: string, message: string): void {
  console.warn(`agentfold: mcpTools (${server}): ${message}`);
}

/** The cached list, or `undefined` when there is none to use (missing, another key or version, corrupt). */
export function readToolsCache(path: string, server: string, key: string): ListedTool[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") {
      warn(server, `cannot read the tools cache ${path} (${(error as Error).message}); listing the server instead.`);
    }
    return undefined;
  }
  let parsed: { format?: unknown; key?: unknown; tools?: unknown } | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const format = parsed?.format;
  if (typeof format === "string" && format.startsWith(formatPrefix) && format !== toolsCacheFormat) return undefined;
  const tools = parsed?.tools;
  if (
    format !== toolsCacheFormat ||
    !Array.isArray(tools) ||
    !tools.every((tool) => typeof tool?.name === "string" && typeof tool?.inputSchema === "object" && tool.inputSchema !== null)
  ) {
    warn(
      server,
      `the tools cache ${path} is not a tool list written by mcpTools (${toolsCacheFormat}); listing the server and writing it again.`,
    );
    return undefined;
  }
  if (parsed?.key !== key) return undefined;
  return tools as ListedTool[];
}

/** Writes the list (through a temporary file and a rename, so a reader never sees half of it). */
export function writeToolsCache(path: string, server: string, key: string, tools: readonly ListedTool[]): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, `${JSON.stringify({ format: toolsCacheFormat, server, key, tools }, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (error) {
    warn(
      server,
      `cannot write the tools cache ${path} (${(error as Error).message}); the server is listed at every load. Give toolsCache a writable file, or toolsCache: false.`,
    );
  }
}
