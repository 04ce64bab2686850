/**
 * Ollama's native chat API (`POST /api/chat`) as an AI SDK language model, so it runs through the
 * same adapter as every provider (`fromLanguageModel`: retries, deadlines, deltas, finish reasons).
 *
 * The native API, unlike Ollama's OpenAI-compatible `/v1` endpoint, takes `options.num_ctx`: the
 * context the model is loaded with. Without it Ollama cuts a long prompt at its default context
 * without saying so. Wire format: the request carries `messages`, `tools` (OpenAI's function shape),
 * `format` (a JSON Schema for structured output) and `options`; the streamed reply is NDJSON, one
 * object per line, `message.content` pieces, `message.tool_calls` whole (arguments as an object), and
 * a last line with `done: true`, `done_reason` and the counts (`prompt_eval_count`, `eval_count`).
 * Errors are `{ "error": "..." }`, as the HTTP body or as a line of the stream.
 */
import {
  APICallError,
  type LanguageModelV4,
  type LanguageModelV4CallOptions,
  type LanguageModelV4Content,
  type LanguageModelV4FinishReason,
  type LanguageModelV4GenerateResult,
  type LanguageModelV4StreamPart,
  type LanguageModelV4Usage,
} from "@ai-sdk/provider";

export interface OllamaChatSettings {
  /** The server's root, e.g. `http://127.0.0.1:11434` (no `/api`). */
  host: string;
  fetch?: typeof globalThis.fetch;
  /** Sent as a bearer token, for an Ollama behind a proxy that wants one. */
  apiKey?: string;
}

/** One line of the reply (or the whole reply when not streaming). */
interface OllamaChunk {
  model?: string;
  message?: { content?: string; tool_calls?: Array<{ function?: { name?: string; arguments?: unknown } }> };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

/** `providerOptions.ollama`: `options` (num_ctx, num_predict, temperature…), `keep_alive`, `think`. */
function ollamaOptions(call: LanguageModelV4CallOptions): Record<string, unknown> {
  const given = call.providerOptions?.ollama;
  return given && typeof given === "object" ? (given as Record<string, unknown>) : {};
}

function requestBody(modelId: string, call: LanguageModelV4CallOptions, stream: boolean): Record<string, unknown> {
  const messages = call.prompt.map((message) => {
    if (message.role === "system") return { role: "system", content: message.content };
    const text = message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
    return { role: message.role === "tool" ? "tool" : message.role, content: text };
  });
  const { options: extraOptions, ...rest } = ollamaOptions(call);
  // Sampling settings belong in `options` on the native API; at the top level they are ignored.
  const options: Record<string, unknown> = { ...(extraOptions as Record<string, unknown> | undefined) };
  if (call.maxOutputTokens !== undefined) options.num_predict ??= call.maxOutputTokens;
  if (call.temperature !== undefined) options.temperature ??= call.temperature;
  const body: Record<string, unknown> = { model: modelId, messages, stream, ...rest };
  if (Object.keys(options).length > 0) body.options = options;
  const tools = (call.tools ?? []).flatMap((tool) =>
    tool.type === "function"
      ? [{ type: "function", function: { name: tool.name, description: tool.description ?? "", parameters: tool.inputSchema } }]
      : [],
  );
  // The native API has no tool choice: with tools the model may still answer in text, which the core
  // parses as a step or answers with an error event the model reads.
  if (tools.length > 0) body.tools = tools;
  if (call.responseFormat?.type === "json") body.format = call.responseFormat.schema ?? "json";
  return body;
}

async function post(settings: OllamaChatSettings, body: Record<string, unknown>, call: LanguageModelV4CallOptions): Promise<Response> {
  const url = `${settings.host}/api/chat`;
  const headers: Record<string, string> = { "content-type": "application/json", ...(call.headers as Record<string, string> | undefined) };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  const fetch = settings.fetch ?? globalThis.fetch;
  const init: RequestInit = { method: "POST", headers, body: JSON.stringify(body) };
  if (call.abortSignal) init.signal = call.abortSignal;
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (call.abortSignal?.aborted) throw error;
    // No answer at all (refused, reset, DNS): transient, as the AI SDK marks it.
    throw new APICallError({
      message: `Cannot reach Ollama at ${settings.host}: ${String(error)}`,
      url,
      requestBodyValues: body,
      cause: error,
      isRetryable: true,
    });
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => "");
  let message = text || response.statusText;
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") message = parsed.error;
  } catch {
    // Not JSON (a proxy's page): the text itself is the message.
  }
  throw new APICallError({
    message,
    url,
    requestBodyValues: body,
    statusCode: response.status,
    responseHeaders: Object.fromEntries(response.headers),
    responseBody: text,
  });
}

function usageOf(chunk: OllamaChunk): LanguageModelV4Usage {
  return {
    inputTokens: { total: chunk.prompt_eval_count, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: chunk.eval_count, text: undefined, reasoning: undefined },
  };
}

