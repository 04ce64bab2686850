import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffDelay, classifyFailure, defaultRetryPolicy, jsonSchemaToGrammar, retryAfterMs } from "../src/index.ts";
import { toolCallsToOutput, unwrapJsonText, wrapRootUnion } from "../src/reply-output.ts";

describe("JSON Schema to grammar", () => {
  test("bounds strings, arrays and whitespace even when the schema does not", () => {
    const grammar = jsonSchemaToGrammar({ type: "object", properties: { tags: { type: "array", items: { type: "string" } } }, required: ["tags"] });
    assert.match(grammar, /char\{0,256\}/);
    assert.match(grammar, /\{0,15\}/);
    assert.match(grammar, /ws ::= \[ \\t\\n\]\{0,8\}/);
  });

  test("uses the schema's own maxLength, consts, enums and refs", () => {
    const grammar = jsonSchemaToGrammar({
      $defs: { Mode: { enum: ["fast", "slow"] } },
      anyOf: [{ type: "object", properties: { intent: { const: "go" }, mode: { $ref: "#/$defs/Mode" }, note: { type: "string", maxLength: 5 } }, required: ["intent", "mode"] }],
    });
    assert.match(grammar, /char\{0,5\}/);
    assert.ok(grammar.includes(String.raw`"\"go\""`));
    assert.ok(grammar.includes(String.raw`"\"fast\"" | "\"slow\""`));
  });

  test("unsupported types and unresolvable refs are configuration errors", () => {
    assert.throws(() => jsonSchemaToGrammar({ type: "date" }), /Unsupported JSON Schema type/);
    assert.throws(() => jsonSchemaToGrammar({ $ref: "https://example.com/x" }), /Cannot resolve \$ref/);
  });
});

describe("retry policy", () => {
  test("Retry-After in seconds, as a date, and retry-after-ms", () => {
    assert.equal(retryAfterMs({ "Retry-After": "3" }), 3000);
    assert.equal(retryAfterMs({ "retry-after-ms": "250" }), 250);
    assert.equal(retryAfterMs({ "retry-after": new Date(10_000).toUTCString() }, 4_000), 6_000);
    assert.equal(retryAfterMs({}), undefined);
  });

  test("which failures are retried", () => {
    for (const status of [408, 429, 500, 502, 503, 529]) assert.equal(classifyFailure({ statusCode: status }).retryable, true, String(status));
    for (const status of [400, 401, 403, 404, 422]) assert.equal(classifyFailure({ statusCode: status }).retryable, false, String(status));
    assert.equal(classifyFailure(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })).retryable, true);
    assert.equal(classifyFailure(new TypeError("fetch failed")).retryable, true);
    assert.equal(classifyFailure(new Error("bug")).retryable, false);
  });

  test("backoff grows exponentially with full jitter, capped, and never below Retry-After", () => {
    const policy = { ...defaultRetryPolicy, initialDelayMs: 100, maxDelayMs: 1_000 };
    assert.equal(backoffDelay(1, policy, { retryable: true, message: "" }, () => 1), 100);
    assert.equal(backoffDelay(3, policy, { retryable: true, message: "" }, () => 1), 400);
    assert.equal(backoffDelay(9, policy, { retryable: true, message: "" }, () => 1), 1_000);
    assert.equal(backoffDelay(1, policy, { retryable: true, message: "" }, () => 0), 0);
    assert.equal(backoffDelay(1, policy, { retryable: true, message: "", retryAfterMs: 700 }, () => 0), 700);
    assert.equal(backoffDelay(1, policy, { retryable: true, message: "", retryAfterMs: 60_000 }, () => 0), 1_000);
  });
});

describe("reply shaping", () => {
  test("root unions are wrapped for structured output and unwrapped on the way back", () => {
    const schema = { anyOf: [{ type: "object" }] };
    assert.deepEqual(wrapRootUnion(schema).properties, { next_step: schema });
    assert.deepEqual(unwrapJsonText('{"next_step":{"intent":"x"}}'), { intent: "x" });
    assert.equal(unwrapJsonText('{"intent":"x"}'), '{"intent":"x"}');
    assert.equal(unwrapJsonText("prose"), "prose");
  });

  test("tool calls: the tool name wins over an intent argument; empty arguments are an empty object", () => {
    assert.deepEqual(toolCallsToOutput([{ toolName: "add", input: '{"intent":"evil","a":1}' }]), { intent: "add", a: 1 });
    assert.deepEqual(toolCallsToOutput([{ toolName: "done", input: "" }]), { intent: "done" });
    assert.match(String(toolCallsToOutput([{ toolName: "add", input: "[1]" }])), /not a JSON object/);
  });
});
