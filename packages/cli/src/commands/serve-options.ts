/**
 * `agentfold serve`'s option values and what it prints once listening: the lease TTL, a port that
 * cannot be listened on, and the mounted route groups.
 */
import type { RouteGroup } from "@agentfold/server";
import { CliError } from "../exit-codes.ts";

/** Seconds (`30`, `2.5s`) or milliseconds (`1500ms`) as milliseconds; NaN for anything else. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(text.trim());
  return match ? Math.round(Number(match[1]) * (match[2] === "ms" ? 1 : 1000)) : Number.NaN;
}

/**
 * `--lease-ttl`: seconds (`30`, `30s`, `2.5s`) or milliseconds (`1500ms`). The runner renews a lease
 * every third of it while a step runs, and another process takes a thread over once it lapses.
 *
 * @example
 * parseLeaseTtl("45");     // 45000
 * parseLeaseTtl("1500ms"); // 1500
 */
export function parseLeaseTtl(text: string): number {
  const ms = durationMs(text);
  if (!Number.isSafeInteger(ms) || ms < 100 || ms > 86_400_000) {
    throw new CliError(
      `--lease-ttl must be a duration from 100ms to 86400s: seconds (30, 2.5s) or milliseconds (1500ms), got ${JSON.stringify(text)}.`,
    );
  }
  return ms;
}

/**
 * `--drain-timeout`: seconds (`8`, `8s`, `0.5s`) or milliseconds (`500ms`), 0 to an hour. On SIGTERM
 * or Ctrl-C, `serve` stops taking new work and gives running steps this long to finish; what is
 * still running then is stopped and its lease released for another process.
 *
 * @example
 * parseDrainTimeout("20");    // 20000
 * parseDrainTimeout("500ms"); // 500
 */
export function parseDrainTimeout(text: string): number {
  const ms = durationMs(text);
  if (!Number.isSafeInteger(ms) || ms > 3_600_000) {
    throw new CliError(
      `--drain-timeout must be a duration from 0 to 3600s: seconds (8, 0.5s) or milliseconds (500ms), got ${JSON.stringify(text)}.`,
    );
  }
  return ms;
}

/**
 * A listen error as a message that says what to do, or `undefined` for other errors.
 *
 * @example
 * listenProblem(Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" }), "127.0.0.1", 3000);
 */
export function listenProblem(error: unknown, host: string, port: number): CliError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `port ${port} on ${host}`;
  const other = "pass --port <n> to use another one (--port 0 picks a free port), or set PORT";
  if (code === "EADDRINUSE")
    return new CliError(
      `Cannot listen on ${where}: it is already in use (another agentfold serve, or another program). Stop that, or ${other}.`,
    );
  if (code === "EACCES")
    return new CliError(
      `Cannot listen on ${where}: permission denied (ports below 1024 need privileges). ${other[0]!.toUpperCase()}${other.slice(1)}.`,
    );
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
    return new CliError(
      `Cannot listen on ${host}: this machine has no such address. Pass --host with one of its addresses (default 127.0.0.1).`,
    );
  return undefined;
}

/**
 * A group's paths, shortened for a banner: a path under another listed path is folded into it
 * (`/v1/threads`, `/v1/threads/:id` → `/v1/threads/…`).
 *
 * @example
 * shortPaths(["/v1/threads", "/v1/threads/:id", "/healthz"]); // ["/v1/threads/…", "/healthz"]
 */
export function shortPaths(paths: readonly string[]): string[] {
  const parents = paths.filter((path) => path !== "/" && paths.some((other) => other.startsWith(`${path}/`)));
  return paths
    .filter((path) => !parents.some((parent) => path.startsWith(`${parent}/`)))
    .map((path) => (parents.includes(path) ? `${path}/…` : path));
}

/** The banner's route lines: each group's name, then its paths. */
export function routeLines(groups: readonly RouteGroup[]): string[] {
  const width = Math.max(...groups.map((group) => group.name.length));
  return groups.map((group) => `${group.name.padEnd(width)}  ${shortPaths(group.paths).join(", ")}`);
}
