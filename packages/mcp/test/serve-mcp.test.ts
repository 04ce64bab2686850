/**
 * `agentfold serve --mcp`: the real server process mounts /mcp beside the API, behind its API keys.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { bin, cleanEnv, repoRoot, temporaryFolder } from "./support.ts";

test("serve --mcp answers MCP clients at /mcp with an API key, and refuses them without one", async () => {
  const folder = temporaryFolder();
  const server = spawn(
    process.execPath,
    [
      bin,
      "serve",
      "--mcp",
      "--no-ui",
      "--json",
      "--port",
      "0",
      "--agents",
      join(repoRoot, "examples/calculator/agent.ts"),
      "--db",
      join(folder, "a.db"),
      "--model",
      `script:${join(repoRoot, "examples/calculator/scripts/divide.json")}`,
    ],
    { cwd: repoRoot, env: cleanEnv({ AGENTFOLD_API_KEYS: "ops:ops-key-123" }), stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    let output = "";
    server.stdout.setEncoding("utf8");
    for await (const chunk of server.stdout) {
      output += chunk;
      if (output.includes("\n")) break;
    }
    const { url, routes } = JSON.parse(output) as { url: string; routes: { name: string; paths: string[] }[] };
    assert.ok(
      routes.some((group) => group.paths.includes("/mcp")),
      `routes: ${JSON.stringify(routes)}`,
    );

    const anonymous = new Client({ name: "anonymous", version: "1.0.0" });
    await assert.rejects(anonymous.connect(new StreamableHTTPClientTransport(new URL("/mcp", url))), /401|Bearer/);

    const client = new Client({ name: "ops", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("/mcp", url), { requestInit: { headers: { authorization: "Bearer ops-key-123" } } }),
    );
    const started = (await client.callTool({
      name: "start_thread",
      arguments: { agent: "calculator", message: "divide 3 by 4" },
    })) as unknown as {
      structuredContent: { status: string };
    };
    assert.equal(started.structuredContent.status, "awaiting_approval");
    await client.close();
  } finally {
    server.kill("SIGTERM");
    if (server.exitCode === null) await once(server, "exit");
  }
});
