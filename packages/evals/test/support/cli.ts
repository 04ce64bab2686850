/**
 * Running the `agentfold` command from the eval tests, in this process through the CLI's
 * `main(argv, options)`: without a terminal, with variables that pick no model, store or colours
 * from the machine. (The CLI's own tests run the binary itself.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "@agentfold/cli";

export const bin = fileURLToPath(new URL("../../../cli/bin/agentfold.js", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
export const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const calculatorModule = join(repoRoot, "examples/calculator/agent.ts");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `agentfold ...args` in this process and returns what the binary would print and exit with. */
export async function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AGENTFOLD_|OPENAI_|ANTHROPIC_|GOOGLE_|FORCE_COLOR|NODE_TEST|NODE_OPTIONS|CI$)/.test(key)) continue;
    env[key] = value;
  }
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: { isTTY: false },
    env: { ...env, NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    invokedAs: bin,
  });
  return { code, stdout, stderr };
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