/** `done_reason` in the AI SDK's terms. Ollama says `stop` after tool calls too. */
function finishReasonOf(chunk: OllamaChunk, sawToolCalls: boolean): LanguageModelV4FinishReason {
  const raw = chunk.done_reason ?? "stop";
  if (raw === "length") return { unified: "length", raw };
  if (raw === "stop") return { unified: sawToolCalls ? "tool-calls" : "stop", raw };
  return { unified: "other", raw };
}

function streamError(message: string): Error {
  // A line such as {"error":"an error was encountered while running the model"}: the runner failed
  // mid-reply, which another attempt may not meet.
  return Object.assign(new Error(`Ollama reported an error in the stream: ${message}`), { isRetryable: true });
}

/** The parts of one reply line: text pieces, and each tool call whole (Ollama sends them whole). */
function* partsOf(chunk: OllamaChunk, state: { toolCalls: number; textStarted: boolean }): Generator<LanguageModelV4StreamPart> {
  const content = chunk.message?.content ?? "";
  if (content !== "") {
    if (!state.textStarted) {
      state.textStarted = true;
      yield { type: "text-start", id: "text" };
    }
    yield { type: "text-delta", id: "text", delta: content };
  }
  for (const call of chunk.message?.tool_calls ?? []) {
    const id = `call_${state.toolCalls++}`;
    const toolName = call.function?.name ?? "";
    const input = JSON.stringify(call.function?.arguments ?? {});
    yield { type: "tool-input-start", id, toolName };
    yield { type: "tool-input-delta", id, delta: input };
    yield { type: "tool-input-end", id };
    yield { type: "tool-call", toolCallId: id, toolName, input };
  }
}

/** Splits the body into lines and parses each; the last line may come without a newline. */
async function* linesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<OllamaChunk> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (value) buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== "") yield JSON.parse(line) as OllamaChunk;
        newline = buffered.indexOf("\n");
      }
      if (done) break;
    }
    if (buffered.trim() !== "") yield JSON.parse(buffered) as OllamaChunk;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function* streamParts(
  response: Response,
  warnings: LanguageModelV4GenerateResult["warnings"],
): AsyncGenerator<LanguageModelV4StreamPart> {
  yield { type: "stream-start", warnings };
  const state = { toolCalls: 0, textStarted: false };
  let first = true;
  for await (const chunk of linesOf(response.body ?? new ReadableStream())) {
    if (typeof chunk.error === "string") throw streamError(chunk.error);
    if (first && chunk.model !== undefined) yield { type: "response-metadata", modelId: chunk.model };
    first = false;
    yield* partsOf(chunk, state);
    if (chunk.done === true) {
      if (state.textStarted) yield { type: "text-end", id: "text" };
      yield { type: "finish", finishReason: finishReasonOf(chunk, state.toolCalls > 0), usage: usageOf(chunk) };
      // The reply is complete at `done`; a connection that lingers after it must not hold the step.
      return;
    }
  }
  // The body ended before `done`: no finish part, so the reader treats the reply as cut off.
}

/** A ReadableStream of the generator's parts; an exception becomes an `error` part. */
function toReadable(parts: AsyncGenerator<LanguageModelV4StreamPart>): ReadableStream<LanguageModelV4StreamPart> {
  return new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await parts.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.enqueue({ type: "error", error });
        controller.close();
      }
    },
    async cancel() {
      await parts.return(undefined);
    },
  });
}

/**
 * An AI SDK language model for one Ollama model through `/api/chat`.
 *
 * @example
 * const chat = ollamaChatModel("llama3.2", { host: "http://127.0.0.1:11434" });
 * const model = fromLanguageModel(chat, { id: "ollama:llama3.2", defaultMode: "json" });
 */
export function ollamaChatModel(modelId: string, settings: OllamaChatSettings): LanguageModelV4 {
  return {
    specificationVersion: "v4",
    provider: "ollama.chat",
    modelId,
    supportedUrls: {},
    async doStream(call) {
      const body = requestBody(modelId, call, true);
      const response = await post(settings, body, call);
      return { stream: toReadable(streamParts(response, [])), request: { body } };
    },
    async doGenerate(call) {
      const body = requestBody(modelId, call, false);
      const response = await post(settings, body, call);
      const chunk = (await response.json()) as OllamaChunk;
      if (typeof chunk.error === "string") throw streamError(chunk.error);
      const state = { toolCalls: 0, textStarted: false };
      const content: LanguageModelV4Content[] = [];
      let text = "";
      for (const part of partsOf(chunk, state)) {
        if (part.type === "text-delta") text += part.delta;
        if (part.type === "tool-call") content.push(part);
      }
      if (text !== "") content.unshift({ type: "text", text });
      return {
        content,
        finishReason: finishReasonOf(chunk, state.toolCalls > 0),
        usage: usageOf(chunk),
        warnings: [],
        request: { body },
        ...(chunk.model === undefined ? {} : { response: { modelId: chunk.model } }),
      };
    },
  };
}
