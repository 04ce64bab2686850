import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { ModelRequest, ModelWarning } from "agentfold";
import { conformanceRequest } from "agentfold/testing";
import { contextSize, ollamaModel } from "../src/ollama-model.ts";
import { ollamaText, ollamaToolCalls, startFakeProviderServer, type FakeProviderServer } from "./support/fake-provider-server.ts";
import { runWireCases } from "./support/wire-cases.ts";

const host = (server: FakeProviderServer) => server.url.replace(/\/v1$/, "");

runWireCases({
  name: "ollama",
  path: "/api/chat",
  // A known window, so no /api/show request joins the counts the shared cases check.
  newModel: (server, settings) => ollamaModel("llama-test", { ...settings, baseURL: host(server), contextWindow: 32_768 }),
  toolCalls: (calls) => ollamaToolCalls(calls),
  text: (text) => ollamaText(text),
  errorBody: (message) => ({ error: message }),
  assertAuth: (request, key) => assert.equal(request.headers.authorization, `Bearer ${key}`),
  assertTools: (body, names) => {
    const tools = body.tools as Array<{ type: string; function: { name: string; parameters: unknown } }>;
    assert.deepEqual(
      tools.map((tool) => tool.function.name),
      names,
    );
    assert.ok(tools.every((tool) => tool.type === "function" && typeof tool.function.parameters === "object"));
    assert.equal(body.model, "llama-test");
  },
  assertJsonSchema: (body, schema) => assert.deepEqual(body.format, schema),
  wholeToolCalls: true,
});

