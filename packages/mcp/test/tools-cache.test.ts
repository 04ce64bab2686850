/**
 * `toolsCache`: with the list in a file, defining the tools starts no server; the real filesystem
 * server starts on the first call, and a tool the file lists but the server dropped fails clearly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mcpTools } from "@agentfold/mcp";
import { ConfigurationError, defineAgent, doneForNow } from "agentfold";
import { createFakeClock, ScriptedModel } from "agentfold/testing";
import { filesystemServer, temporaryFolder } from "./support.ts";

const clock = createFakeClock("2026-01-01T00:00:00.000Z", { tickMs: 1000 });

/** The filesystem server behind a script that leaves a marker file when it starts. */
function markedServer(folder: string): { args: string[]; marker: string } {
  const marker = join(folder, "started.txt");
  const wrapper = join(folder, "server.mjs");
  writeFileSync(
    wrapper,
    `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "started");\nawait import(${JSON.stringify(filesystemServer)});\n`,
  );
  return { args: [wrapper, folder], marker };
}

test("with a tools cache, mcpTools starts no server; the first call does", async () => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, "todo.md"), "- [ ] buy milk\n");
  const { args, marker } = markedServer(folder);
  const toolsCache = join(folder, "cache", "files.json");

  const first = await mcpTools({ name: "files", command: process.execPath, args, toolsCache });
  await first.close();
  assert.ok(existsSync(marker), "without the file, the server is listed");
  const written = JSON.parse(readFileSync(toolsCache, "utf8"));
  assert.ok(written.tools.some((tool: { name: string }) => tool.name === "read_text_file"));

  rmSync(marker);
  const files = await mcpTools({ name: "files", command: process.execPath, args, toolsCache, include: ["read_text_file"] });
  try {
    assert.deepEqual(
      files.tools.map((tool) => tool.intent),
      ["read_text_file"],
    );
    assert.equal(existsSync(marker), false, "defining the tools from the cache started the server");

    const agent = defineAgent({ name: "files", tools: [...files.tools, doneForNow()] });
    const model = new ScriptedModel([
      { intent: "read_text_file", path: join(folder, "todo.md") },
      { intent: "done_for_now", message: "read" },
    ]);
    const thread = await agent.run(agent.start("read the list", { clock }), { model, clock });
    assert.equal(thread.status, "done");
    const result = thread.events.find((event) => event.type === "tool_result");
    assert.deepEqual(result?.type === "tool_result" && result.result, { content: "- [ ] buy milk\n" });
    assert.ok(existsSync(marker), "the first call started the server");
  } finally {
    await files.close();
  }
});

test("a tool the cache lists but the server no longer does fails with the server's current list", async () => {
  const folder = temporaryFolder();
  const toolsCache = join(folder, "files.json");
  const gone = { name: "shred_file", description: "gone", inputSchema: { type: "object", properties: {} } };
  writeFileSync(toolsCache, JSON.stringify({ format: "agentfold.mcp-tools/1", server: "files", tools: [gone] }));
  const files = await mcpTools({
    name: "files",
    command: process.execPath,
    args: [filesystemServer, folder],
    toolsCache,
    approval: { shred_file: "never" },
  });
  try {
    const agent = defineAgent({ name: "files", tools: [...files.tools, doneForNow()] });
    const model = new ScriptedModel([{ intent: "shred_file" }, { intent: "done_for_now", message: "x" }]);
    const thread = await agent.run(agent.start("shred", { clock }), { model, clock });
    const error = thread.events.find((event) => event.type === "error");
    assert.ok(error?.type === "error");
    assert.match(error.message, /no longer lists the tool "shred_file" \(it lists: .*read_text_file/);
  } finally {
    await files.close();
  }
});

test("a cache file that is not a tool list is a clear error", async () => {
  const folder = temporaryFolder();
  const toolsCache = join(folder, "files.json");
  writeFileSync(toolsCache, "{}");
  await assert.rejects(
    mcpTools({ name: "files", command: process.execPath, args: [filesystemServer, folder], toolsCache }),
    (error) =>
      error instanceof ConfigurationError &&
      /toolsCache .*files\.json is not a tool list written by mcpTools.*Delete it/.test(error.message),
  );
});
