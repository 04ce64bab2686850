/**
 * The step appends `tool_started` and `tool_result` without parsing them with the event schema
 * (see `appendBuilt` in step.ts): they must be exactly what a parse would have made.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, InvalidInputError, Thread, type JsonValue } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { eventSchemas } from "../src/event-schema.ts";

/** Every event parses, unchanged, and the thread serializes byte for byte as it loads. */
function assertAsParsed(thread: Thread): void {
  for (const event of thread.events) {
    const parsed = eventSchemas().eventSchema.safeParse(event);
    assert.ok(parsed.success, `${event.type}: ${parsed.success ? "" : parsed.error.message}`);
    assert.equal(JSON.stringify(parsed.data), JSON.stringify(event), `${event.type} keeps the schema's key order`);
  }
  assert.equal(JSON.stringify(Thread.fromJSON(JSON.stringify(thread))), JSON.stringify(thread));
}

function echoAgent(result: (args: { value: string }) => unknown) {
  const echo = defineTool({ intent: "echo", description: "echo", args: z.object({ value: z.string() }), run: (args) => result(args) });
  return defineAgent({ name: "echo", tools: [echo, doneForNow()] });
}

describe("events the step builds itself", () => {
  it("are what parsing them would give, for any JSON a tool returns (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.string({ minLength: 1, maxLength: 30 }), async (value, text) => {
        const agent = echoAgent(() => value);
        const model = new ScriptedModel([
          { intent: "echo", value: text },
          { intent: "done_for_now", message: "ok" },
        ]);
        const thread = await agent.run(agent.start("go"), { model });
        assert.deepEqual(
          thread.events.map((event) => event.type),
          ["user_input", "model_decision", "tool_started", "tool_result", "model_decision", "done"],
        );
        assertAsParsed(thread);
      }),
      { numRuns: 150 },
    );
  });

  it("after an approval with edited arguments, and for results JSON changes (dates, undefined, -0, bigint)", async () => {
    const pay = defineTool({
      intent: "pay",
      description: "pay",
      args: z.object({ cents: z.number().int(), note: z.string().optional() }),
      approval: "required",
      run: ({ cents }) => ({ at: new Date(0), cents, nothing: undefined, zero: -0, big: 10n, list: [undefined, 1] }),
    });
    const agent = defineAgent({ name: "payer", tools: [pay, doneForNow()] });
    const model = new ScriptedModel([
      { intent: "pay", cents: 5 },
      { intent: "done_for_now", message: "paid" },
    ]);
    let thread = await agent.run(agent.start("pay"), { model });
    thread = agent.approve(thread, thread.pending[0]!.callId, { actor: "me", args: { cents: 7, note: "more" } });
    thread = await agent.run(thread, { model });
    const started = thread.events.find((event) => event.type === "tool_started");
    assert.deepEqual(started?.type === "tool_started" && started.args, { cents: 7, note: "more" });
    const result = thread.events.find((event) => event.type === "tool_result");
    assert.deepEqual(result?.type === "tool_result" && result.result, {
      at: "1970-01-01T00:00:00.000Z",
      cents: 7,
      zero: 0,
      big: "10",
      list: [null, 1],
    });
    assertAsParsed(thread);
  });

  it("a result too deep for a thread is refused as before, and the step stops", async () => {
    let deep: JsonValue = "bottom";
    for (let depth = 0; depth < 150; depth++) deep = { inner: deep };
    const agent = echoAgent(() => deep);
    const model = new ScriptedModel([{ intent: "echo", value: "x" }]);
    await assert.rejects(agent.run(agent.start("go"), { model }), InvalidInputError);
  });

  it("a tool's context has a signal when the tool reads it: the step's, else one never aborted", async () => {
    const seen: AbortSignal[] = [];
    const reader = defineTool({
      intent: "read_signal",
      description: "reads its signal",
      args: z.object({}),
      run: (_args, context) => {
        seen.push(context.signal);
        return "ok";
      },
    });
    const both = defineAgent({ name: "signals", tools: [reader, doneForNow()] });
    const script = () => new ScriptedModel([{ intent: "read_signal" }, { intent: "done_for_now", message: "ok" }]);
    await both.run(both.start("go"), { model: script() });
    const controller = new AbortController();
    await both.run(both.start("go"), { model: script(), signal: controller.signal });
    assert.equal(seen.length, 2);
    assert.ok(seen[0] instanceof AbortSignal && !seen[0].aborted);
    assert.equal(seen[1], controller.signal);
  });
});
