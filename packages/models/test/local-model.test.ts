import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { z } from "zod";
import type { ModelDelta, ModelRequest } from "agentfold";
import { runModelConformance } from "agentfold/testing";
import { localModel, type LocalModel } from "../src/local-model.ts";
import { writeTinyGguf } from "./support/tiny-gguf.ts";

let directory: string;
let modelPath: string;
let model: LocalModel;

const tinySettings = {
  contextSize: 1024,
  threads: 1,
  gpu: false as const,
  maxTokens: 400,
  grammarLimits: { maxStringLength: 24, maxItems: 4, characters: "ascii" as const },
};

function step<const Name extends string, Shape extends z.ZodRawShape>(intent: Name, shape: Shape) {
  return z.object({ intent: z.literal(intent), ...shape }).strict();
}

/** Eleven next-step unions of different shapes, each turned into JSON Schema the way the core does. */
const schemas: Array<[string, z.ZodType]> = [
  ["one intent, no arguments", step("done_for_now", {})],
  ["calculator", z.union([step("add", { a: z.number(), b: z.number() }), step("divide", { a: z.number(), b: z.number() })])],
  ["bounded text", step("reply", { message: z.string().max(12) })],
  ["integers and booleans", step("set", { count: z.int(), enabled: z.boolean() })],
  ["enum argument", step("deploy", { environment: z.enum(["staging", "production"]), tag: z.string().max(8) })],
  ["optional arguments", step("search", { query: z.string().min(1).max(10), limit: z.int().optional(), exact: z.boolean().optional() })],
  ["all arguments optional", step("list", { cursor: z.string().max(6).optional(), status: z.enum(["open", "done"]).optional() })],
  ["bounded array", step("tag", { labels: z.array(z.string().max(5)).min(1).max(3) })],
  ["nested object", step("refund", { order: z.object({ id: z.string().max(8), amount: z.number() }), reason: z.string().max(10) })],
  ["nullable value", step("assign", { owner: z.string().max(6).nullable() })],
  [
    "human intents",
    z.union([
      step("request_more_information", { question: z.string().max(16) }),
      step("done_for_now", { message: z.string().max(16) }),
      step("multiply", { a: z.number(), b: z.number() }),
    ]),
  ],
];

function requestFor(schema: z.ZodType, turn: number): ModelRequest {
  return {
    messages: [
      { role: "system", content: "Choose the next step. Reply with JSON only." },
      { role: "user", content: "can you divide 3 by 4" },
    ],
    schema: z.toJSONSchema(schema) as Record<string, unknown>,
    intents: [],
    mode: "json",
    threadId: "thread-local",
    turn,
  };
}

before(async () => {
  directory = await mkdtemp(join(tmpdir(), "agentfold-local-"));
  modelPath = join(directory, "tiny.gguf");
  const size = await writeTinyGguf(modelPath);
  assert.ok(size < 1_000_000, `tiny model should stay under 1 MB, was ${size} bytes`);
  model = localModel({ modelPath, ...tinySettings });
});

after(async () => {
  await model.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe("local model (tiny random-weights GGUF through node-llama-cpp)", () => {
  test("loads the generated model", async () => {
    const milliseconds = await model.load();
    assert.ok(milliseconds >= 0);
  });

  for (const [index, [name, schema]] of schemas.entries()) {
    test(`grammar-constrained reply parses and validates: ${name}`, async () => {
      const reply = await model.generate(requestFor(schema, index));
      assert.equal(typeof reply.output, "string");
      const parsed: unknown = JSON.parse(reply.output as string);
      const checked = schema.safeParse(parsed);
      assert.ok(checked.success, `reply ${String(reply.output)} failed: ${checked.error?.message}`);
      assert.equal(reply.finishReason, "stop");
      assert.ok((reply.usage?.outputTokens ?? 0) > 0);
      assert.equal(reply.modelId, `local:${modelPath}`);
    });
  }

  test("streams the reply's text as it is sampled; the pieces make the whole reply", async () => {
    const deltas: ModelDelta[] = [];
    const reply = await model.generate({ ...requestFor(schemas[8]![1], 8), onDelta: (delta) => deltas.push(delta) });
    assert.ok(deltas.length > 1, `expected the reply in several pieces, got ${deltas.length}`);
    assert.ok(deltas.every((delta) => delta.type === "text" && delta.attempt === 1));
    assert.equal(deltas.map((delta) => (delta.type === "text" ? delta.text : "")).join(""), reply.output);
  });

  test("an already aborted call rejects without generating", async () => {
    await assert.rejects(
      model.generate({ ...requestFor(schemas[1]![1], 0), signal: AbortSignal.abort() }),
      (error: Error) => error.name === "ModelCallError" && /aborted/.test(error.message),
    );
  });

  test("a missing model file names the path and how to fix it", async () => {
    const missing = localModel({ modelPath: join(directory, "nope.gguf"), ...tinySettings });
    await assert.rejects(missing.generate(requestFor(schemas[0]![1], 0)), /nope\.gguf does not exist.*local:/);
  });

  test("a missing node-llama-cpp install says to run npm install node-llama-cpp", async () => {
    const withoutPackage = localModel({
      modelPath,
      ...tinySettings,
      importLlama: () => import("node-llama-cpp-is-not-installed" as string),
    });
    await assert.rejects(withoutPackage.generate(requestFor(schemas[0]![1], 0)), (error: Error) => {
      return error.name === "ConfigurationError" && error.message.includes("npm install node-llama-cpp");
    });
  });
});

runModelConformance({
  name: "local model",
  newModel: () => localModel({ modelPath, ...tinySettings }),
  modes: ["json"],
  cleanup: (instance) => (instance as LocalModel).dispose(),
});
