/**
 * The MCP reference server "everything" over stdio: what each kind of result becomes in the thread
 * (structured content, images and resources as references, plain text), and arguments checked
 * against the server's inputSchema before anything is sent.
 */
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
