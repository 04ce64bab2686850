/**
 * What the MCP tests share: the real binary in a child process, the installed reference servers,
 * and temporary folders.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const bin = join(repoRoot, "packages/cli/bin/agentfold.js");
export const filesystemServer = require.resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
export const everythingServer = require.resolve("@modelcontextprotocol/server-everything/dist/index.js");
export const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

export function temporaryFolder(): string {
  return mkdtempSync(join(tmpdir(), "agentfold-mcp-"));
}

/** The environment without anything that would pick a model or store from the machine. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AGENTFOLD_|OPENAI_|ANTHROPIC_|GOOGLE_|NODE_TEST|NODE_OPTIONS)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NODE_OPTIONS: "--conditions=agentfold-source", NO_COLOR: "1", AGENTFOLD_ACTOR: "cli:tester", ...extra };
}

/** Runs `agentfold ...args` as its own process (in `cwd`: where a default tools cache goes) and waits for it to exit. */
export function runBinary(
  args: readonly string[],
  env: Record<string, string>,
  cwd = repoRoot,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
