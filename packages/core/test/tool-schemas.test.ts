/**
 * Tool arguments from any schema library: zod 4 (classic and mini), zod 3, Valibot and ArkType
 * through Standard Schema, and plain JSON Schema objects. For each, a valid call runs with the
 * schema's output, and invalid arguments take the "invalid arguments" path with a readable message.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { type } from "arktype";
import * as v from "valibot";
import { z } from "zod";
import * as zm from "zod/mini";
import { z as z3 } from "zod3";
import { ConfigurationError, defineAgent, defineTool, doneForNow, InvalidInputError, type JsonSchema } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

const operandsJsonSchema: JsonSchema = {
  type: "object",
  properties: { a: { type: "number" }, b: { type: "number" } },
  required: ["a", "b"],
  additionalProperties: false,
};

const libraries: Array<{ name: string; args: unknown; jsonSchema?: JsonSchema; invalid: RegExp }> = [
  { name: "zod 4", args: z.object({ a: z.number(), b: z.number() }), invalid: /a: Invalid input: expected number, received string/ },
  { name: "zod/mini", args: zm.object({ a: zm.number(), b: zm.number() }), invalid: /a: Invalid input: expected number, received string/ },
  {
    name: "zod 3",
    args: z3.object({ a: z3.number(), b: z3.number() }),
    jsonSchema: operandsJsonSchema,
    invalid: /a: Expected number, received string/,
  },
  {
    name: "Valibot",
    args: v.object({ a: v.number(), b: v.number() }),
    jsonSchema: operandsJsonSchema,
    invalid: /a: Invalid type: Expected number but received "x"/,
  },
  { name: "ArkType", args: type({ a: "number", b: "number" }), invalid: /a: a must be a number \(was a string\)/ },
  { name: "JSON Schema", args: operandsJsonSchema, invalid: /a: Instance type "string" is invalid\. Expected "number"\./ },
];

function addAgent(args: unknown, jsonSchema: JsonSchema | undefined, runs: unknown[]) {
  const add = defineTool({
    intent: "add",
    description: "add a and b",
    args: args as JsonSchema,
    ...(jsonSchema ? { jsonSchema } : {}),
    run: (input) => {
      runs.push(input);
      const { a, b } = input as { a: number; b: number };
      return a + b;
    },
  });
  return { add, agent: defineAgent({ name: "adder", tools: [add, doneForNow()] }) };
}

describe("tool argument schemas", () => {
  for (const library of libraries) {
    it(`${library.name}: the model sees a JSON Schema, valid arguments run, invalid ones are an error the model reads`, async () => {
      const runs: unknown[] = [];
      const { add, agent } = addAgent(library.args, library.jsonSchema, runs);
      assert.deepEqual(Object.keys(add.parameters.properties as object).sort(), ["a", "b"]);
      assert.equal(add.parameters.$schema, undefined);
      const model = new ScriptedModel([
        { intent: "add", a: 1, b: 2 },
        { intent: "add", a: "x", b: 2 },
        { intent: "done_for_now", message: "3" },
      ]);
      const thread = await agent.run(agent.start("add 1 and 2"), { model });
      assert.equal(thread.status, "done");
      assert.deepEqual(runs, [{ a: 1, b: 2 }]);
      const error = thread.events.find((event) => event.type === "error");
      assert.ok(error?.type === "error" && error.source === "model_output");
      assert.match(error.message, /^Invalid arguments for "add": /);
      assert.match(error.message, library.invalid);
    });
  }

  it("transforms and defaults of a Standard Schema reach run; the stored call keeps what the model sent", async () => {
    const runs: unknown[] = [];
    const args = v.object({
      cents: v.pipe(
        v.number(),
        v.transform((dollars) => dollars * 100),
      ),
      note: v.optional(v.string(), "none"),
    });
    const pay = defineTool({
      intent: "pay",
      description: "pay an amount in dollars",
      args,
      jsonSchema: { type: "object", properties: { cents: { type: "number" }, note: { type: "string" } }, required: ["cents"] },
      run: (input) => {
        runs.push(input);
        return "paid";
      },
    });
    const agent = defineAgent({ name: "payer", tools: [pay, doneForNow()] });
    const thread = await agent.run(agent.start("pay 2 dollars"), {
      model: new ScriptedModel([
        { intent: "pay", cents: 2 },
        { intent: "done_for_now", message: "paid" },
      ]),
    });
    assert.deepEqual(runs, [{ cents: 200, note: "none" }]);
    const decision = thread.events.find((event) => event.type === "model_decision");
    assert.deepEqual(decision?.type === "model_decision" ? decision.calls[0]?.args : undefined, { cents: 2 });
  });

  it("a schema library without a JSON Schema converter needs jsonSchema beside args, and says so", () => {
    assert.throws(
      () => defineTool({ intent: "add", description: "add", args: v.object({ a: v.number() }) }),
      (error: unknown) =>
        error instanceof ConfigurationError &&
        /args schema \(valibot\) has no JSON Schema converter.*Pass jsonSchema: \{ type: "object", \.\.\. \} beside args \(toJsonSchema\(args\) from @valibot\/to-json-schema/.test(
          error.message,
        ),
    );
    assert.throws(
      () => defineTool({ intent: "add", description: "add", args: z3.object({ a: z3.number() }) }),
      /\(zod\) has no JSON Schema converter.*zod 3/,
    );
  });

  it("args that are not an object schema, or that name an intent key, are refused at definition time", () => {
    assert.throws(() => defineTool({ intent: "t", description: "t", args: z.string() as never }), /args must describe an object/);
    assert.throws(() => defineTool({ intent: "t", description: "t", args: "a" as never }), /args must be a schema of an object/);
    assert.throws(
      () => defineTool({ intent: "t", description: "t", args: { type: "object", properties: { intent: { type: "string" } } } }),
      /must not have a key named "intent"/,
    );
  });

  it("an approval edited with a key the JSON Schema does not have is refused", async () => {
    const send = defineTool({
      intent: "send",
      description: "send",
      args: { type: "object", properties: { to: { type: "string" } }, required: ["to"] },
      approval: "required",
      run: () => "sent",
    });
    const agent = defineAgent({ name: "sender", tools: [send, doneForNow()] });
    const waiting = await agent.run(agent.start("send"), { model: new ScriptedModel([{ intent: "send", to: "a@example.com" }]) });
    const callId = waiting.pending[0]?.callId ?? "";
    assert.throws(() => agent.approve(waiting, callId, { args: { to: "b@example.com", bcc: "c" } }), InvalidInputError);
    assert.throws(() => agent.approve(waiting, callId, { args: { to: 3 } }), /to: Instance type "number" is invalid/);
    assert.equal(agent.approve(waiting, callId, { args: { to: "b@example.com" } }).status, "running");
  });

  it("the JSON Schema validator loads on the first check of a JSON Schema tool, not when tools are defined", () => {
    const result = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `
        const { defineTool, parseModelOutput } = await import("agentfold");
        const loaded = () => Object.keys(process.getBuiltinModule("node:module").createRequire(import.meta.url).cache).some((path) => path.includes("@cfworker"));
        const tool = defineTool({ intent: "t", description: "t", args: { type: "object", properties: { a: { type: "number" } } } });
        const seen = [loaded()];
        parseModelOutput({ intent: "t", a: 1 }, new Map([["t", tool]]));
        seen.push(loaded());
        console.log(JSON.stringify(seen));
      `,
      ],
      { encoding: "utf8" },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim()), [false, true]);
  });
});
