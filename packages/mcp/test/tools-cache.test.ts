/**
 * The tools cache: with the list in a file (by default under ./.agentfold/mcp-tools/), defining the
 * tools starts no server; a call does, lists the tools again and rewrites the file when they changed;
 * a tool the file lists but the server dropped fails clearly; a corrupt file is rewritten with a
 * warning. Module loads run as processes of their own (fixtures/load-tools.ts) in a temporary
 * working directory, and the SDK-written test server counts its starts in a file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { mcpTools } from "@agentfold/mcp";
import { defineAgent, doneForNow } from "agentfold";
import { createFakeClock, ScriptedModel } from "agentfold/testing";
import { cleanEnv, filesystemServer, fixtures, temporaryFolder } from "./support.ts";

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

test("a tool the cache lists but the server no longer does fails with the server's current list, and the call rewrites the file", async () => {
  const folder = temporaryFolder();
  const toolsCache = join(folder, "files.json");
  const server = { name: "files", command: process.execPath, args: [filesystemServer, folder], toolsCache };
  await (await mcpTools(server)).close();
  // The file as an earlier version of the server left it: one more tool.
  const written = JSON.parse(readFileSync(toolsCache, "utf8"));
  written.tools.push({ name: "shred_file", description: "gone", inputSchema: { type: "object", properties: {} } });
  writeFileSync(toolsCache, JSON.stringify(written));

  const files = await mcpTools({ ...server, approval: { shred_file: "never" } });
  try {
    assert.ok(
      files.tools.some((tool) => tool.intent === "shred_file"),
      "the tools come from the file",
    );
    const agent = defineAgent({ name: "files", tools: [...files.tools, doneForNow()] });
    const model = new ScriptedModel([{ intent: "shred_file" }, { intent: "done_for_now", message: "x" }]);
    const thread = await agent.run(agent.start("shred", { clock }), { model, clock });
    const error = thread.events.find((event) => event.type === "error");
    assert.ok(error?.type === "error");
    assert.match(error.message, /no longer lists the tool "shred_file" \(it lists: .*read_text_file/);
    const listed = thread.events.find((event) => event.type === "tools_listed");
    assert.ok(
      listed?.type === "tools_listed" && listed.tools.some((tool) => tool.name === "shred_file"),
      "the thread keeps the list it saw",
    );
    const rewritten = JSON.parse(readFileSync(toolsCache, "utf8"));
    assert.ok(!rewritten.tools.some((tool: { name: string }) => tool.name === "shred_file"), "the call's listing rewrote the file");
    assert.ok(rewritten.tools.some((tool: { name: string }) => tool.name === "read_text_file"));
    assert.ok(!(await files.list()).some((tool) => tool.name === "shred_file"), "a new turn records the server's list");
  } finally {
    await files.close();
  }
});

test("a cache file that is not a tool list is ignored with a one-line warning and written again", async (t) => {
  const folder = temporaryFolder();
  const toolsCache = join(folder, "files.json");
  writeFileSync(toolsCache, "{ not json");
  const warn = t.mock.method(console, "warn", () => {});
  await using files = await mcpTools({ name: "files", command: process.execPath, args: [filesystemServer, folder], toolsCache });
  assert.ok(files.tools.some((tool) => tool.intent === "read_text_file"));
  assert.equal(warn.mock.callCount(), 1);
  const [message] = warn.mock.calls[0]!.arguments as [string];
  assert.match(
    message,
    /^agentfold: mcpTools \(files\): the tools cache .*files\.json is not a tool list written by mcpTools \(agentfold\.mcp-tools\/2\); listing the server and writing it again\.$/,
  );
  assert.doesNotMatch(message, /\n/);
  const rewritten = JSON.parse(readFileSync(toolsCache, "utf8"));
  assert.equal(rewritten.format, "agentfold.mcp-tools/2");
  assert.ok(rewritten.tools.some((tool: { name: string }) => tool.name === "read_text_file"));
});

/** Loads fixtures/load-tools.ts in a process of its own, in `cwd`. */
async function load(
  cwd: string,
  options: Record<string, unknown>,
  call?: { intent: string; args: Record<string, unknown> },
): Promise<{ intents: string[]; result?: unknown; error?: string; stderr: string }> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [`${fixtures}load-tools.ts`], {
    cwd,
    env: cleanEnv({ LOAD_TOOLS_OPTIONS: JSON.stringify(options), ...(call ? { LOAD_TOOLS_CALL: JSON.stringify(call) } : {}) }),
    timeout: 30_000,
  });
  return { ...JSON.parse(stdout), stderr };
}

