import assert from "node:assert/strict";
import { anthropicModel } from "../src/providers.ts";
import { anthropicText, anthropicToolUse } from "./support/fake-provider-server.ts";
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
