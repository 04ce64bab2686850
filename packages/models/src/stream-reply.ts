/**
 * Reads an AI SDK provider's `doStream` into the whole reply, telling watchers about each piece as it
 * arrives. The reply it resolves with is the same as `doGenerate`'s would be (text, tool calls with
 * their arguments as the provider sent them, finish reason, usage): the core parses only that.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
  SharedV4Warning,
} from "@ai-sdk/provider";
import type { ModelDelta } from "agentfold";
import type { RawToolCall } from "./reply-output.ts";

export interface StreamedReply {
  text: string;
  toolCalls: RawToolCall[];
  finishReason: LanguageModelV4FinishReason;
  usage: LanguageModelV4Usage;
  warnings: SharedV4Warning[];
  response: { id?: string; modelId?: string };
  providerMetadata?: SharedV4ProviderMetadata;
}

export interface StreamWatch {
  /** Called on every part: the provider is alive (restarts the idle deadline). */
  progress: () => void;
  onDelta?: ((delta: ModelDelta) => void) | undefined;
  /** Which attempt of the call this is, from 1 (see `ModelDelta.attempt`). */
  attempt: number;
}

/** An error the provider sent inside the stream (Anthropic's `overloaded_error`, say), as a throwable. */
function streamError(error: unknown): unknown {
  if (error instanceof Error) return error;
  const record = (error && typeof error === "object" ? error : {}) as { type?: unknown; message?: unknown };
  const type = typeof record.type === "string" ? record.type : undefined;
  const message = typeof record.message === "string" ? record.message : JSON.stringify(error);
  const failure = new Error(`The provider reported an error in the stream: ${type ? `${type}: ` : ""}${message}`);
  // Overload and server errors mid-stream are transient, as their HTTP counterparts (529, 500) are.
  return Object.assign(failure, { isRetryable: type === "overloaded_error" || type === "api_error" || type === "server_error" });
}

/**
 * Calls `doStream` and reads the stream to its end.
 *
 * @example
 * const reply = await streamReply(languageModel, call, signal, { progress, onDelta, attempt: 1 });
 */
export async function streamReply(
  languageModel: LanguageModelV4,
  call: LanguageModelV4CallOptions,
  signal: AbortSignal,
  watch: StreamWatch,
): Promise<StreamedReply> {
  const { stream } = await languageModel.doStream({ ...call, abortSignal: signal });
  const reply: StreamedReply = {
    text: "",
    toolCalls: [],
    finishReason: { unified: "other", raw: undefined },
    usage: {
      inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: undefined, text: undefined, reasoning: undefined },
    },
    warnings: [],
    response: {},
  };
  const reader = stream.getReader();
  // A stalled body must not outlive the attempt's deadline, whatever the fetch underneath does.
  const cancel = () => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener("abort", cancel, { once: true });
  const calls = new Map<string, { index: number; toolName: string }>();
  const tell = (delta: ModelDelta) => watch.onDelta?.(delta);
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      watch.progress();
      const part: LanguageModelV4StreamPart = value;
      switch (part.type) {
        case "text-delta":
          reply.text += part.delta;
          if (part.delta !== "") tell({ type: "text", attempt: watch.attempt, text: part.delta });
          break;
        case "tool-input-start": {
          const started = { index: calls.size, toolName: part.toolName };
          calls.set(part.id, started);
          tell({ type: "tool_call", attempt: watch.attempt, index: started.index, toolName: part.toolName, argsText: "" });
          break;
        }
        case "tool-input-delta": {
          const started = calls.get(part.id);
          if (started && part.delta !== "") {
            tell({ type: "tool_call", attempt: watch.attempt, index: started.index, toolName: started.toolName, argsText: part.delta });
          }
          break;
        }
        case "tool-call":
          if (!calls.has(part.toolCallId)) {
            // A provider that sends a call whole, without its input in pieces first.
            const index = calls.size;
            calls.set(part.toolCallId, { index, toolName: part.toolName });
            tell({ type: "tool_call", attempt: watch.attempt, index, toolName: part.toolName, argsText: part.input });
          }
          reply.toolCalls.push({ toolName: part.toolName, input: part.input });
          break;
        case "stream-start":
          reply.warnings.push(...part.warnings);
          break;
        case "response-metadata":
          if (part.id !== undefined) reply.response.id = part.id;
          if (part.modelId !== undefined) reply.response.modelId = part.modelId;
          break;
        case "finish":
          finished = true;
          reply.finishReason = part.finishReason;
          reply.usage = part.usage;
          if (part.providerMetadata !== undefined) reply.providerMetadata = part.providerMetadata;
          break;
        case "error":
          throw streamError(part.error);
        default:
          break;
      }
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
  signal.throwIfAborted();
  // The SDKs close a cut stream with a `finish` of their own (`interrupted` or `other`) but without
  // the provider's reason (Anthropic's `stop_reason`, OpenAI's `finish_reason`): the reply never ended.
  const { raw, unified } = reply.finishReason;
  if (finished && raw === undefined && (unified === "other" || unified === "interrupted")) finished = false;
  if (!finished) {
    // The connection closed mid-reply: what arrived may be cut anywhere, so it is never parsed.
    throw Object.assign(new Error("The provider's stream ended before the reply was finished."), { isRetryable: true });
  }
  return reply;
}

/**
 * The same reply from `doGenerate`, for a caller that asked not to stream.
 *
 * @example
 * const reply = await generateReply(languageModel, call, signal);
 */
export async function generateReply(
  languageModel: LanguageModelV4,
  call: LanguageModelV4CallOptions,
  signal: AbortSignal,
): Promise<StreamedReply> {
  const result = await languageModel.doGenerate({ ...call, abortSignal: signal });
  const response: StreamedReply["response"] = {};
  if (result.response?.id !== undefined) response.id = result.response.id;
  if (result.response?.modelId !== undefined) response.modelId = result.response.modelId;
  const reply: StreamedReply = {
    text: result.structuredOutputText ?? result.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join(""),
    toolCalls: result.content.flatMap((part) => (part.type === "tool-call" ? [{ toolName: part.toolName, input: part.input }] : [])),
    finishReason: result.finishReason,
    usage: result.usage,
    warnings: result.warnings,
    response,
  };
  if (result.providerMetadata !== undefined) reply.providerMetadata = result.providerMetadata;
  return reply;
}