test("by default the list is cached under ./.agentfold/mcp-tools: a second load starts no server, a call does and brings the cache up to date", async () => {
  const project = temporaryFolder();
  const starts = join(temporaryFolder(), "starts.txt");
  const count = () => (existsSync(starts) ? readFileSync(starts, "utf8").trim().split("\n").length : 0);
  const server = { name: "test", command: process.execPath, args: [`${fixtures}test-server.ts`] };
  const env = { TEST_SERVER_STARTS: starts, TEST_SERVER_SECRET: "s3cret-value" };
  // An older version of the server, without echo. The env is not part of the cache's key.
  const older = { ...server, env: { ...env, TEST_SERVER_WITHOUT_ECHO: "1" } };
  const newer = { ...server, env };

  const first = await load(project, older);
  assert.deepEqual(first.intents, ["crash", "fail", "retire_echo"]);
  assert.equal(count(), 1, "the first load lists the server");
  const [file, ...others] = readdirSync(join(project, ".agentfold", "mcp-tools"));
  assert.match(file!, /^test-[0-9a-f]{16}\.json$/);
  assert.deepEqual(others, []);
  const cachePath = join(project, ".agentfold", "mcp-tools", file!);
  const cached = readFileSync(cachePath, "utf8");
  assert.doesNotMatch(cached, /s3cret-value|TEST_SERVER/, "the file holds no env");
  assert.equal(JSON.parse(cached).format, "agentfold.mcp-tools/2");

  const second = await load(project, newer);
  assert.deepEqual(second.intents, ["crash", "fail", "retire_echo"], "the tools come from the file");
  assert.equal(count(), 1, "a second load starts no server");

  const called = await load(project, newer, { intent: "fail", args: {} });
  assert.match(called.error ?? "", /the disk is on fire/);
  assert.equal(count(), 2, "the call starts the server");
  assert.deepEqual(
    JSON.parse(readFileSync(cachePath, "utf8")).tools.map((tool: { name: string }) => tool.name),
    ["echo", "crash", "fail", "retire_echo"],
    "the call's connection listed the tools again and rewrote the file",
  );

  const next = await load(project, newer, { intent: "echo", args: { text: "hi" } });
  assert.deepEqual(next.intents, ["echo", "crash", "fail", "retire_echo"], "the next load sees the new tool");
  assert.equal(next.result, "echo: hi");
  assert.equal(count(), 3, "only its call started the server");

  const uncached = await load(project, { ...newer, toolsCache: false });
  assert.deepEqual(uncached.intents, ["echo", "crash", "fail", "retire_echo"]);
  assert.equal(count(), 4, "toolsCache: false lists the server at load");

  writeFileSync(cachePath, "garbage");
  const repaired = await load(project, newer);
  assert.equal(count(), 5, "a corrupt file is not used");
  assert.match(repaired.stderr, /^agentfold: mcpTools \(test\): the tools cache .* is not a tool list written by mcpTools/m);
  assert.equal(repaired.stderr.trim().split("\n").length, 1, "one line of warning");
  assert.deepEqual(repaired.intents, ["echo", "crash", "fail", "retire_echo"]);
  await load(project, newer);
  assert.equal(count(), 5, "the rewritten file is used");
  assert.deepEqual(readdirSync(join(project, ".agentfold", "mcp-tools")), [file], "one file per server, no leftovers");
});

test("options that name a tool the cached list lacks list the server instead of failing", async () => {
  const project = temporaryFolder();
  const server = { name: "test", command: process.execPath, args: [`${fixtures}test-server.ts`] };
  await load(project, { ...server, env: { TEST_SERVER_WITHOUT_ECHO: "1" } });
  const loaded = await load(project, { ...server, approval: { echo: "required" } });
  assert.deepEqual(loaded.intents, ["echo", "crash", "fail", "retire_echo"]);
});
