/**
 * mcpTools against a real MCP server process (stdio) and over Streamable HTTP: a crash mid-call is
 * an error event and the thread goes on; isError goes back to the model; bad servers are clear errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { defineAgent, doneForNow } from "agentfold";
import { createFakeClock, ScriptedModel } from "agentfold/testing";
import { mcpTools } from "@agentfold/mcp";
import { createTestServer } from "./fixtures/test-server.ts";
import { cleanEnv, fixtures, temporaryFolder } from "./support.ts";

const clock = createFakeClock("2026-01-01T00:00:00.000Z", { tickMs: 1000 });
// toolsCache: false: these tests start "versions" of one server (by env, which the cache key leaves
// out) and run in the repository's directory; tools-cache.test.ts covers the cache.
const testServer = { name: "test", command: process.execPath, args: [`${fixtures}test-server.ts`], toolsCache: false as const };

test("a server that crashes mid-call makes that call an error event; the thread goes on and the next call starts the server again", async () => {
  const set = await mcpTools(testServer);
  try {
    assert.deepEqual(
      set.tools.map((tool) => [tool.intent, tool.approval, tool.idempotent]),
      [
        ["echo", "never", true],
        ["crash", "required", false],
        ["fail", "never", true],
        ["retire_echo", "never", true],
      ],
    );
    const agent = defineAgent({ name: "crashy", tools: [...set.tools, doneForNow()] });
    const model = new ScriptedModel([
      { intent: "crash" },
      { intent: "fail" },
      [
        { intent: "echo", text: "still here" },
        { intent: "echo", text: "which key?" },
      ],
      { intent: "done_for_now", message: "ok" },
    ]);
    let thread = await agent.run(agent.start("go", { clock }), { model, clock });
    assert.equal(thread.status, "awaiting_approval");
    thread = agent.approve(thread, thread.pending[0]!.callId);
    thread = await agent.run(thread, { model, clock });
    assert.equal(thread.status, "done");
    const outcomes = thread.events
      .filter((event) => event.type === "error" || event.type === "tool_result")
      .map((event) =>
        event.type === "error" ? `error ${event.intent}: ${event.message}` : `result ${event.intent}: ${JSON.stringify(event.result)}`,
      );
    assert.match(outcomes[0]!, /^error crash: MCP server "test" closed the connection during "crash" \(it may have crashed\)/);
    assert.match(outcomes[1]!, /^error fail: fail failed: the disk is on fire/);
    assert.equal(outcomes[2], 'result echo: "echo: still here"');
    const asked = thread.events.find((event) => event.type === "tool_started" && event.args.text === "which key?");
    assert.equal(
      outcomes[3],
      `result echo: "key: ${asked?.type === "tool_started" ? asked.idempotencyKey : "?"}"`,
      "the call's idempotency key reaches the server in _meta",
    );
  } finally {
    await set.close();
  }
});

test("over Streamable HTTP, with headers sent on every request", async () => {
  const seen: (string | undefined)[] = [];
  const http = createServer(async (request, response) => {
    seen.push(request.headers.authorization);
    const transport = new StreamableHTTPServerTransport({});
    await createTestServer().connect(transport);
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  const set = await mcpTools({ url, headers: { authorization: "Bearer t0ken" }, approval: { echo: "required" }, toolsCache: false });
  try {
    assert.equal(set.server, `127.0.0.1:${(http.address() as AddressInfo).port}`);
    const echo = set.tools.find((tool) => tool.intent === "echo")!;
    assert.equal(echo.approval, "required", "approval given in mcpTools wins over readOnlyHint");
    const agent = defineAgent({ name: "remote", tools: [...set.tools, doneForNow()] });
    const model = new ScriptedModel([
      { intent: "echo", text: "hi" },
      { intent: "done_for_now", message: "ok" },
    ]);
    let thread = await agent.run(agent.start("go", { clock }), { model, clock });
    thread = await agent.run(agent.approve(thread, thread.pending[0]!.callId), { model, clock });
    assert.equal(
      thread.events.find((event) => event.type === "tool_result")?.type === "tool_result" &&
        thread.events.find((event) => event.type === "tool_result")!.result,
      "echo: hi",
    );
    assert.ok(seen.length > 0 && seen.every((header) => header === "Bearer t0ken"));
  } finally {
    await set.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

test("bad servers and bad options are clear errors that name the server and what to fix", async () => {
  await assert.rejects(mcpTools({ ...testServer, env: { TEST_SERVER_BAD_SCHEMA: "1", PATH: process.env.PATH ?? "" } }), (error: Error) => {
    assert.equal(error.name, "ConfigurationError");
    assert.match(error.message, /MCP server "test"/);
    return true;
  });
  await assert.rejects(
    mcpTools({ name: "mute", command: process.execPath, args: ["-e", "process.stdin.resume()"], connectTimeoutMs: 300 }),
    /MCP server "mute" .* did not complete the handshake within 300 ms.*connectTimeoutMs/,
  );
  await assert.rejects(
    mcpTools({ ...testServer, approval: { write_file: "required" } }),
    /approval names tools the server does not list: write_file\. It lists: echo, crash, fail/,
  );
  await assert.rejects(mcpTools({ command: "x", url: "http://a" } as never), /exactly one of command .* or url/);
  await assert.rejects(mcpTools({ url: "not a url" }), /is not a URL/);
});

test("a tool the server no longer lists is an error event that says so; the thread goes on", async () => {
  const set = await mcpTools(testServer);
  try {
    const agent = defineAgent({ name: "vanishing", tools: [...set.tools, doneForNow()] });
    const model = new ScriptedModel([
      { intent: "retire_echo" },
      { intent: "echo", text: "anyone?" },
      { intent: "done_for_now", message: "ok" },
    ]);
    const thread = await agent.run(agent.start("go", { clock }), { model, clock });
    assert.equal(thread.status, "done");
    const error = thread.events.find((event) => event.type === "error");
    assert.equal(error?.type === "error" && error.intent, "echo");
    assert.match(
      error?.type === "error" ? error.message : "",
      /MCP server "test" no longer lists the tool "echo" \(it lists: crash, fail, retire_echo\)\..*offered from the next user message on/,
    );
  } finally {
    await set.close();
  }
});

test("a process that used an MCP server exits by itself, without close(), over stdio and over HTTP", async () => {
  // A stateful server, whose clients keep an event stream open between requests.
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (request, response) => {
    const id = request.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport!),
      });
      await createTestServer().connect(transport);
    }
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    for (const env of [{ MCP_URL: url }, { MCP_COMMAND: `${fixtures}test-server.ts` }]) {
      // execFile resolves only once the child has exited: a connection that held it open would time the test out.
      const { stdout } = await promisify(execFile)(process.execPath, [`${fixtures}call-and-exit.ts`], {
        cwd: temporaryFolder(), // its tools cache goes there
        env: cleanEnv(env),
        timeout: 30_000,
      });
      assert.equal(stdout.trim(), '"echo: bye"');
    }
  } finally {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

test("a thread paused on a tool that a later version of the server dropped: the thread still offers it, and running it is an error event naming the server's current tools", async () => {
  const before = await mcpTools({ ...testServer, approval: { echo: "required" } });
  const model = new ScriptedModel([
    { intent: "echo", text: "hi" },
    { intent: "done_for_now", message: "ok" },
  ]);
  const first = defineAgent({ name: "versions", tools: [...before.tools, doneForNow()] });
  let thread = await first.run(first.start("go", { clock }), { model, clock });
  await before.close();
  assert.equal(thread.status, "awaiting_approval");
  // Another process loads the module while the server no longer lists echo.
  await using after = await mcpTools({ ...testServer, env: { TEST_SERVER_WITHOUT_ECHO: "1", PATH: process.env.PATH ?? "" } });
  const agent = defineAgent({ name: "versions", tools: [...after.tools, doneForNow()] });
  thread = await agent.run(agent.approve(thread, thread.pending[0]!.callId), { model, clock });
  assert.equal(thread.status, "done");
  const error = thread.events.find((event) => event.type === "error");
  assert.equal(error?.type === "error" && error.intent, "echo");
  assert.match(
    error?.type === "error" ? error.message : "",
    /MCP server "test" no longer lists the tool "echo" \(it lists: crash, fail, retire_echo\)/,
  );
});

test("an HTTP server that is down when a call is made: the call is an error event naming the server, and the thread goes on", async () => {
  const http = createServer(async (request, response) => {
    const transport = new StreamableHTTPServerTransport({});
    await createTestServer().connect(transport);
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  await using remote = await mcpTools({ name: "remote", url, toolsCache: false });
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));

  const agent = defineAgent({ name: "down", tools: [...remote.tools, doneForNow()] });
  const model = new ScriptedModel([
    { intent: "echo", text: "anyone?" },
    { intent: "done_for_now", message: "the server is down" },
  ]);
  const thread = await agent.run(agent.start("go", { clock }), { model, clock });
  assert.equal(thread.status, "done");
  const error = thread.events.find((event) => event.type === "error");
  assert.equal(error?.type === "error" && error.intent, "echo");
  assert.match(
    error?.type === "error" ? error.message : "",
    /^MCP server "remote" \(http:\/\/127\.0\.0\.1:\d+\/mcp\) failed the handshake: .*Check the command or URL/,
  );
});
