/**
 * Running the `agentfold` command in tests: in this process through `main(argv, options)` (most
 * tests: milliseconds instead of a Node start per command), as the real binary in a child process
 * (the few tests of the binary itself), or inside a pseudo-terminal made by util-linux `script`, with
 * keys typed once the expected prompt appears.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../src/main.ts";
import type { OutputStream } from "../src/output.ts";

export const bin = fileURLToPath(new URL("../bin/agentfold.js", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const calculatorModule = join(repoRoot, "examples/calculator/agent.ts");

/**
 * The environment without anything that would pick a model, store or colours from the machine.
 * NODE_OPTIONS keeps only the condition that loads agentfold's packages from their TypeScript
 * sources: without it the bin would import a dist/ build, which may be missing or stale.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AGENTFOLD_|OPENAI_|ANTHROPIC_|GOOGLE_|FORCE_COLOR|NODE_TEST|NODE_OPTIONS)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NODE_OPTIONS: "--conditions=agentfold-source", NO_COLOR: "1", AGENTFOLD_ACTOR: "cli:tester", ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A stream that keeps what is written to it, like a pipe (not a terminal). */
export function captureStream(): OutputStream & { text: string } {
  return {
    text: "",
    isTTY: false,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Stops the command like Ctrl-C (and SIGTERM for serve). */
  signal?: AbortSignal;
  /** Written to as the command runs, for a test that waits for output (e.g. serve's URL). */
  stdout?: OutputStream & { text: string };
}

/**
 * Runs `agentfold ...args` in this process, without a terminal, with the variables of `cleanEnv`
 * and the bin's path as the command the person typed: what the binary would print and exit with.
 */
export async function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const stdout = options.stdout ?? captureStream();
  const stderr = captureStream();
  const code = await main(args, {
    stdout,
    stderr,
    stdin: { isTTY: false },
    env: cleanEnv(options.env),
    cwd: options.cwd,
    invokedAs: bin,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the real binary, `node bin/agentfold.js ...args`, without a terminal and waits for it to exit. */
export function runBin(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
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
  const path = mkdtempSync(join(tmpdir(), `agentfold-cli-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Whether util-linux `script` can give a command a pseudo-terminal here. */
export function hasScript(): boolean {
  const probe = spawnSync("script", ["-qfec", "true", "/dev/null"], { stdio: "ignore" });
  return probe.status === 0;
}

/** Strips ANSI escape sequences so screen text can be matched. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching terminal escape codes is the point
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
}

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A CLI session in a pseudo-terminal: wait for text, type keys, read the screen. */
export interface TerminalSession {
  /** Resolves once the (plain) output contains `text` after the last match; rejects after a timeout. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  type(keys: string): Promise<void>;
  exited: Promise<number | null>;
  output(): string;
}

export const keys = { down: "\x1b[B", up: "\x1b[A", enter: "\r", backspace: "\x7f", ctrlC: "\x03" };

/** Starts `agentfold ...args` inside a 120x40 pseudo-terminal. */
export function runInTerminal(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): TerminalSession {
  const command = `stty cols 120 rows 40; exec ${[process.execPath, bin, ...args].map(quote).join(" ")}`;
  const env = cleanEnv({ TERM: "xterm-256color", ...options.env });
  delete env.NO_COLOR;
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let raw = "";
  let seen = 0;
  child.stdout.on("data", (chunk) => (raw += chunk));
  child.stderr.on("data", (chunk) => (raw += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    async waitFor(text, timeoutMs = 15_000) {
      const started = Date.now();
      for (;;) {
        const screen = plain(raw);
        const at = screen.indexOf(text, seen);
        if (at >= 0) {
          seen = at + text.length;
          // Let the prompt finish drawing and start reading keys.
          await new Promise((resolve) => setTimeout(resolve, 150));
          return;
        }
        if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${JSON.stringify(text)}. Screen so far:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async type(text) {
      child.stdin.write(text);
      await new Promise((resolve) => setTimeout(resolve, 100));
    },
    exited,
    output: () => plain(raw),
  };
}

/** Parses stdout as JSON, with the output in the error when it is not. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** `agentfold serve ...args` in this process: what it printed once listening, and how to stop it. */
export async function serve(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ started: Record<string, unknown>; stop: () => Promise<CliResult> }> {
  const controller = new AbortController();
  const stdout = captureStream();
  let finished: CliResult | undefined;
  const running = runCli(args, { ...options, stdout, signal: controller.signal }).then((result) => (finished = result));
  const started = Date.now();
  while (!stdout.text.trim().endsWith("}")) {
    if (finished || Date.now() - started > 15_000) {
      controller.abort();
      const result = await running;
      throw new Error(`serve did not start (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    started: JSON.parse(stdout.text) as Record<string, unknown>,
    stop: () => {
      controller.abort();
      return running;
    },
  };
}
