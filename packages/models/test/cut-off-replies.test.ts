/**
 * A reply the provider cut off at the output-token limit is never run: on the wire, through the
 * adapters and the core, it becomes an error event the model can read, whatever the tolerant parser
 * could have made of it.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Model, type OutputMode } from "agentfold";
import { anthropicModel, openaiModel } from "../src/providers.ts";
import {
  anthropicText,
  openaiText,
  openaiToolCalls,
  startFakeProviderServer,
  type FakeProviderServer,
} from "./support/fake-provider-server.ts";

const fastRetry = { initialDelayMs: 5, maxDelayMs: 50, maxAttempts: 1, attemptTimeoutMs: 0 };

/** A provider's reply body with its finish reason replaced: OpenAI's `finish_reason`, Anthropic's `stop_reason`. */
function cutOffOpenAi(body: unknown, completionTokens: number): unknown {
  const reply = body as { choices: Array<Record<string, unknown>>; usage: Record<string, number> };
  return {
    ...reply,
    choices: reply.choices.map((choice) => ({ ...choice, finish_reason: "length" })),
    usage: { ...reply.usage, completion_tokens: completionTokens },
  };
}

function cutOffAnthropic(body: unknown, outputTokens: number): unknown {
  const reply = body as Record<string, unknown> & { usage: Record<string, number> };
  return { ...reply, stop_reason: "max_tokens", usage: { ...reply.usage, output_tokens: outputTokens } };
}

function calculator(mode: OutputMode) {
  const runs: Array<{ a: number; b: number }> = [];
  const multiply = defineTool({
    intent: "multiply",
    description: "multiply a by b",
    args: z.object({ a: z.number(), b: z.number() }),
    run: ({ a, b }) => {
      runs.push({ a, b });
      return a * b;
    },
  });
  const agent = defineAgent({ name: "calculator", tools: [multiply, doneForNow()], mode, limits: { maxConsecutiveErrors: 3 } });
  return { agent, runs };
}

describe("a reply cut off at the output limit", () => {
  let server: FakeProviderServer;
  before(async () => {
    server = await startFakeProviderServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const openai = (): Model => openaiModel("gpt-test", { apiKey: "sk-test", baseURL: server.url, retry: fastRetry });
  const anthropic = (): Model => anthropicModel("claude-test", { apiKey: "sk-test", baseURL: server.url, retry: fastRetry });

  /** Runs "multiply 3 by 1250" with the cut-off reply first, then a good one; checks what ran and what the model read. */
  async function runCutOff(model: Model, mode: OutputMode, tokens: number) {
    const { agent, runs } = calculator(mode);
    const thread = await agent.run(agent.start("multiply 3 by 1250"), { model });
    assert.deepEqual(runs, [{ a: 3, b: 1250 }], "only the complete reply's call runs");
    const errors = thread.events.filter((event) => event.type === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.source, "model_output");
    assert.match(
      errors[0]!.message,
      new RegExp(`^Your reply was cut off at the output limit after ${tokens} tokens, so none of it was run\\. Reply with a shorter step`),
    );
    assert.equal(thread.status, "done");
    return errors[0]!;
  }

  test("OpenAI, JSON mode: finish_reason length with the number cut short is not repaired and run", async () => {
    server.reply(
      { body: cutOffOpenAi(openaiText('{"next_step":{"intent":"multiply","a":3,"b":12'), 24) },
      { body: openaiText('{"next_step":{"intent":"multiply","a":3,"b":1250}}') },
      { body: openaiText('{"next_step":{"intent":"done_for_now","message":"3750"}}') },
    );
    const error = await runCutOff(openai(), "json", 24);
    assert.equal(error.raw, '{"next_step":{"intent":"multiply","a":3,"b":12');
  });

  test("OpenAI, tools mode: finish_reason length with truncated arguments runs nothing", async () => {
    server.reply(
      { body: cutOffOpenAi(openaiToolCalls([{ name: "multiply", args: '{"a": 3, "b": 12' }]), 9) },
      { body: openaiToolCalls([{ name: "multiply", args: { a: 3, b: 1250 } }]) },
      { body: openaiToolCalls([{ name: "done_for_now", args: { message: "3750" } }]) },
    );
    await runCutOff(openai(), "tools", 9);
  });

  test("OpenAI, tools mode: a call whose arguments closed before the cut still does not run", async () => {
    // The limit fell in the second call: the first parses, but the reply is not what the model meant to send.
    server.reply(
      {
        body: cutOffOpenAi(
          openaiToolCalls([
            { name: "multiply", args: { a: 3, b: 1250 } },
            { name: "multiply", args: '{"a": 37' },
          ]),
          30,
        ),
      },
      { body: openaiToolCalls([{ name: "multiply", args: { a: 3, b: 1250 } }]) },
      { body: openaiToolCalls([{ name: "done_for_now", args: { message: "3750" } }]) },
    );
    await runCutOff(openai(), "tools", 30);
  });

  test("Anthropic, prompt mode: stop_reason max_tokens is refused the same way", async () => {
    server.reply(
      { body: cutOffAnthropic(anthropicText('Multiplying now. {"intent": "multiply", "a": 3, "b": 12'), 17) },
      { body: anthropicText('{"intent": "multiply", "a": 3, "b": 1250}') },
      { body: anthropicText('{"intent": "done_for_now", "message": "3750"}') },
    );
    await runCutOff(anthropic(), "prompt", 17);
  });

  test("the adapters report the finish reason in the core's terms", async () => {
    server.reply({ body: cutOffOpenAi(openaiText('{"intent":"multiply"'), 5) }, { body: cutOffAnthropic(anthropicText("{"), 5) });
    const request = {
      messages: [{ role: "user" as const, content: "multiply 3 by 1250" }],
      schema: {},
      intents: [],
      mode: "prompt" as const,
      threadId: "thread-cut",
      turn: 0,
    };
    assert.equal((await openai().generate(request)).finishReason, "length");
    assert.equal((await anthropic().generate(request)).finishReason, "length");
  });
});
