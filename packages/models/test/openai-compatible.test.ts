import assert from "node:assert/strict";
import { openaiCompatibleModel } from "../src/providers.ts";
import { openaiText, openaiToolCalls } from "./support/fake-provider-server.ts";
import { runWireCases } from "./support/wire-cases.ts";

runWireCases({
  name: "openai-compatible",
  path: "/v1/chat/completions",
  newModel: (server, settings) => openaiCompatibleModel(server.url, "qwen-test", settings),
  toolCalls: (calls) => openaiToolCalls(calls),
  text: (text) => openaiText(text),
  malformedToolCall: () => openaiToolCalls([{ name: "add", args: '{"a": 1, "b": ' }]),
  errorBody: (message) => ({ error: { message, type: "error", code: null } }),
  assertAuth: (request, key) => assert.equal(request.headers.authorization, `Bearer ${key}`),
  assertTools: (body, names) => {
    const tools = body.tools as Array<{ function: { name: string } }>;
    assert.deepEqual(
      tools.map((tool) => tool.function.name),
      names,
    );
    assert.equal(body.tool_choice, "required");
    assert.equal(body.model, "qwen-test");
  },
  assertJsonSchema: (body, schema) => {
    const format = body.response_format as { type: string; json_schema: { schema: unknown } };
    assert.equal(format.type, "json_schema");
    assert.deepEqual(format.json_schema.schema, schema);
  },
});
