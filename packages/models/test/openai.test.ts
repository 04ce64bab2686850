import assert from "node:assert/strict";
import { openaiModel } from "../src/providers.ts";
import { openaiText, openaiToolCalls } from "./support/fake-provider-server.ts";
import { runWireCases } from "./support/wire-cases.ts";

runWireCases({
  name: "openai",
  path: "/v1/chat/completions",
  newModel: (server, settings) => openaiModel("gpt-test", { ...settings, baseURL: server.url }),
  toolCalls: (calls) => openaiToolCalls(calls),
  text: (text) => openaiText(text),
  malformedToolCall: () => openaiToolCalls([{ name: "add", args: '{"a": 1, "b": ' }]),
  errorBody: (message) => ({ error: { message, type: "error", code: null } }),
  assertAuth: (request, key) => assert.equal(request.headers.authorization, `Bearer ${key}`),
  assertTools: (body, names) => {
    const tools = body.tools as Array<{ type: string; function: { name: string; parameters: unknown } }>;
    assert.deepEqual(
      tools.map((tool) => tool.function.name),
      names,
    );
    assert.equal(tools[0]?.type, "function");
    assert.equal(body.tool_choice, "required");
    assert.equal(body.model, "gpt-test");
  },
  assertJsonSchema: (body, schema) => {
    const format = body.response_format as { type: string; json_schema: { name: string; strict: boolean; schema: unknown } };
    assert.equal(format.type, "json_schema");
    assert.equal(format.json_schema.strict, false);
    assert.equal(format.json_schema.name, "next_step");
    assert.deepEqual(format.json_schema.schema, schema);
  },
});
