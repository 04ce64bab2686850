/**
 * Running the real `agentfold` binary from the eval tests: without a terminal, with an environment
 * that picks no model, store or colours from the machine.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const bin = fileURLToPath(new URL("../../../cli/bin/agentfold.js", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
export const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const calculatorModule = join(repoRoot, "examples/calculator/agent.ts");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `agentfold ...args` and waits for it to exit. */
export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AGENTFOLD_|OPENAI_|ANTHROPIC_|GOOGLE_|FORCE_COLOR|NODE_TEST|NODE_OPTIONS|CI$)/.test(key)) continue;
    env[key] = value;
  }
  return new Promise((resolve, reject) => {
    // Only the condition that resolves agentfold's packages to their TypeScript sources: the CLI under
    // test is this checkout's, never a dist/ build that may be older.
    const childEnv = { ...env, NODE_OPTIONS: "--conditions=agentfold-source", NO_COLOR: "1", ...options.env };
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `agentfold-evals-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The source of an eval file that works from any directory: the suite type is imported as a type
 * only (erased when Node runs it), the agent by absolute path.
 */
export function evalSource(agentModule: string, exportName: string, cases: string): string {
  return `import type { EvalSuite } from "@agentfold/evals";
import { ${exportName} } from ${JSON.stringify(agentModule)};

const suite: EvalSuite = { agent: ${exportName}, cases: ${cases} };
export default suite;
`;
}
