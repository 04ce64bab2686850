import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { APICallError } from "@ai-sdk/provider";
import { z } from "zod";
import { conformanceRequest } from "agentfold/testing";
import {
  backoffDelay,
  classifyFailure,
  defaultRetryPolicy,
  jsonSchemaToGrammar,
  openaiCompatibleModel,
  retryAfterMs,
  withRetries,
} from "../src/index.ts";
import { openaiText } from "./support/fake-provider-server.ts";
import { openaiStreamFrames } from "./support/provider-streams.ts";
import { toolCallsToOutput, unwrapJsonText, wrapRootUnion } from "../src/reply-output.ts";

describe("JSON Schema to grammar", () => {
  test("bounds strings, arrays and whitespace even when the schema does not", () => {
    const grammar = jsonSchemaToGrammar({
      type: "object",
      properties: { tags: { type: "array", items: { type: "string" } } },
      required: ["tags"],
    });
    assert.match(grammar, /char\{0,256\}/);
    assert.match(grammar, /\{0,15\}/);
    assert.match(grammar, /ws ::= \[ \\t\\n\]\{0,8\}/);
  });

  test("uses the schema's own maxLength, consts, enums and refs", () => {
    const grammar = jsonSchemaToGrammar({
      $defs: { Mode: { enum: ["fast", "slow"] } },
      anyOf: [
        {
          type: "object",
          properties: { intent: { const: "go" }, mode: { $ref: "#/$defs/Mode" }, note: { type: "string", maxLength: 5 } },
          required: ["intent", "mode"],
        },
      ],
    });
    assert.match(grammar, /char\{0,5\}/);
    assert.ok(grammar.includes(String.raw`"\"go\""`));
    assert.ok(grammar.includes(String.raw`"\"fast\"" | "\"slow\""`));
  });

  test("allOf of objects, as zod writes for intersections, is merged", () => {
    // z.object({ a: z.string() }).and(z.object({ a: z.string().max(3), b: z.number() })), io: "input".
    const intersection = z.object({ a: z.string() }).and(z.object({ a: z.string().max(3), b: z.number() }));
    const schema = z.toJSONSchema(intersection, { io: "input" }) as Record<string, unknown>;
    assert.ok(JSON.stringify(schema).includes('"allOf"'), "zod writes allOf for a key in both parts");
    const grammar = jsonSchemaToGrammar(schema);
    assert.match(grammar, /"\\"a\\"" ws ":" ws (\S+) ws "," ws "\\"b\\"" ws ":" ws \S+/);
    assert.match(grammar, /char\{0,3\}/, "the tighter maxLength wins");
    assert.doesNotMatch(grammar, /any-value/);

    const objects = jsonSchemaToGrammar({
      $defs: { Base: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] } },
      allOf: [{ $ref: "#/$defs/Base" }, { type: "object", properties: { note: { type: "string" } } }],
    });
    assert.match(objects, /value-1 ::= "\{" ws "\\"id\\"" ws ":" ws \S+ \(ws "," ws "\\"note\\""/);
    assert.doesNotMatch(objects, /any-value/);
  });

  test("allOf it cannot merge and keywords it cannot express are configuration errors, not any value", () => {
    const withRecord = z.toJSONSchema(z.intersection(z.object({ a: z.string() }), z.record(z.string(), z.string())), { io: "input" });
    assert.throws(
      () => jsonSchemaToGrammar(withRecord as Record<string, unknown>),
      (error: Error) => {
        assert.equal(error.name, "ConfigurationError");
        assert.match(error.message, /allOf at "value-1" cannot be turned into a grammar.*record.*one z\.object/);
        return true;
      },
    );
    assert.throws(() => jsonSchemaToGrammar({ allOf: [{ type: "string" }, { type: "number" }] }), /different types \("string", "number"\)/);
    assert.throws(
      () =>
        jsonSchemaToGrammar({
          allOf: [
            { type: "string", minLength: 5 },
            { type: "string", maxLength: 2 },
          ],
        }),
      /accepts no string/,
    );
    const tuple = z.toJSONSchema(z.object({ point: z.tuple([z.number(), z.number()]) }), { io: "input" });
    assert.throws(() => jsonSchemaToGrammar(tuple as Record<string, unknown>), /keyword "prefixItems" at "value-1-point-\d+"/);
    assert.throws(() => jsonSchemaToGrammar({ type: "object", properties: { x: { not: { type: "null" } } } }), /keyword "not"/);
    // Annotations and constraints the core checks later are fine.
    assert.doesNotThrow(() => jsonSchemaToGrammar({ type: "integer", minimum: 0, description: "n", "x-order": 1 }));
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
    for (const status of [408, 429, 500, 502, 503, 529])
      assert.equal(classifyFailure({ statusCode: status }).retryable, true, String(status));
    for (const status of [400, 401, 403, 404, 422, 501, 505])
      assert.equal(classifyFailure({ statusCode: status }).retryable, false, String(status));
    assert.equal(classifyFailure(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })).retryable, true);
    assert.equal(classifyFailure(new TypeError("fetch failed")).retryable, true);
    assert.equal(classifyFailure(new Error("bug")).retryable, false);
  });

  test("backoff grows exponentially with full jitter, capped, and never below Retry-After", () => {
    const policy = { ...defaultRetryPolicy, initialDelayMs: 100, maxDelayMs: 1_000 };
    assert.equal(
      backoffDelay(1, policy, { retryable: true, message: "" }, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(3, policy, { retryable: true, message: "" }, () => 1),
      400,
    );
    assert.equal(
      backoffDelay(9, policy, { retryable: true, message: "" }, () => 1),
      1_000,
    );
    assert.equal(
      backoffDelay(1, policy, { retryable: true, message: "" }, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(1, policy, { retryable: true, message: "", retryAfterMs: 700 }, () => 0),
      700,
    );
    // Retry-After is not shortened to the cap; withRetries decides whether there is time for it.
    assert.equal(
      backoffDelay(1, policy, { retryable: true, message: "", retryAfterMs: 60_000 }, () => 0),
      60_000,
    );
  });

  test("connection failures without a status follow the AI SDK's isRetryable (connect timeouts, DNS)", () => {
    for (const code of ["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "ENOTFOUND", "ENETUNREACH", "ESOMETHINGNEW"]) {
      const cause = Object.assign(new Error(`connect failed`), { code });
      const error = new APICallError({
        message: "Cannot connect to API: connect failed",
        cause,
        url: "http://x",
        requestBodyValues: {},
        isRetryable: true,
      });
      const failure = classifyFailure(error);
      assert.equal(failure.retryable, true, code);
      assert.ok(failure.message.includes(code), failure.message);
    }
    // Known network codes are retried even outside an APICallError; an explicit status wins over the flag.
    assert.equal(classifyFailure(Object.assign(new Error("getaddrinfo ENOTFOUND api.example"), { code: "ENOTFOUND" })).retryable, true);
    const notImplemented = new APICallError({
      message: "not implemented",
      url: "http://x",
      requestBodyValues: {},
      statusCode: 501,
      isRetryable: true,
    });
    assert.equal(classifyFailure(notImplemented).retryable, false);
    assert.equal(
      classifyFailure(new APICallError({ message: "bad", url: "http://x", requestBodyValues: {}, isRetryable: false })).retryable,
      false,
    );
  });

  test("a connect timeout is retried through an adapter", async () => {
    let calls = 0;
    const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
      calls += 1;
      if (calls === 1)
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("Connect Timeout Error"), { code: "UND_ERR_CONNECT_TIMEOUT" }),
        });
      void input;
      void init;
      // Models stream: the reply comes in the Chat Completions streaming wire format.
      const frames = openaiStreamFrames(openaiText("done") as Record<string, unknown>, 8);
      return new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });
    }) as typeof fetch;
    const retries: string[] = [];
    const model = openaiCompatibleModel("http://127.0.0.1:9/v1", "m", {
      fetch: flaky,
      retry: { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 3, attemptTimeoutMs: 0 },
      onRetry: ({ failure }) => retries.push(failure.message),
    });
    const reply = await model.generate(conformanceRequest("prompt"));
    assert.equal(reply.output, "done");
    assert.equal(calls, 2);
    assert.match(retries[0] ?? "", /UND_ERR_CONNECT_TIMEOUT/);
  });

  describe("Retry-After beyond the backoff cap", () => {
    const policy = { ...defaultRetryPolicy, initialDelayMs: 1, maxDelayMs: 50, maxRetryAfterMs: 2_000, attemptTimeoutMs: 0 };
    const rateLimited = (retryAfter: string) => ({
      statusCode: 429,
      responseHeaders: { "retry-after": retryAfter },
      message: "rate limited",
    });
    const failingOnce = (failure: unknown) => {
      let calls = 0;
      return async () => {
        calls += 1;
        if (calls === 1) throw failure;
        return "ok";
      };
    };

    test("is waited for in full when it ends before the deadline", async () => {
      const waits: number[] = [];
      const started = performance.now();
      const result = await withRetries(failingOnce(rateLimited("1")), policy, {
        modelId: "m",
        timeoutMs: 5_000,
        onRetry: ({ delayMs }) => waits.push(delayMs),
      });
      assert.equal(result, "ok");
      assert.deepEqual(waits, [1_000]);
      assert.ok(performance.now() - started >= 950);
    });

    test("fails at once, giving the wait, when it would end after the deadline", async () => {
      const started = performance.now();
      await assert.rejects(
        withRetries(failingOnce(rateLimited("30")), policy, { modelId: "m", timeoutMs: 5_000 }),
        (error: Error & { status?: number; retryable?: boolean }) => {
          assert.equal(error.name, "ModelCallError");
          assert.equal(error.status, 429);
          assert.equal(error.retryable, true);
          assert.match(
            error.message,
            /Model m failed: rate limited\. The provider asked to wait 30 s before retrying \(Retry-After\), longer than the [\d.]+ s left of the call's 5 s timeout/,
          );
          return true;
        },
      );
      assert.ok(performance.now() - started < 500);
    });

    test("without a deadline (callTimeoutMs 0), is waited for up to maxRetryAfterMs", async () => {
      const unbounded = { ...policy, callTimeoutMs: 0 };
      await assert.rejects(
        withRetries(failingOnce(rateLimited("3600")), unbounded, { modelId: "m" }),
        /asked to wait 3600 s .*2 s a call without a timeout waits/,
      );
      const waits: number[] = [];
      await withRetries(failingOnce(rateLimited("0.2")), unbounded, { modelId: "m", onRetry: ({ delayMs }) => waits.push(delayMs) });
      assert.deepEqual(waits, [200]);
    });

    test("by default a call has a 90 s deadline, so a longer Retry-After fails at once", async () => {
      await assert.rejects(
        withRetries(failingOnce(rateLimited("120")), policy, { modelId: "m" }),
        /asked to wait 120 s .*left of the call's 90 s timeout/,
      );
    });
  });
});

