/**
 * Wraps any AI SDK language model (the provider packages' `LanguageModelV4`) as an agentfold `Model`.
 *
 * We call the provider's `doStream` directly rather than `streamText` from `ai`: it gives tool
 * arguments and structured output as the raw text the provider sent (the core parses and validates,
 * and a malformed reply must become an error event, not an exception), and it never retries, so the
 * retry policy in `retry.ts` is the only one in play. Streaming lets people watch the reply arrive
 * (`request.onDelta`) and lets the deadline watch for a stalled stream instead of bounding the whole
 * reply (see docs/decisions/2026-11-30-streaming.md).
 */
import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4Prompt } from "@ai-sdk/provider";
import type { JsonSchema, Model, ModelMessage, ModelReply, ModelRequest, OutputMode } from "agentfold";
import { defaultRetryPolicy, withRetries, type FailureInfo, type RetryPolicy } from "./retry.ts";
import { toolCallsToOutput, unwrapJsonText, wrapRootUnion } from "./reply-output.ts";
import { generateReply, streamReply } from "./stream-reply.ts";

/** Price of a model in any currency (usually USD), per million tokens. */
export interface ModelPrice {
  inputPerMillionTokens: number;
  outputPerMillionTokens: number;
}

export interface AiSdkModelOptions {
  /** The spec string the model is known by, e.g. `openai:gpt-4o-mini`. Defaults to provider:modelId. */
  id?: string;
  /** Mode used when the agent does not choose one. Default `tools`. */
  defaultMode?: OutputMode;
  /** Overrides of the shared retry policy (attempts, delays, per-attempt timeout). */
  retry?: Partial<RetryPolicy>;
  /** When given, each reply's usage carries a cost. */
  price?: ModelPrice;
  maxOutputTokens?: number;
  temperature?: number;
  /** Passed to the provider as is, e.g. `{ openai: { parallelToolCalls: false } }`. */
  providerOptions?: LanguageModelV4CallOptions["providerOptions"];
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string>;
  /**
   * Wrap the next-step union as `{ "next_step": ... }` in JSON mode, for providers whose structured
   * output requires an object at the root (OpenAI, Anthropic). Default true.
   */
  wrapJsonSchema?: boolean;
  /**
   * Stream replies (`doStream`, default true): pieces reach `request.onDelta` and the attempt
   * deadline watches for a stalled stream. `false` calls `doGenerate`, as a cassette recorded before
   * streaming needs.
   */
  stream?: boolean;
  /** Told about each retry before its wait. */
  onRetry?: (info: { attempt: number; delayMs: number; failure: FailureInfo }) => void;
}

function toPrompt(messages: readonly ModelMessage[]): LanguageModelV4Prompt {
  return messages.map((message) => {
    if (message.role === "system") return { role: "system", content: message.content };
    return { role: message.role, content: [{ type: "text", text: message.content }] };
  });
}

/**
 * Computes the cost of a call from a price per million tokens.
 *
 * @example
 * costOf({ inputTokens: 1000, outputTokens: 100 }, { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 });
 */
export function costOf(usage: { inputTokens: number; outputTokens: number }, price: ModelPrice): number {
  return (usage.inputTokens * price.inputPerMillionTokens + usage.outputTokens * price.outputPerMillionTokens) / 1_000_000;
}

function callOptions(request: ModelRequest, options: AiSdkModelOptions): LanguageModelV4CallOptions {
  const call: LanguageModelV4CallOptions = { prompt: toPrompt(request.messages) };
  if (request.mode === "tools") {
    call.tools = request.intents.map((intent) => ({
      type: "function" as const,
      name: intent.intent,
      description: intent.description,
      // JSON Schema objects from the core; the provider types them as JSONSchema7.
      inputSchema: intent.parameters as never,
    }));
    call.toolChoice = { type: "required" };
  } else if (request.mode === "json") {
    const schema: JsonSchema = options.wrapJsonSchema === false ? request.schema : wrapRootUnion(request.schema);
    call.responseFormat = { type: "json", schema: schema as never, name: "next_step" };
  }
  if (options.maxOutputTokens !== undefined) call.maxOutputTokens = options.maxOutputTokens;
  if (options.temperature !== undefined) call.temperature = options.temperature;
  if (options.providerOptions !== undefined) call.providerOptions = options.providerOptions;
  if (options.headers !== undefined) call.headers = options.headers;
  return call;
}

/**
 * Makes an agentfold `Model` from an AI SDK language model.
 *
 * @example
 * import { createOpenAI } from "@ai-sdk/openai";
 * const model = fromLanguageModel(createOpenAI({ apiKey }).chat("gpt-4o-mini"), { id: "openai:gpt-4o-mini" });
 */
export function fromLanguageModel(languageModel: LanguageModelV4, options: AiSdkModelOptions = {}): Model {
  const id = options.id ?? `${languageModel.provider.split(".")[0]}:${languageModel.modelId}`;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  return {
    specificationVersion: "v1",
    id,
    defaultMode: options.defaultMode ?? "tools",
    async generate(request: ModelRequest): Promise<ModelReply> {
      const call = callOptions(request, options);
      let attempt = 0;
      const read = (signal: AbortSignal, progress: () => void) =>
        options.stream === false
          ? generateReply(languageModel, call, signal)
          : streamReply(languageModel, call, signal, { progress, onDelta: request.onDelta, attempt: ++attempt });
      const result = await withRetries(read, policy, {
        signal: request.signal,
        timeoutMs: request.timeoutMs,
        modelId: id,
        onRetry: (info) => {
          options.onRetry?.(info);
          request.onRetry?.({
            attempt: info.attempt,
            waitMs: info.delayMs,
            message: info.failure.message,
            ...(info.failure.status === undefined ? {} : { status: info.failure.status }),
          });
        },
      });
      const { toolCalls, text } = result;
      const finishReason = result.finishReason.unified;
      // A reply cut off at the output limit is refused by the core; unwrapping would repair it first,
      // so the error would show the model a completed step it never sent. It goes back as written.
      const complete = finishReason !== "length" && finishReason !== "interrupted";
      let output: unknown;
      if (toolCalls.length > 0) output = toolCallsToOutput(toolCalls);
      else if (request.mode === "json" && options.wrapJsonSchema !== false && complete) output = unwrapJsonText(text);
      else output = text;
      const usage = { inputTokens: result.usage.inputTokens.total ?? 0, outputTokens: result.usage.outputTokens.total ?? 0 };
      const metadata: Record<string, unknown> = { provider: languageModel.provider };
      if (result.response.id !== undefined) metadata.responseId = result.response.id;
      if (result.response.modelId !== undefined) metadata.responseModelId = result.response.modelId;
      if (result.warnings.length > 0) metadata.warnings = result.warnings;
      if (result.providerMetadata !== undefined) metadata.providerMetadata = result.providerMetadata;
      return {
        output,
        usage: options.price ? { ...usage, cost: costOf(usage, options.price) } : usage,
        finishReason,
        modelId: id,
        metadata,
      };
    },
  };
}
