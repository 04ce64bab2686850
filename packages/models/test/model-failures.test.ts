/**
 * Model failures end to end, against a local stand-in that speaks OpenAI's and Anthropic's wire
 * formats: a refused key fails the thread at once with the provider's message, a hung provider
 * surfaces within the call's deadline, and every retry is on the thread.
 */
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, doneForNow } from "agentfold";
import { anthropicModel, openaiModel } from "../src/providers.ts";
import { startFakeProviderServer, type FakeProviderServer } from "./support/fake-provider-server.ts";

const agent = defineAgent({ name: "plain", tools: [doneForNow()] });

describe("model failures through the providers' wire formats", () => {
  let server: FakeProviderServer;
  before(async () => {
    server = await startFakeProviderServer();
  });
  beforeEach(() => server.reset());
  after(() => server.close());

  test("OpenAI's 401 is one request and fails the thread with the provider's message", async () => {
    server.reply({
      status: 401,
      body: { error: { message: "Incorrect API key provided: sk-bad.", type: "invalid_request_error", code: "invalid_api_key" } },
    });
    const model = openaiModel("gpt-test", { apiKey: "sk-bad", baseURL: server.url });
    const thread = await agent.run(agent.start("hi"), { model });
    assert.equal(server.requests.length, 1);
    assert.equal(thread.status, "failed");
    assert.equal(thread.state.failureCode, "model_misconfigured");
    const failed = thread.lastEvent;
    assert.ok(failed?.type === "failed");
    assert.match(failed.reason, /openai:gpt-test is misconfigured \(HTTP 401\).*Incorrect API key provided: sk-bad/);
    assert.match(failed.reason, /Check the API key/);
  });

  test("Anthropic's 404 for an unknown model fails the thread; resuming with a fixed model continues", async () => {
    server.reply({ status: 404, body: { type: "error", error: { type: "not_found_error", message: "model: claude-nope" } } });
    const thread = await agent.run(agent.start("hi"), { model: anthropicModel("claude-nope", { apiKey: "k", baseURL: server.url }) });
    assert.equal(server.requests.length, 1);
    assert.equal(thread.state.failureCode, "model_misconfigured");
    assert.match(thread.lastEvent?.type === "failed" ? thread.lastEvent.reason : "", /model: claude-nope.*Check the model name/);
    const done = await agent.run(agent.resume(thread), { model: anthropicModel("claude-test", { apiKey: "k", baseURL: server.url }) });
    assert.equal(done.status, "done");
  });

  test("a hung provider surfaces within the call's deadline: no second attempt that cannot fit", async () => {
    server.reply({ hang: true }, { hang: true });
    const model = openaiModel("gpt-test", {
      apiKey: "k",
      baseURL: server.url,
      // The attempt's deadline falls well before the call's, even on a busy machine's late timers.
      retry: { attemptTimeoutMs: 300, callTimeoutMs: 500, initialDelayMs: 1 },
    });
    const thread = await agent.run(agent.start("hi"), { model });
    assert.equal(server.requests.length, 1);
    assert.equal(thread.status, "failed");
    assert.equal(thread.state.failureCode, "model_unavailable");
    assert.match(
      thread.lastEvent?.type === "failed" ? thread.lastEvent.reason : "",
      /attempt 1 got no answer within 300 ms; another attempt would not fit in the .* left of the call's 500 ms deadline/,
    );
    assert.equal(thread.events.filter((event) => event.type === "error").length, 0);
  });

  test("a 429 waited out is recorded on the thread with its attempt, status and wait", async () => {
    server.reply({
      status: 429,
      headers: { "retry-after-ms": "5" },
      body: { error: { message: "Rate limit reached", type: "rate_limit" } },
    });
    const model = openaiModel("gpt-test", { apiKey: "k", baseURL: server.url, retry: { initialDelayMs: 1, maxDelayMs: 1 } });
    const thread = await agent.run(agent.start("hi"), { model });
    assert.equal(thread.status, "done");
    const retries = thread.events.filter((event) => event.type === "model_call_retried");
    assert.equal(retries.length, 1);
    assert.deepEqual(
      retries.map(({ attempt, status, waitMs, model }) => ({ attempt, status, waitMs, model })),
      [{ attempt: 1, status: 429, waitMs: 5, model: "openai:gpt-test" }],
    );
    assert.match(retries[0]?.message ?? "", /Rate limit reached/);
  });
});
