import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { conformanceRequest } from "agentfold/testing";
import { anthropicModel } from "../src/providers.ts";
import { anthropicText, anthropicToolUse, startFakeProviderServer, type FakeProviderServer } from "./support/fake-provider-server.ts";
import { anthropicStreamFrames } from "./support/provider-streams.ts";
import { runWireCases } from "./support/wire-cases.ts";

runWireCases({
  name: "anthropic",
  path: "/v1/messages",
  newModel: (server, settings) => anthropicModel("claude-test", { ...settings, baseURL: server.url }),
  toolCalls: (calls) => anthropicToolUse(calls.map((call) => ({ name: call.name, input: call.args }))),
  text: (text) => anthropicText(text),
  errorBody: (message) => ({ type: "error", error: { type: "api_error", message } }),
  assertAuth: (request, key) => {
    assert.equal(request.headers["x-api-key"], key);
    assert.ok(request.headers["anthropic-version"]);
  },
  assertTools: (body, names) => {
    const tools = body.tools as Array<{ name: string; input_schema: unknown }>;
    assert.deepEqual(
      tools.map((tool) => tool.name),
      names,
    );
    assert.deepEqual(body.tool_choice, { type: "any" });
    assert.equal(body.model, "claude-test");
  },
  assertJsonSchema: (body, schema) => {
    const config = body.output_config as { format?: { type: string; schema: unknown } } | undefined;
    const tools = body.tools as Array<{ name: string; input_schema: unknown }> | undefined;
    const sent = config?.format?.schema ?? tools?.find((tool) => tool.name === "json")?.input_schema;
    assert.ok(sent, `the schema must be sent: ${JSON.stringify(body)}`);
    assert.deepEqual((sent as { properties: unknown }).properties, (schema as { properties: unknown }).properties);
  },
});

describe("anthropic stream errors", () => {
  let server: FakeProviderServer;
  before(async () => {
    server = await startFakeProviderServer();
  });
  after(() => server.close());

  test("an overloaded_error inside the stream is retried like a 529, and the retry's reply counts", async () => {
    const started = anthropicStreamFrames(anthropicText("ignored") as Record<string, unknown>, 8).slice(0, 3);
    const overloaded = `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })}\n\n`;
    server.reply({ frames: [...started, overloaded] }, { body: anthropicText('{"intent":"done_for_now","message":"ok"}') });
    const failures: string[] = [];
    const model = anthropicModel("claude-test", {
      apiKey: "sk-test",
      baseURL: server.url,
      retry: { initialDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 0 },
      onRetry: ({ failure }) => failures.push(failure.message),
    });
    const reply = await model.generate(conformanceRequest("prompt"));
    assert.equal(reply.output, '{"intent":"done_for_now","message":"ok"}');
    assert.equal(server.requests.length, 2);
    assert.match(failures[0] ?? "", /overloaded_error: Overloaded/);
  });

  test("a stream cut before its end is never a reply: it is tried again", async () => {
    server.reset();
    const body = anthropicToolUse([{ name: "add", input: { a: 1, b: 2 } }]) as Record<string, unknown>;
    const frames = anthropicStreamFrames(body, 4);
    server.reply({ frames: frames.slice(0, frames.length - 3) }, { body });
    const model = anthropicModel("claude-test", {
      apiKey: "sk-test",
      baseURL: server.url,
      retry: { initialDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 0 },
    });
    const reply = await model.generate(conformanceRequest("prompt"));
    assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
    assert.equal(server.requests.length, 2);
  });
});