describe("reply shaping", () => {
  test("root unions are wrapped for structured output and unwrapped on the way back", () => {
    const schema = { anyOf: [{ type: "object" }] };
    assert.deepEqual(wrapRootUnion(schema).properties, { next_step: schema });
    assert.deepEqual(unwrapJsonText('{"next_step":{"intent":"x"}}'), { intent: "x" });
    assert.equal(unwrapJsonText('{"intent":"x"}'), '{"intent":"x"}');
    assert.equal(unwrapJsonText("prose"), "prose");
    assert.deepEqual(unwrapJsonText('```json\n{"next_step":{"intent":"x"}}\n```'), { intent: "x" });
    assert.deepEqual(unwrapJsonText('Sure: {"next_step":{"intent":"x"}} done.'), { intent: "x" });
    assert.deepEqual(unwrapJsonText('[{"next_step":{"intent":"x"}},{"next_step":{"intent":"y"}}]'), [{ intent: "x" }, { intent: "y" }]);
    // A step with an argument named next_step is a step, not a wrapper.
    const step = '{"intent":"plan","next_step":"call mum"}';
    assert.equal(unwrapJsonText(step), step);
  });

  test("tool calls: the tool name wins over an intent argument; empty arguments are an empty object", () => {
    assert.deepEqual(toolCallsToOutput([{ toolName: "add", input: '{"intent":"evil","a":1}' }]), { intent: "add", a: 1 });
    assert.deepEqual(toolCallsToOutput([{ toolName: "done", input: "" }]), { intent: "done" });
    assert.match(String(toolCallsToOutput([{ toolName: "add", input: "[1]" }])), /not a JSON object/);
  });
});
