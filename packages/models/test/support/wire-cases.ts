/**
 * The wire-level cases every HTTP adapter runs against the fake provider server.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Model, ModelDelta, ModelRequest, OutputMode } from "agentfold";
import { runModelConformance } from "agentfold/testing";
import type { ProviderSettings } from "../../src/providers.ts";
import { startFakeProviderServer, type FakeProviderServer, type SeenRequest } from "./fake-provider-server.ts";

export interface WireCaseOptions {
  name: string;
  /** Path the adapter posts to, e.g. `/v1/chat/completions`. */
  path: string;
  newModel: (server: FakeProviderServer, settings: ProviderSettings) => Model;
  toolCalls: (calls: Array<{ name: string; args: Record<string, unknown> }>) => unknown;
  text: (text: string) => unknown;
  /** A tool call whose arguments are not valid JSON, when the API can carry one. */
  malformedToolCall?: () => unknown;
  errorBody: (message: string) => unknown;
  /** Checks the auth header carries the key. */
  assertAuth: (request: SeenRequest, key: string) => void;
  /** Checks tools and tool choice in the request body. */
  assertTools: (body: Record<string, unknown>, names: string[]) => void;
  /** Checks the JSON-schema response format in the request body; gets the wrapped schema. */
  assertJsonSchema: (body: Record<string, unknown>, schema: Record<string, unknown>) => void;
  /** The API streams each tool call whole (Ollama), not its arguments in pieces. */
  wholeToolCalls?: boolean;
}

const fastRetry = { initialDelayMs: 5, maxDelayMs: 2_000, maxAttempts: 3, attemptTimeoutMs: 0 };

const calculatorRequest = (mode: OutputMode, extra: Partial<ModelRequest> = {}): ModelRequest => {
  const numbers = {
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" } },
    required: ["a", "b"],
    additionalProperties: false,
  };
  return {
    messages: [
      { role: "system", content: "You are a calculator." },
      { role: "user", content: "add 1 and 2, and divide 3 by 4" },
    ],
    schema: {
      anyOf: ["add", "divide"].map((intent) => ({
        type: "object",
        properties: { intent: { type: "string", const: intent }, ...numbers.properties },
        required: ["intent", "a", "b"],
        additionalProperties: false,
      })),
    },
    intents: [
      { intent: "add", description: "add a and b", parameters: numbers },
      { intent: "divide", description: "divide a by b", parameters: numbers },
    ],
    mode,
    threadId: "thread-wire",
    turn: 0,
    ...extra,
  };
};

/**
 * Registers the wire-level cases and the conformance suite for one adapter.
 *
 * @example
 * runWireCases({ name: "openai", path: "/v1/chat/completions", newModel: ..., ... });
 */
