/**
 * agentfold's MCP server driven by the MCP Inspector in CLI mode, a client we did not write: each
 * Inspector run is its own process starting its own `agentfold mcp`, so the approval is decided in
 * a different process from the one that paused the thread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { bin, cleanEnv, repoRoot, temporaryFolder } from "./support.ts";

const run = promisify(execFile);
const inspectorRoot = dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector/package.json"));
const inspector = join(inspectorRoot, "clients/launcher/build/index.js");

test("the MCP Inspector's CLI lists the tools, starts a thread that waits for approval, and approves it from a new process", async () => {
  const folder = temporaryFolder();
  const server = [
    process.execPath,
    bin,
    "mcp",
    "--agents",
    join(repoRoot, "examples/calculator/agent.ts"),
    "--db",
    join(folder, "a.db"),
    "--model",
    `script:${join(repoRoot, "examples/calculator/scripts/divide.json")}`,
  ];
  const inspect = async (...args: string[]) => {
    const { stdout } = await run(
      process.execPath,
      [
        inspector,
        "--cli",
        "-e",
        "NODE_OPTIONS=--conditions=agentfold-source",
        "-e",
        "AGENTFOLD_ACTOR=mcp:inspector",
        ...args,
        "--",
        ...server,
      ],
      // Its catalog goes to the test's folder, not the home directory.
      { env: cleanEnv({ MCP_CATALOG_PATH: join(folder, "catalog.json") }), cwd: repoRoot },
    );
    return JSON.parse(stdout);
  };

  const listed = await inspect("--method", "tools/list");
  assert.deepEqual(listed.tools.map((tool: { name: string }) => tool.name).sort(), [
    "answer_question",
    "approve_call",
    "list_pending",
    "read_thread",
    "reject_call",
    "start_thread",
  ]);

  const started = (
    await inspect("--method", "tools/call", "--tool-name", "start_thread", "--tool-arg", "agent=calculator", "message=divide 3 by 4")
  ).structuredContent;
  assert.equal(started.status, "awaiting_approval");
  const callId = started.pending[0].callId;

  const approved = (
    await inspect("--method", "tools/call", "--tool-name", "approve_call", "--tool-arg", `threadId=${started.id}`, `callId=${callId}`)
  ).structuredContent;
  assert.equal(approved.status, "done");
  assert.equal(approved.result, "3 divided by 4 is 0.75.");
});
