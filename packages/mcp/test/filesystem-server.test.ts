/**
 * The MCP filesystem server as a tool source, over stdio, in the example agent: it reads freely and
 * writes only after approval, across two processes of the real CLI.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mcpTools } from "@agentfold/mcp";
import { defineAgent, doneForNow, type Thread } from "agentfold";
import { createFakeClock, ScriptedModel } from "agentfold/testing";
import { filesystemServer, runBinary, repoRoot, temporaryFolder } from "./support.ts";

const clock = createFakeClock("2026-01-01T00:00:00.000Z", { tickMs: 1000 });

const agentModule = join(repoRoot, "examples/mcp-files/agent.ts");
const script = join(repoRoot, "examples/mcp-files/script.json");

test("the example agent reads at once, waits for approval before writing, and writes in a new process once approved", async () => {
  const folder = temporaryFolder();
  const todo = join(folder, "todo.md");
  writeFileSync(todo, "- [ ] buy milk\n");
  const env = { MCP_FILES_DIR: folder };
  const db = join(folder, "agentfold.db");

  const started = await runBinary(
    ["run", agentModule, "tick off buy milk", "--db", db, "--model", `script:${script}`, "--json"],
    env,
    folder,
  );
  assert.equal(started.code, 3, started.stderr);
  const paused = JSON.parse(started.stdout);
  assert.equal(paused.status, "awaiting_approval");
  assert.equal(paused.pending.length, 1);
  assert.equal(paused.pending[0].intent, "write_file");
  assert.deepEqual(paused.pending[0].args, { path: "todo.md", content: "- [x] buy milk\n" });
  assert.equal(readFileSync(todo, "utf8"), "- [ ] buy milk\n", "write_file must not run before approval");
  assert.equal(readdirSync(join(folder, ".agentfold", "mcp-tools")).length, 1, "the tool list is cached in the project");

  const shown = await runBinary(["threads", "show", paused.id, "--db", db, "--json"], env, folder);
  const events = JSON.parse(shown.stdout).events as { type: string; intent?: string; result?: unknown }[];
  const read = events.find((event) => event.type === "tool_result" && event.intent === "read_text_file");
  assert.deepEqual(
    read?.result,
    { content: "- [ ] buy milk\n" },
    "read_text_file ran without approval and its structured content was recorded",
  );
  assert.equal(events.filter((event) => event.type === "tool_started" && event.intent === "write_file").length, 0);

  const approved = await runBinary(["approve", paused.id, paused.pending[0].callId, "--db", db, "--json"], env, folder);
  assert.equal(approved.code, 0, approved.stderr);
  assert.equal(JSON.parse(approved.stdout).status, "done");
  assert.equal(readFileSync(todo, "utf8"), "- [x] buy milk\n");
});

test("a call that ran but whose result was never stored: write_file (annotated idempotent) runs again, edit_file (not idempotent) asks a person", async () => {
  const folder = temporaryFolder();
  const todo = join(folder, "todo.md");
  const files = await mcpTools({ name: "files", command: process.execPath, args: [filesystemServer, folder], toolsCache: false });
  try {
    const agent = defineAgent({ name: "files", tools: [...files.tools, doneForNow()] });
    const model = new ScriptedModel([
      { intent: "write_file", path: "todo.md", content: "- [ ] buy milk\n" },
      { intent: "edit_file", path: "todo.md", edits: [{ oldText: "- [ ]", newText: "- [x]" }] },
      { intent: "done_for_now", message: "done" },
    ]);
    // What a store holds when the process dies between a tool's run and the commit of its result.
    const crashAfterRun = async (thread: Thread): Promise<Thread> => {
      let stored = thread;
      const dead = new Error("the process died");
      await assert.rejects(
        agent.run(thread, {
          model,
          clock,
          commit: (next) => {
            if (next.events.at(-1)?.type === "tool_result") throw dead;
            stored = next;
          },
        }),
        (error) => error === dead,
      );
      return stored;
    };

    let thread = await agent.run(agent.start("write then tick", { clock }), { model, clock });
    assert.equal(thread.pending[0]?.kind === "approval" && thread.pending[0].intent, "write_file");
    thread = await crashAfterRun(agent.approve(thread, thread.pending[0]!.callId));
    assert.equal(readFileSync(todo, "utf8"), "- [ ] buy milk\n", "the write took effect before the crash");
    thread = await agent.run(thread, { model, clock });
    const writes = thread.events.filter((event) => event.type === "tool_started" && event.intent === "write_file");
    assert.equal(writes.length, 2, "write_file ran again after the crash");
    assert.equal(
      writes[0]?.type === "tool_started" && writes[0].idempotencyKey,
      writes[1]?.type === "tool_started" && writes[1].idempotencyKey,
    );
    assert.equal(thread.pending[0]?.kind === "approval" && thread.pending[0].intent, "edit_file");

    thread = await crashAfterRun(agent.approve(thread, thread.pending[0]!.callId));
    assert.equal(readFileSync(todo, "utf8"), "- [x] buy milk\n");
    thread = await agent.run(thread, { model, clock });
    assert.equal(thread.status, "awaiting_human", "edit_file is not run again: a person says what happened");
    assert.equal(thread.events.filter((event) => event.type === "tool_started" && event.intent === "edit_file").length, 1);
  } finally {
    await files.close();
  }
});
