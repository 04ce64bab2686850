/**
 * The MCP reference server "everything" over stdio: what each kind of result becomes in the thread
 * (structured content, images and resources as references, plain text), and arguments checked
 * against the server's inputSchema before anything is sent; the server killed mid-call.
 */
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, doneForNow } from "agentfold";
import { createFakeClock, ScriptedModel } from "agentfold/testing";
import { mcpTools } from "@agentfold/mcp";
import { everythingServer } from "./support.ts";

const clock = createFakeClock("2026-01-01T00:00:00.000Z", { tickMs: 1000 });

test("results of the everything server: structured content, references instead of bytes, text; bad arguments never reach the server", async () => {
  await using everything = await mcpTools({
    name: "everything",
    command: process.execPath,
    args: [everythingServer, "stdio"],
    toolsCache: false,
    include: ["get-sum", "get-structured-content", "get-tiny-image", "get-resource-links", "gzip-file-as-resource"],
  });
  assert.deepEqual(
    everything.tools.map((tool) => [tool.intent, tool.approval]).sort(),
    [
      ["get-resource-links", "never"],
      ["get-structured-content", "never"],
      ["get-sum", "never"],
      ["get-tiny-image", "never"],
      ["gzip-file-as-resource", "required"],
    ],
    "annotated read-only tools run freely; the one that is not waits for approval",
  );
  const agent = defineAgent({ name: "everything", tools: [...everything.tools, doneForNow()] });
  const model = new ScriptedModel([
    [
      { intent: "get-sum", a: 1, b: 2 },
      { intent: "get-structured-content", location: "Chicago" },
      { intent: "get-tiny-image" },
      { intent: "get-resource-links", count: 2 },
    ],
    { intent: "get-structured-content", location: "Atlantis" },
    { intent: "done_for_now", message: "ok" },
  ]);
  const thread = await agent.run(agent.start("go", { clock }), { model, clock });
  assert.equal(thread.status, "done");
  const results = new Map(thread.events.flatMap((event) => (event.type === "tool_result" ? [[event.intent, event.result]] : [])));
  assert.equal(results.get("get-sum"), "The sum of 1 and 2 is 3.");
  const weather = results.get("get-structured-content") as Record<string, unknown>;
  assert.deepEqual(Object.keys(weather).sort(), ["conditions", "humidity", "temperature"]);
  const image = results.get("get-tiny-image") as { text: string; references: Record<string, unknown>[] };
  assert.equal(image.references.length, 1);
  assert.equal(image.references[0]!.type, "image");
  assert.equal(image.references[0]!.mimeType, "image/png");
  assert.equal(typeof image.references[0]!.bytes, "number");
  assert.ok(!JSON.stringify(image).includes("iVBOR"), "the image's base64 bytes are not in the thread");
  const links = results.get("get-resource-links") as { references: { type: string; uri: string }[] };
  assert.deepEqual(
    links.references.map((reference) => reference.type),
    ["resource", "resource"],
  );
  assert.ok(links.references.every((reference) => reference.uri.startsWith("demo://")));

  // Checked against the inputSchema when the model replies: an error the model reads, no call made.
  const invalid = thread.events.find((event) => event.type === "error");
  assert.equal(invalid?.type === "error" && invalid.source, "model_output");
  assert.match(invalid?.type === "error" ? invalid.message : "", /Invalid arguments for "get-structured-content": location: .*New York/);
  assert.equal(thread.events.filter((event) => event.type === "tool_started" && event.intent === "get-structured-content").length, 1);
});

test("the everything server killed mid-call: that call is an error event, the thread goes on per its error policy, the server starts again", async () => {
  await using everything = await mcpTools({
    name: "everything",
    command: process.execPath,
    args: [everythingServer, "stdio"],
    toolsCache: false,
    include: ["trigger-long-running-operation", "echo"],
  });
  const serverPid = () =>
    Number(
      execFileSync("pgrep", ["-P", String(process.pid), "-f", "server-everything"], { encoding: "utf8" })
        .trim()
        .split("\n")[0],
    );
  const killed: number[] = [];
  const agent = defineAgent({
    name: "killed",
    tools: [...everything.tools, doneForNow()],
    hooks: {
      // The request is written in the microtasks after this hook; the kill comes after them, mid-call.
      beforeToolRun: (call) => {
        if (call.intent !== "trigger-long-running-operation") return;
        const pid = serverPid();
        killed.push(pid);
        setImmediate(() => process.kill(pid, "SIGKILL"));
      },
    },
  });
  const model = new ScriptedModel([
    { intent: "trigger-long-running-operation", duration: 60, steps: 2 },
    { intent: "echo", message: "after the crash" },
    { intent: "done_for_now", message: "ok" },
  ]);
  const thread = await agent.run(agent.start("go", { clock }), { model, clock });
  assert.equal(thread.status, "done");
  const error = thread.events.find((event) => event.type === "error");
  assert.equal(error?.type === "error" && error.intent, "trigger-long-running-operation");
  assert.match(
    error?.type === "error" ? error.message : "",
    /MCP server "everything" closed the connection during "trigger-long-running-operation" \(it may have crashed\)/,
  );
  const echoed = thread.events.find((event) => event.type === "tool_result" && event.intent === "echo");
  assert.equal(echoed?.type === "tool_result" && echoed.result, "Echo: after the crash");
  assert.notEqual(serverPid(), killed[0], "a new server process answered the next call");
});
