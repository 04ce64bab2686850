/**
 * agentfold as an MCP server, driven by the SDK's own client: over stdio through `agentfold mcp`
 * (a real child process), and over Streamable HTTP through `mcpExtension` on a real port, behind
 * the API keys.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { createSqliteStore } from "@agentfold/stores";
import { startServer } from "@agentfold/server";
import { ScriptedModel } from "agentfold/testing";
import { mcpExtension } from "@agentfold/mcp";
import { calculator } from "../../../examples/calculator/agent.ts";
import { deploybot } from "../../../examples/deploybot/agent.ts";
import { bin, cleanEnv, repoRoot, temporaryFolder } from "./support.ts";

const divideScript = join(repoRoot, "examples/calculator/scripts/divide.json");

interface Summary {
  id: string;
  status: string;
  pending: { callId: string; intent: string; args: unknown }[];
  result?: string;
}

function summaryOf(result: unknown): Summary {
  const { structuredContent, isError, content } = result as { structuredContent?: Summary; isError?: boolean; content: { text: string }[] };
  assert.ok(!isError, `the tool failed: ${content[0]?.text}`);
  assert.ok(structuredContent);
  return structuredContent;
}

function stdioServer(folder: string): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: [
      bin,
      "mcp",
      "--agents",
      join(repoRoot, "examples/calculator/agent.ts"),
      "--db",
      join(folder, "a.db"),
      "--model",
      `script:${divideScript}`,
    ],
    env: cleanEnv({ AGENTFOLD_ACTOR: "mcp:dana" }) as Record<string, string>,
    stderr: "pipe",
  });
}

test("agentfold mcp over stdio: an MCP client starts a thread, sees the approval, approves it, and reads the result", async () => {
  const folder = temporaryFolder();
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [
        bin,
        "mcp",
        "--agents",
        join(repoRoot, "examples/calculator/agent.ts"),
        "--db",
        join(folder, "a.db"),
        "--model",
        `script:${divideScript}`,
      ],
      env: cleanEnv({ AGENTFOLD_ACTOR: "mcp:dana" }) as Record<string, string>,
      stderr: "pipe",
    }),
  );
  try {
    const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
    assert.deepEqual(names, ["answer_question", "approve_call", "list_pending", "read_thread", "reject_call", "start_thread"]);

    const progress: string[] = [];
    const started = summaryOf(
      await client.callTool({ name: "start_thread", arguments: { agent: "calculator", message: "divide 3 by 4" } }, undefined, {
        onprogress: (update) => progress.push(update.message ?? ""),
      }),
    );
    assert.equal(started.status, "awaiting_approval");
    assert.equal(started.pending[0]?.intent, "divide");
    // Progress is "<status>: <last event>". On a busy machine the client has been seen to receive none
    // before the result (open: the server awaits each notification before answering), so only its form
    // is checked here.
    for (const message of progress) assert.match(message, /^[a-z_]+: [a-z_]+$/, `progress: ${progress.join(" | ")}`);

    const pending = summaryOf(await client.callTool({ name: "list_pending", arguments: {} })) as unknown as { threads: Summary[] };
    assert.deepEqual(
      pending.threads.map((thread) => thread.id),
      [started.id],
    );

    const done = summaryOf(
      await client.callTool({ name: "approve_call", arguments: { threadId: started.id, callId: started.pending[0]!.callId } }),
    );
    assert.equal(done.status, "done");

    const read = (await client.callTool({ name: "read_thread", arguments: { threadId: started.id } })) as unknown as {
      structuredContent: { events: { type: string; actor?: string }[] };
    };
    const decision = read.structuredContent.events.find((event) => event.type === "approval_decision");
    assert.equal(decision?.actor, "mcp:dana", "the decision is recorded with the MCP caller as its actor");

    const unknown = (await client.callTool({ name: "approve_call", arguments: { threadId: started.id, callId: "call_nope" } })) as {
      isError?: boolean;
      content: { text: string }[];
    };
    assert.equal(unknown.isError, true);
    assert.match(unknown.content[0]!.text, /no pending call call_nope/);
  } finally {
    await client.close();
  }
});

test("agentfold mcp recovers a thread left running by a crashed process, like serve", async () => {
  const folder = temporaryFolder();
  const store = createSqliteStore({ path: join(folder, "a.db") });
  const left = calculator.start("divide 3 by 4");
  await store.create(left);
  await store.close();
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await client.connect(stdioServer(folder));
  try {
    let status = "running";
    // Recovery runs in the background once the server starts; read until it has advanced the thread.
    for (let reads = 0; status === "running" && reads < 200; reads++) {
      status = summaryOf(await client.callTool({ name: "read_thread", arguments: { threadId: left.id } })).status;
    }
    assert.equal(status, "awaiting_approval");
  } finally {
    await client.close();
  }
});

test("a client with elicitation is asked the pending approval: accepted, the call runs; declined, the thread waits", async () => {
  const folder = temporaryFolder();
  const client = new Client({ name: "asking-client", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  let reply: ElicitResult = { action: "accept", content: { approve: true } };
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    asked.push(request.params.message);
    return reply;
  });
  await client.connect(stdioServer(folder));
  try {
    const approved = summaryOf(
      await client.callTool({ name: "start_thread", arguments: { agent: "calculator", message: "divide 3 by 4" } }),
    );
    assert.equal(approved.status, "done");
    assert.equal(approved.result, "3 divided by 4 is 0.75.");
    assert.deepEqual(asked, ['Approve divide {"a":3,"b":4}?']);

    reply = { action: "decline" };
    const declined = summaryOf(
      await client.callTool({ name: "start_thread", arguments: { agent: "calculator", message: "divide 3 by 4" } }),
    );
    assert.equal(declined.status, "awaiting_approval", "a declined elicitation leaves the decision to the tools");
    assert.equal(asked.length, 2, "each pending item is asked once per tool call");
  } finally {
    await client.close();
  }
});

function toolError(result: unknown): string {
  const { isError, content } = result as { isError?: boolean; content: { text: string }[] };
  assert.equal(isError, true, `expected a tool error, got ${JSON.stringify(result)}`);
  return content[0]!.text;
}

test("/mcp over Streamable HTTP answers only with an API key, acts as that key's caller, and keeps to its tenant, agents and intents", async () => {
  const folder = temporaryFolder();
  const store = createSqliteStore({ path: join(folder, "b.db") });
  const model = new ScriptedModel([
    { intent: "divide", a: 3, b: 4 },
    { intent: "done_for_now", message: "3 / 4 = 0.75" },
  ]);
  const apiKeys = JSON.stringify({
    ops: "secret-ops-key",
    acme: { key: "secret-acme-key", tenant: "acme", agents: ["calculator"], decide: ["add"] },
  });
  const server = await startServer({
    store,
    agents: [calculator, deploybot],
    model,
    port: 0,
    apiKeys,
    extensions: [mcpExtension({ apiKeys })],
  });
  const url = new URL("/mcp", server.url);
  const connect = async (key: string) => {
    const client = new Client({ name: key, version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    return client;
  };
  try {
    const refused = new Client({ name: "no-key", version: "1.0.0" });
    await assert.rejects(refused.connect(new StreamableHTTPClientTransport(url)), /401|Bearer/);

    const ops = await connect("secret-ops-key");
    const started = summaryOf(await ops.callTool({ name: "start_thread", arguments: { agent: "calculator", message: "divide 3 by 4" } }));
    assert.equal(started.status, "awaiting_approval");

    const acme = await connect("secret-acme-key");
    const acmeList = summaryOf(await acme.callTool({ name: "list_pending", arguments: {} })) as unknown as { threads: Summary[] };
    assert.deepEqual(acmeList.threads, [], "another tenant's waiting thread is not listed");
    assert.match(toolError(await acme.callTool({ name: "read_thread", arguments: { threadId: started.id } })), /No thread with id/);
    const own = summaryOf(await acme.callTool({ name: "start_thread", arguments: { agent: "calculator", message: "divide 3 by 4" } }));
    assert.match(
      toolError(await acme.callTool({ name: "start_thread", arguments: { agent: "deploybot", message: "deploy v1.4.2" } })),
      /calculator/,
      "a key limited to some agents cannot start others",
    );
    const acmeTools = await acme.listTools();
    assert.doesNotMatch(acmeTools.tools.find((tool) => tool.name === "start_thread")?.description ?? "", /deploybot/);
    assert.match(
      toolError(await acme.callTool({ name: "approve_call", arguments: { threadId: own.id, callId: own.pending[0]!.callId } })),
      /acme may not decide "divide" calls; it may decide: add/,
    );
    assert.equal((await store.load(own.id))?.metadata.tenant, "acme", "a thread started with a key belongs to its tenant");

    const done = summaryOf(
      await ops.callTool({ name: "approve_call", arguments: { threadId: started.id, callId: started.pending[0]!.callId } }),
    );
    assert.equal(done.status, "done");
    assert.equal(done.result, "3 / 4 = 0.75");
    const stored = await store.load(started.id);
    assert.equal(stored?.events.find((event) => event.type === "approval_decision")?.actor, "ops");
    await ops.close();
    await acme.close();
  } finally {
    await server.close();
    await store.close();
  }
});