export function runWireCases(options: WireCaseOptions): void {
  let server: FakeProviderServer;
  const key = "sk-test-123";
  const newModel = (settings: ProviderSettings = {}) => options.newModel(server, { apiKey: key, retry: fastRetry, ...settings });

  before(async () => {
    server = await startFakeProviderServer();
  });
  after(() => server.close());

  describe(`${options.name} adapter on the wire`, () => {
    beforeEach(() => server.reset());

    test("tool-call reply becomes { intent, ...args }; request carries tools, tool choice and the key", async () => {
      server.reply({ body: options.toolCalls([{ name: "add", args: { a: 1, b: 2 } }]) });
      const reply = await newModel().generate(calculatorRequest("tools"));
      assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
      assert.equal(reply.usage?.inputTokens !== undefined && reply.usage.inputTokens > 0, true);
      const [request] = server.requests;
      assert.ok(request);
      assert.equal(request.path, options.path);
      options.assertAuth(request, key);
      options.assertTools(request.body, ["add", "divide"]);
    });

    test("several tool calls in one reply become an array of steps", async () => {
      server.reply({
        body: options.toolCalls([
          { name: "add", args: { a: 1, b: 2 } },
          { name: "divide", args: { a: 3, b: 4 } },
        ]),
      });
      const reply = await newModel().generate(calculatorRequest("tools"));
      assert.deepEqual(reply.output, [
        { intent: "add", a: 1, b: 2 },
        { intent: "divide", a: 3, b: 4 },
      ]);
    });

    test("JSON-schema reply is unwrapped; the request carries the schema", async () => {
      server.reply({ body: options.text(JSON.stringify({ next_step: { intent: "divide", a: 3, b: 4 } })) });
      const request = calculatorRequest("json");
      const reply = await newModel().generate(request);
      assert.deepEqual(reply.output, { intent: "divide", a: 3, b: 4 });
      const [seen] = server.requests;
      assert.ok(seen);
      options.assertJsonSchema(seen.body, {
        type: "object",
        properties: { next_step: request.schema },
        required: ["next_step"],
        additionalProperties: false,
      });
    });

    test("a JSON-mode reply in a code fence or inside prose is unwrapped too", async () => {
      const wrapped = JSON.stringify({ next_step: { intent: "divide", a: 3, b: 4 } });
      const replies = [
        `\`\`\`json\n${wrapped}\n\`\`\``,
        `Here is the next step: ${wrapped} Let me know if you need more.`,
        `<think>dividing</think>\n\`\`\`\n${wrapped.replace("4}}", "4,}}")}\n\`\`\``,
      ];
      for (const text of replies) {
        server.reply({ body: options.text(text) });
        const reply = await newModel().generate(calculatorRequest("json"));
        assert.deepEqual(reply.output, { intent: "divide", a: 3, b: 4 }, text);
      }
    });

    test("prose around the JSON is passed through as text for the core to parse", async () => {
      const text = 'Sure! Here is the step:\n```json\n{"intent":"add","a":1,"b":2}\n```\nAnything else?';
      server.reply({ body: options.text(text) });
      const reply = await newModel().generate(calculatorRequest("prompt"));
      assert.equal(reply.output, text);
      const [seen] = server.requests;
      assert.equal(seen?.body.tools, undefined, "prompt mode sends no tools");
    });

    test("malformed JSON arguments come back as text, not an exception", async () => {
      const broken = '{"a": 1, "b": ';
      server.reply({ body: options.malformedToolCall ? options.malformedToolCall() : options.text(broken) });
      const mode: OutputMode = options.malformedToolCall ? "tools" : "json";
      const reply = await newModel().generate(calculatorRequest(mode));
      assert.equal(typeof reply.output, "string");
      assert.ok((reply.output as string).includes(broken));
    });

    test("429 with Retry-After waits as asked, then succeeds", async () => {
      server.reply(
        { status: 429, headers: { "retry-after": "1" }, body: options.errorBody("rate limited") },
        { body: options.toolCalls([{ name: "add", args: { a: 1, b: 2 } }]) },
      );
      const waits: number[] = [];
      const started = performance.now();
      const reply = await newModel({ onRetry: ({ delayMs }) => waits.push(delayMs) }).generate(calculatorRequest("tools"));
      assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
      assert.deepEqual(waits, [1000]);
      assert.ok(performance.now() - started >= 950, "must honour Retry-After");
      assert.equal(server.requests.length, 2);
    });

    test("500 then success is retried", async () => {
      server.reply({ status: 500, body: options.errorBody("boom") }, { body: options.text('{"next_step":{"intent":"add","a":1,"b":2}}') });
      const reply = await newModel().generate(calculatorRequest("json"));
      assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
      assert.equal(server.requests.length, 2);
    });

    test("a hung request hits the timeout with a retryable ModelCallError", async () => {
      server.reply({ hang: true }, { hang: true }, { hang: true });
      const started = performance.now();
      await assert.rejects(
        newModel().generate(calculatorRequest("tools", { timeoutMs: 300 })),
        (error: Error & { retryable?: boolean }) => {
          assert.equal(error.name, "ModelCallError");
          assert.match(error.message, /within the call.s 300 ms deadline/);
          assert.equal(error.retryable, true);
          return true;
        },
      );
      assert.ok(performance.now() - started < 2_000);
    });

    test("a hung attempt is abandoned after the per-attempt timeout and retried", async () => {
      server.reply({ hang: true }, { body: options.toolCalls([{ name: "add", args: { a: 1, b: 2 } }]) });
      const reply = await newModel({ retry: { ...fastRetry, attemptTimeoutMs: 200 } }).generate(calculatorRequest("tools"));
      assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
      assert.equal(server.requests.length, 2);
    });

    test("streams: tool arguments arrive in pieces, and the reply is the whole call", async () => {
      server.reply({ body: options.toolCalls([{ name: "divide", args: { a: 3, b: 4 } }]), pieceSize: 4 });
      const deltas: ModelDelta[] = [];
      const reply = await newModel().generate(calculatorRequest("tools", { onDelta: (delta) => deltas.push(delta) }));
      assert.equal(server.requests[0]?.body.stream, true, "the request asks for a stream");
      assert.deepEqual(reply.output, { intent: "divide", a: 3, b: 4 });
      const calls = deltas.filter((delta) => delta.type === "tool_call");
      const expected = options.wholeToolCalls ? 2 : 3; // whole: the naming delta and the arguments
      assert.ok(calls.length >= expected, `expected the arguments in pieces, got ${JSON.stringify(deltas)}`);
      assert.ok(calls.every((delta) => delta.toolName === "divide" && delta.index === 0 && delta.attempt === 1));
      assert.deepEqual(JSON.parse(calls.map((delta) => delta.argsText).join("")), { a: 3, b: 4 });
    });

    test("streams: text arrives in pieces that make the reply's text", async () => {
      const text = JSON.stringify({ next_step: { intent: "add", a: 1, b: 2 } });
      server.reply({ body: options.text(text), pieceSize: 5 });
      const deltas: ModelDelta[] = [];
      const reply = await newModel().generate(calculatorRequest("json", { onDelta: (delta) => deltas.push(delta) }));
      assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
      assert.ok(deltas.length > 2);
      assert.equal(deltas.map((delta) => (delta.type === "text" ? delta.text : "")).join(""), text);
    });

    test("a stream that stalls is cut by the idle deadline and tried again; the retry's pieces say attempt 2", async () => {
      // An API that sends tool calls whole stalls inside a text reply instead.
      const whole = options.wholeToolCalls === true;
      const body = whole
        ? options.text('{"next_step":{"intent":"add","a":1,"b":2}}')
        : options.toolCalls([{ name: "add", args: { a: 1, b: 2 } }]);
      server.reply({ body, pieceSize: 2, stallAfterFrames: 4 }, { body });
      const deltas: ModelDelta[] = [];
      const failures: string[] = [];
      const model = newModel({ retry: { ...fastRetry, attemptTimeoutMs: 300 }, onRetry: ({ failure }) => failures.push(failure.message) });
      const reply = await model.generate(calculatorRequest(whole ? "json" : "tools", { onDelta: (delta) => deltas.push(delta) }));
      assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
      assert.equal(server.requests.length, 2);
      assert.match(failures[0] ?? "", /attempt 1 stopped sending its reply for 300 ms/);
      assert.ok(deltas.some((delta) => delta.attempt === 1));
      const second = deltas.filter((delta) => delta.attempt === 2);
      const text = second.map((delta) => (delta.type === "tool_call" ? delta.argsText : delta.text)).join("");
      assert.deepEqual(JSON.parse(text), whole ? { next_step: { intent: "add", a: 1, b: 2 } } : { a: 1, b: 2 });
    });

    test("a reply that keeps arriving outlives the default call deadline (it bounds the wait for the first piece)", async () => {
      // 30 pieces 20 ms apart: about 600 ms, twice the call deadline; no gap comes near the idle deadline.
      server.reply({ body: options.toolCalls([{ name: "add", args: { a: 1, b: 123_456_789 } }]), pieceSize: 1, frameDelayMs: 20 });
      const model = newModel({ retry: { ...fastRetry, attemptTimeoutMs: 2_000, callTimeoutMs: 300 } });
      const reply = await model.generate(calculatorRequest("tools"));
      assert.deepEqual(reply.output, { intent: "add", a: 1, b: 123_456_789 });
      assert.equal(server.requests.length, 1);
    });

    test("401 is not retried and says to check the key", async () => {
      server.reply({ status: 401, body: options.errorBody("invalid api key") });
      await assert.rejects(newModel().generate(calculatorRequest("tools")), (error: Error & { status?: number; retryable?: boolean }) => {
        assert.equal(error.name, "ModelCallError");
        assert.equal(error.status, 401);
        assert.equal(error.retryable, false);
        assert.match(error.message, /API key/);
        return true;
      });
      assert.equal(server.requests.length, 1);
    });

    test("400 is not retried", async () => {
      server.reply({ status: 400, body: options.errorBody("bad request") });
      await assert.rejects(newModel().generate(calculatorRequest("tools")), { name: "ModelCallError", status: 400 });
      assert.equal(server.requests.length, 1);
    });

    test("gives up after the attempt cap", async () => {
      server.reply(...[1, 2, 3, 4].map(() => ({ status: 503, body: options.errorBody("unavailable") })));
      await assert.rejects(newModel().generate(calculatorRequest("tools")), /after 3 attempts/);
      assert.equal(server.requests.length, 3);
    });

    test("an aborted call stops at once and is not retried", async () => {
      server.reply({ hang: true }, { hang: true });
      const controller = new AbortController();
      const pending = newModel().generate(calculatorRequest("tools", { signal: controller.signal }));
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(pending, (error: Error & { retryable?: boolean }) => {
        assert.equal(error.name, "ModelCallError");
        assert.match(error.message, /aborted/);
        assert.equal(error.retryable, false);
        return true;
      });
      assert.equal(server.requests.length, 1);
    });

    test("usage carries a cost when a price is given", async () => {
      server.reply({ body: options.toolCalls([{ name: "add", args: { a: 1, b: 2 } }]) });
      const reply = await newModel({ price: { inputPerMillionTokens: 1_000_000, outputPerMillionTokens: 0 } }).generate(
        calculatorRequest("tools"),
      );
      assert.equal(reply.usage?.cost, reply.usage?.inputTokens);
    });
  });

  runModelConformance({ name: options.name, newModel: () => newModel() });
}
