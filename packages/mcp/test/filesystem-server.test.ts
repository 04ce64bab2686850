/**
 * The MCP filesystem server as a tool source, over stdio, in the example agent: it reads freely and
 * writes only after approval, across two processes of the real CLI.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary, repoRoot, temporaryFolder } from "./support.ts";

const agentModule = join(repoRoot, "examples/mcp-files/agent.ts");
const script = join(repoRoot, "examples/mcp-files/script.json");

test("the example agent reads at once, waits for approval before writing, and writes in a new process once approved", async () => {
  const folder = temporaryFolder();
  const todo = join(folder, "todo.md");
  writeFileSync(todo, "- [ ] buy milk\n");
  const env = { MCP_FILES_DIR: folder };
  const db = join(folder, "agentfold.db");

  const started = await runBinary(["run", agentModule, "tick off buy milk", "--db", db, "--model", `script:${script}`, "--json"], env);
  assert.equal(started.code, 3, started.stderr);
  const paused = JSON.parse(started.stdout);
  assert.equal(paused.status, "awaiting_approval");
  assert.equal(paused.pending.length, 1);
  assert.equal(paused.pending[0].intent, "write_file");
  assert.deepEqual(paused.pending[0].args, { path: "todo.md", content: "- [x] buy milk\n" });
  assert.equal(readFileSync(todo, "utf8"), "- [ ] buy milk\n", "write_file must not run before approval");

  const shown = await runBinary(["threads", "show", paused.id, "--db", db, "--json"], env);
  const events = JSON.parse(shown.stdout).events as { type: string; intent?: string; result?: unknown }[];
  const read = events.find((event) => event.type === "tool_result" && event.intent === "read_text_file");
  assert.deepEqual(
    read?.result,
    { content: "- [ ] buy milk\n" },
    "read_text_file ran without approval and its structured content was recorded",
  );
  assert.equal(events.filter((event) => event.type === "tool_started" && event.intent === "write_file").length, 0);

  const approved = await runBinary(["approve", paused.id, paused.pending[0].callId, "--db", db, "--json"], env);
  assert.equal(approved.code, 0, approved.stderr);
  assert.equal(JSON.parse(approved.stdout).status, "done");
  assert.equal(readFileSync(todo, "utf8"), "- [x] buy milk\n");
});