describe("ollama: the context sized to the prompt", () => {
  let server: FakeProviderServer;
  const fast = { initialDelayMs: 5, maxDelayMs: 50, maxAttempts: 2, attemptTimeoutMs: 0 };
  before(async () => {
    server = await startFakeProviderServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const longRequest = (words: number): ModelRequest => ({
    ...conformanceRequest("json"),
    messages: [
      { role: "system", content: "You are a calculator." },
      { role: "user", content: Array.from({ length: words }, (_, index) => `word${index % 97}`).join(" ") },
    ],
  });
  const numCtx = (index = -1) => {
    const chats = server.requests.filter((request) => request.path === "/api/chat");
    return (chats.at(index)?.body.options as { num_ctx?: number } | undefined)?.num_ctx;
  };

  test("a short prompt asks for the smallest context; a long one for a power of two that holds it and the reply", async () => {
    const model = ollamaModel("llama-test", { baseURL: host(server), contextWindow: 131_072, retry: fast });
    await model.generate(longRequest(10));
    assert.equal(numCtx(), 4096);
    assert.equal(server.requests[0]?.body.stream, true);
    await model.generate(longRequest(6_000));
    const asked = numCtx() ?? 0;
    assert.ok(asked >= 8192 && (asked & (asked - 1)) === 0, `num_ctx ${asked}`);
    // Never back down while the process runs: each change of num_ctx reloads the model in Ollama.
    await model.generate(longRequest(10));
    assert.equal(numCtx(), asked);
  });

  test("the window comes from /api/show once, caps num_ctx, and a prompt over it is a warning", async () => {
    server.modelInfo = { "general.architecture": "llama", "llama.context_length": 2048 };
    const model = ollamaModel("llama-test", { baseURL: host(server), retry: fast, minContextTokens: 1024 });
    const warnings: ModelWarning[] = [];
    await model.generate({ ...longRequest(3_000), onWarning: (warning) => warnings.push(warning) });
    await model.generate({ ...longRequest(10), onWarning: (warning) => warnings.push(warning) });
    assert.deepEqual(
      server.requests.map((request) => request.path),
      ["/api/show", "/api/chat", "/api/chat"],
    );
    assert.deepEqual(server.requests[0]?.body, { model: "llama-test" });
    assert.equal(numCtx(0), 2048);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.kind, "context_window_exceeded");
    assert.equal(warnings[0]?.contextWindow, 2048);
    assert.ok((warnings[0]?.promptTokens ?? 0) > 2048);
    assert.match(warnings[0]?.message ?? "", /ollama:llama-test's context window of 2048/);
  });

  test("a server that does not say the window: no cap, no warning", async () => {
    const model = ollamaModel("llama-test", { baseURL: host(server), retry: fast });
    const warnings: ModelWarning[] = [];
    await model.generate({ ...longRequest(9_000), onWarning: (warning) => warnings.push(warning) });
    assert.ok((numCtx() ?? 0) >= 16_384);
    assert.deepEqual(warnings, []);
  });

  test("num_ctx given in providerOptions wins; temperature and maxOutputTokens go in options", async () => {
    const model = ollamaModel("llama-test", {
      baseURL: host(server),
      contextWindow: 8192,
      temperature: 0.2,
      maxOutputTokens: 300,
      providerOptions: { ollama: { options: { num_ctx: 6000 }, keep_alive: "10m" } },
      retry: fast,
    });
    await model.generate(longRequest(10));
    const body = server.requests[0]?.body ?? {};
    assert.deepEqual(body.options, { num_ctx: 6000, num_predict: 300, temperature: 0.2 });
    assert.equal(body.keep_alive, "10m");
    assert.equal(body.temperature, undefined);
  });

  test("usage is Ollama's eval counts; done_reason length is a cut-off reply", async () => {
    server.reply({ body: ollamaText('{"next_step":{"intent":"add","a":1', "length") });
    const reply = await ollamaModel("llama-test", { baseURL: host(server), contextWindow: 8192, retry: fast }).generate(longRequest(10));
    assert.equal(reply.finishReason, "length");
    assert.deepEqual(reply.usage, { inputTokens: 21, outputTokens: 9 });
    assert.equal(typeof reply.output, "string", "a cut-off reply goes back as written");
  });

  test("a missing model is a 404 with Ollama's message; an error line mid-stream is retried", async () => {
    server.reply({ status: 404, body: { error: "model 'nope' not found, try pulling it first" } });
    await assert.rejects(
      ollamaModel("nope", { baseURL: host(server), contextWindow: 8192, retry: fast }).generate(longRequest(10)),
      (error: Error & { status?: number }) => {
        assert.equal(error.status, 404);
        assert.match(error.message, /model 'nope' not found, try pulling it first/);
        return true;
      },
    );
    server.reset();
    server.reply(
      {
        body: ollamaText("x"),
        frames: [
          '{"model":"llama-test","message":{"role":"assistant","content":"{"},"done":false}\n',
          '{"error":"an error was encountered while running the model"}\n',
        ],
      },
      { body: ollamaText('{"next_step":{"intent":"add","a":1,"b":2}}') },
    );
    const failures: string[] = [];
    const reply = await ollamaModel("llama-test", {
      baseURL: host(server),
      contextWindow: 8192,
      retry: fast,
      onRetry: ({ failure }) => failures.push(failure.message),
    }).generate({ ...conformanceRequest("json"), intents: [] });
    assert.match(failures[0] ?? "", /Ollama reported an error in the stream: an error was encountered/);
    assert.equal(server.requests.length, 2);
    assert.notEqual(reply.output, undefined);
  });

  test("a stream that ends before done is not parsed, and is tried again", async () => {
    server.reply(
      {
        body: ollamaText("x"),
        frames: ['{"model":"llama-test","message":{"role":"assistant","content":"{\\"next_step\\":"},"done":false}\n'],
      },
      { body: ollamaText('{"next_step":{"intent":"add","a":1,"b":2}}') },
    );
    const reply = await ollamaModel("llama-test", { baseURL: host(server), contextWindow: 8192, retry: fast }).generate(longRequest(10));
    assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
    assert.equal(server.requests.length, 2);
  });

  test("stream: false asks for one JSON reply", async () => {
    server.reply({ body: ollamaToolCalls([{ name: "add", args: { a: 1, b: 2 } }]) });
    const request = { ...conformanceRequest("tools") };
    const reply = await ollamaModel("llama-test", { baseURL: host(server), contextWindow: 8192, stream: false, retry: fast }).generate(
      request,
    );
    assert.equal(server.requests[0]?.body.stream, false);
    assert.equal(reply.finishReason, "tool-calls");
    assert.deepEqual(reply.output, { intent: "add", a: 1, b: 2 });
  });

  test("bad settings are refused at once", () => {
    assert.throws(() => ollamaModel("x", { contextWindow: 0 }), /contextWindow must be a positive whole number/);
  });
});

test("contextSize: powers of two from the minimum, never below the floor, capped at the window", () => {
  assert.equal(contextSize(100, { minimum: 4096, floor: 0, window: undefined }), 4096);
  assert.equal(contextSize(5000, { minimum: 4096, floor: 0, window: undefined }), 8192);
  assert.equal(contextSize(5000, { minimum: 4096, floor: 16_384, window: undefined }), 16_384);
  assert.equal(contextSize(50_000, { minimum: 4096, floor: 0, window: 40_000 }), 40_000);
});
