/**
 * The conformance suite every `Model` adapter runs: the same checks against a scripted model, a
 * provider adapter talking to a fake server, or an embedded model. It uses `node:test`, so call it at
 * the top level of a test file.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Model, ModelReply, ModelRequest, OutputMode } from "../model.ts";

export interface ModelConformanceOptions {
  /** Shown in the test names. */
  name: string;
  /** Makes a fresh model for each check. It must answer the conformance request with a next step. */
  newModel: () => Model | Promise<Model>;
  /** Output modes to check. Default: all three. */
  modes?: readonly OutputMode[];
  /** Frees a model after the checks (close files, unload weights). */
  cleanup?: (model: Model) => void | Promise<void>;
  /** Whether an already aborted signal must make `generate` reject. Default true. */
  honoursAbort?: boolean;
}

const modes: readonly OutputMode[] = ["tools", "json", "prompt"];

/** The request the suite sends: one human-facing intent, so any adapter or fake can answer it. */
export function conformanceRequest(mode: OutputMode, overrides: Partial<ModelRequest> = {}): ModelRequest {
  const parameters = {
    type: "object",
    properties: { message: { type: "string", maxLength: 40 } },
    required: ["message"],
    additionalProperties: false,
  };
  return {
    messages: [
      { role: "system", content: "You are a test agent. Say you are done." },
      { role: "user", content: "hello" },
    ],
    schema: {
      anyOf: [
        {
          type: "object",
          properties: { intent: { type: "string", const: "done_for_now" }, message: { type: "string", maxLength: 40 } },
          required: ["intent", "message"],
          additionalProperties: false,
        },
      ],
    },
    intents: [{ intent: "done_for_now", description: "Tell the user you are done.", parameters }],
    mode,
    threadId: "conformance-thread",
    turn: 0,
    ...overrides,
  };
}

function isStep(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { intent?: unknown }).intent === "string";
}

/** Checks the shape of a reply against the `Model` contract (not the step's validity: that is the core's job). */
export function assertReplyShape(reply: ModelReply): void {
  assert.ok(reply && typeof reply === "object", "generate must resolve to an object");
  const { output } = reply;
  const shapeOk = typeof output === "string" || isStep(output) || (Array.isArray(output) && output.length > 0 && output.every(isStep));
  assert.ok(shapeOk, `output must be a string, a { intent, ...args } object or an array of them; got ${JSON.stringify(output)}`);
  if (reply.usage) {
    for (const key of ["inputTokens", "outputTokens"] as const) {
      const count = reply.usage[key];
      assert.ok(Number.isInteger(count) && count >= 0, `usage.${key} must be a whole number >= 0, got ${count}`);
    }
    if (reply.usage.cost !== undefined) assert.ok(reply.usage.cost >= 0, "usage.cost must not be negative");
  }
  if (reply.finishReason !== undefined) {
    // The core acts on `length` and `interrupted` (it never runs such a reply): a provider's own word
    // for them ("max_tokens") would slip through, so only the unified names are allowed.
    const known = ["stop", "length", "tool-calls", "content-filter", "error", "interrupted", "other"];
    assert.ok(
      known.includes(reply.finishReason),
      `finishReason must be one of ${known.join(", ")}; got ${JSON.stringify(reply.finishReason)}`,
    );
  }
  if (reply.modelId !== undefined) assert.ok(reply.modelId.length > 0, "modelId must not be empty");
  if (reply.metadata !== undefined) assert.equal(typeof reply.metadata, "object");
  assert.doesNotThrow(() => JSON.stringify(reply.output), "output must be JSON-serializable");
}

/**
 * Registers the model conformance checks with `node:test`.
 *
 * @example
 * runModelConformance({
 *   name: "openai adapter",
 *   newModel: () => openaiModel("gpt-4o-mini", { apiKey: "test", baseURL: server.url }),
 * });
 */
export function runModelConformance(options: ModelConformanceOptions): void {
  const made: Model[] = [];
  async function fresh(): Promise<Model> {
    const model = await options.newModel();
    made.push(model);
    return model;
  }

  describe(`Model conformance: ${options.name}`, () => {
    after(async () => {
      for (const model of made.splice(0)) await options.cleanup?.(model);
    });

    test("declares specification v1, an id and a valid default mode", async () => {
      const model = await fresh();
      assert.equal(model.specificationVersion, "v1");
      assert.equal(typeof model.id, "string");
      assert.ok(model.id.length > 0, "id must not be empty");
      if (model.defaultMode !== undefined) assert.ok(modes.includes(model.defaultMode), `unknown defaultMode ${model.defaultMode}`);
    });

    for (const mode of options.modes ?? modes) {
      test(`answers in ${mode} mode with a reply of the right shape`, async () => {
        const model = await fresh();
        const reply = await model.generate(conformanceRequest(mode));
        assertReplyShape(reply);
      });
    }

    test("does not change the request it is given", async () => {
      const model = await fresh();
      const request = conformanceRequest((options.modes ?? modes)[0] ?? "json");
      const copy = JSON.stringify(request);
      await model.generate(request);
      assert.equal(JSON.stringify(request), copy);
    });

    if (options.honoursAbort !== false) {
      test("rejects promptly when the signal is already aborted", async () => {
        const model = await fresh();
        const started = performance.now();
        const request = conformanceRequest((options.modes ?? modes)[0] ?? "json", { signal: AbortSignal.abort() });
        await assert.rejects(model.generate(request));
        assert.ok(performance.now() - started < 1000, "an aborted call must not wait");
      });
    }
  });
}
