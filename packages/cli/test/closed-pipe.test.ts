/**
 * `agentfold … | head -n 1`: when the reader of stdout goes away, the command ends quietly with its
 * own exit code, never Node's stack trace for an unhandled EPIPE. Process-level (a real pipe whose
 * reading end is closed), so the real binary runs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { bin, calculatorModule, cleanEnv, fixtures, runCli, tempDir } from "./helpers.ts";

/**
 * Runs the binary with a stdout pipe whose reading end is closed right away: the child is still
 * starting Node then, so its first write to stdout already finds no reader.
 */
function runWithClosedStdout(args: readonly string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("stdout closed by its reader", () => {
  let dir: ReturnType<typeof tempDir>;
  let db: string;
  before(async () => {
    dir = tempDir("closed-pipe");
    db = join(dir.path, "threads.db");
    const script = `script:${join(fixtures, "divide.json")}`;
    for (let index = 0; index < 3; index++) {
      const run = await runCli(["run", calculatorModule, "divide 3 by 4", "--model", script, "--db", db], { cwd: dir.path });
      assert.equal(run.code, 3, run.stderr);
    }
  });
  after(() => dir.remove());

  test("--help | head -n 1 exits 0 without a stack trace", async () => {
    const result = await runWithClosedStdout(["--help"], dir.path);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
  });

  test("threads ls | head -n 1 exits 0 without a stack trace", async () => {
    const result = await runWithClosedStdout(["threads", "ls", "--db", db], dir.path);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
  });
});
