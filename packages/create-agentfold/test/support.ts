/**
 * Running the real `create-agentfold` bin in tests, and giving a scaffolded project this checkout's
 * packages without a registry: its `node_modules` links to them, as `npm install` of the published
 * packages would place them (the round trip through a real registry is test/registry).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const bin = fileURLToPath(new URL("../bin/create-agentfold.js", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The machine's own Node, older than agentfold supports: what a user with an old Node runs. */
export const oldNode = "/usr/bin/node";

/** The environment without anything that would pick a model, store or colours from the machine, nor npm's settings. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AGENTFOLD_|OPENAI_|ANTHROPIC_|GOOGLE_|FORCE_COLOR|NODE_TEST|NODE_OPTIONS|npm_|INIT_CWD)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", AGENTFOLD_ACTOR: "cli:tester", ...extra };
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The condition that makes this checkout's packages load from their TypeScript sources, not a dist/ build. */
export const sourceCondition = { NODE_OPTIONS: "--conditions=agentfold-source" };

/** Runs `create-agentfold ...args` with `node` (this test's Node unless another is given), without a terminal. */
export function runBin(args: readonly string[], options: { cwd: string; node?: string; env?: Record<string, string> }): Result {
  const env = cleanEnv({ ...sourceCondition, ...options.env });
  const result = spawnSync(options.node ?? process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `create-agentfold-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Lines of text, without the empty one after the last newline. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line, index, all) => line !== "" || index < all.length - 1);
}

const checkoutPackages: Record<string, string> = {
  agentfold: "packages/core",
  "@agentfold/cli": "packages/cli",
  "@agentfold/models": "packages/models",
  "@agentfold/stores": "packages/stores",
  "@agentfold/server": "packages/server",
  "@agentfold/evals": "packages/evals",
  zod: "node_modules/zod",
  "@types/node": "node_modules/@types/node",
  typescript: "node_modules/typescript",
};

/**
 * Links `project/node_modules` to this checkout's packages and their bins. Node loads them from
 * their TypeScript sources with `--conditions=agentfold-source` (see {@link sourceEnv}).
 */
export function linkCheckoutPackages(project: string): void {
  for (const [name, path] of Object.entries(checkoutPackages)) {
    const link = join(project, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(repoRoot, path), link, "dir");
  }
  const bins = join(project, "node_modules", ".bin");
  mkdirSync(bins, { recursive: true });
  symlinkSync("../@agentfold/cli/bin/agentfold.js", join(bins, "agentfold"));
  symlinkSync("../typescript/bin/tsc", join(bins, "tsc"));
}

/** The environment in which a linked project runs this checkout's sources, on this test's Node. */
export function sourceEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ ...sourceCondition, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, ...extra });
}
