/**
 * `ScriptedModel`: a model whose replies are written in advance. The k-th reply answers the k-th
 * model call of each thread (k = the thread's earlier model calls), so it is deterministic and safe
 * under concurrency and across processes: the same thread always gets the same reply.
 *
 * Production code, not only a test double: the `script:<path.json>` model spec (the CLI, the server,
 * outside tests driving the HTTP API) loads its model from here through `agentfold/runtime`;
 * `agentfold/testing` re-exports it for tests.
 */
import { ConfigurationError } from "./errors.ts";
import type { Model, ModelDelta, ModelReply, ModelRequest, ModelUsage, OutputMode } from "./model.ts";

/** A scripted reply: what a model would send (object, array of objects, or text), or a function of the request. */
export type ScriptStep = unknown | ((request: ModelRequest) => unknown);

export interface ScriptedModelOptions {
  id?: string;
  /** Usage reported with every reply. */
  usage?: ModelUsage;
  mode?: OutputMode;
  /**
   * Characters per streamed delta (`request.onDelta`): the reply is told in pieces of this size, as
   * a provider streams it. Default 16.
   */
  chunkSize?: number;
}

/** A step scripted with what a model reports beside its output; see `ScriptedModel.reply`. */
class FullReply {
  readonly reply: ModelReply;
  constructor(reply: ModelReply) {
    this.reply = reply;
  }
}

/**
 * @example
 * const model = new ScriptedModel([
 *   { intent: "divide", a: 3, b: 4 },
 *   { intent: "done_for_now", message: "3 / 4 = 0.75" },
 * ]);
 * thread = await calculator.run(thread, { model });
 */
export class ScriptedModel implements Model {
  readonly specificationVersion = "v1";
  readonly id: string;
  readonly defaultMode: OutputMode;
  readonly steps: readonly ScriptStep[];
  /** Every request received, in order: for assertions on what was sent. */
  readonly requests: ModelRequest[] = [];
  readonly #usage: ModelUsage | undefined;
  readonly #chunkSize: number;

  constructor(steps: readonly ScriptStep[], options: ScriptedModelOptions = {}) {
    if (!Array.isArray(steps)) throw new ConfigurationError("ScriptedModel needs an array of steps.");
    this.steps = steps;
    this.id = options.id ?? "script:inline";
    this.defaultMode = options.mode ?? "prompt";
    this.#usage = options.usage;
    this.#chunkSize = options.chunkSize ?? 16;
    if (!Number.isInteger(this.#chunkSize) || this.#chunkSize < 1) {
      throw new ConfigurationError(`ScriptedModel chunkSize must be a whole number of characters, at least 1; got ${options.chunkSize}.`);
    }
  }

  /**
   * A step that is a whole reply rather than its output: for what a model reports beside it, such as
   * a reply cut off at the output limit. The reply's `modelId` defaults to the model's id, its
   * `finishReason` to `stop`, its `usage` to the model's.
   *
   * @example
   * new ScriptedModel([ScriptedModel.reply({ output: '{"intent":"multiply","a":3,"b":12', finishReason: "length" })]);
   */
  static reply(reply: ModelReply): ScriptStep {
    return new FullReply(reply);
  }

  async generate(request: ModelRequest): Promise<ModelReply> {
    request.signal?.throwIfAborted();
    this.requests.push(request);
    if (request.turn >= this.steps.length) {
      throw new ConfigurationError(
        `${this.id} has ${this.steps.length} steps, but thread ${request.threadId} asked for model call ${request.turn + 1}. Add a step to the script.`,
      );
    }
    const step = this.steps[request.turn];
    const defaults: ModelReply = {
      output: undefined,
      modelId: this.id,
      finishReason: "stop",
      ...(this.#usage ? { usage: this.#usage } : {}),
    };
    const reply: ModelReply =
      step instanceof FullReply
        ? { ...defaults, ...structuredClone(step.reply) }
        : {
            ...defaults,
            output: structuredClone(typeof step === "function" ? (step as (request: ModelRequest) => unknown)(request) : step),
          };
    if (request.onDelta) for (const delta of scriptedDeltas(reply.output, request.mode, this.#chunkSize)) request.onDelta(delta);
    return reply;
  }
}

/**
 * The deltas a provider would stream for `output`: in tools mode, each step `{ intent, ...args }` as
 * a tool call whose arguments arrive in pieces; otherwise the reply's text (JSON for an object).
 */
function* scriptedDeltas(output: unknown, mode: OutputMode, chunkSize: number): Generator<ModelDelta> {
  const steps = Array.isArray(output) ? output : [output];
  const isCall = (step: unknown): step is { intent: string } =>
    step !== null && typeof step === "object" && typeof (step as { intent?: unknown }).intent === "string";
  if (mode === "tools" && steps.length > 0 && steps.every(isCall)) {
    for (const [index, step] of steps.entries()) {
      const { intent, ...args } = step as Record<string, unknown> & { intent: string };
      yield { type: "tool_call", attempt: 1, index, toolName: intent, argsText: "" };
      for (const piece of pieces(JSON.stringify(args), chunkSize))
        yield { type: "tool_call", attempt: 1, index, toolName: intent, argsText: piece };
    }
    return;
  }
  const text = typeof output === "string" ? output : (JSON.stringify(output) ?? "");
  for (const piece of pieces(text, chunkSize)) yield { type: "text", attempt: 1, text: piece };
}

function* pieces(text: string, size: number): Generator<string> {
  for (let start = 0; start < text.length; start += size) yield text.slice(start, start + size);
}

/**
 * The `script:<path.json>` model: a JSON object `{ "steps": [ ... ] }`.
 *
 * @example
 * const model = scriptedModelFromFile("test/fixtures/divide.json");
 */
export function scriptedModelFromFile(path: string): ScriptedModel {
  let text: string;
  try {
    // Through getBuiltinModule, not `import`: importing node:fs as a module builds its namespace,
    // which loads fs/promises, readline and streams, a few milliseconds of a short command (see
    // docs/decisions/2026-11-30-cold-start.md).
    text = globalThis.process.getBuiltinModule("node:fs").readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigurationError(`Cannot read the model script ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`The model script ${path} is not JSON: ${(error as Error).message}`);
  }
  const steps = (value as { steps?: unknown })?.steps;
  if (!Array.isArray(steps)) {
    throw new ConfigurationError(`The model script ${path} must be a JSON object {"steps": [...]} with one raw reply per model call.`);
  }
  return new ScriptedModel(steps, { id: `script:${path}` });
}
