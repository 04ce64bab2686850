/**
 * `ollama:<model>`: Ollama's native `/api/chat` (ollama-chat.ts) with the context sized to each
 * prompt. Ollama loads a model with a fixed context (`num_ctx`, a few thousand tokens by default)
 * and cuts a longer prompt without an error, so every request says how much it needs: the rendered
 * prompt's tokens, counted with the core's tokenizer, plus room for the reply, rounded up to a power
 * of two and capped at the model's window. See docs/decisions/2026-11-30-ollama-native-chat.md.
 */
import { ConfigurationError, countTokens } from "agentfold";
import type { Model, ModelReply, ModelRequest } from "agentfold";
import { fromLanguageModel } from "./ai-sdk-model.ts";
import { ollamaChatModel } from "./ollama-chat.ts";
import type { ProviderSettings } from "./providers.ts";

export interface OllamaSettings extends ProviderSettings {
  /**
   * The model's context window in tokens. Default: asked from the server once (`/api/show`, the
   * model's `<architecture>.context_length`); unknown when it does not say, and then not capped.
   */
  contextWindow?: number;
  /** Tokens kept free for the reply. Default `maxOutputTokens`, else 2048. */
  replyTokens?: number;
  /** The smallest context ever asked for. Default 4096 (Ollama's own default on small machines). */
  minContextTokens?: number;
}

const DEFAULT_REPLY_TOKENS = 2048;
const DEFAULT_MIN_CONTEXT = 4096;
/**
 * The core counts with OpenAI's o200k encoding; the tokenizers of open-weight models (Llama, Qwen,
 * Gemma) make up to about a fifth more tokens of the same text, so the count is raised by that much.
 */
const TOKENIZER_MARGIN = 1.2;
/** Each message's role markers in the chat template, roughly, on top of its text. */
const TOKENS_PER_MESSAGE = 8;

/**
 * Tokens the request takes in the model's context: the messages and, as Ollama puts them in the
 * prompt, the tool definitions (tools mode) or nothing extra (the JSON format constrains decoding).
 *
 * @example
 * promptTokens(request); // 812
 */
export function promptTokens(request: ModelRequest): number {
  let tokens = 0;
  for (const message of request.messages) tokens += countTokens(message.content) + TOKENS_PER_MESSAGE;
  if (request.mode === "tools") tokens += countTokens(JSON.stringify(request.intents));
  return tokens;
}

/**
 * The `num_ctx` to ask for: room for `needed` tokens (already with the margin), a power of two, at
 * least `minimum` and `floor` (what this model asked for before), at most `window` when known.
 * Powers of two because Ollama reloads the model whenever `num_ctx` changes: a thread that grows
 * crosses a step rarely, and never comes back down while the process runs.
 *
 * @example
 * contextSize(5000, { minimum: 4096, floor: 0, window: 131072 }); // 8192
 */
export function contextSize(needed: number, limits: { minimum: number; floor: number; window: number | undefined }): number {
  let size = Math.max(limits.minimum, limits.floor);
  while (size < needed) size *= 2;
  return limits.window === undefined ? size : Math.min(size, limits.window);
}

/** The model's window from `/api/show`, or undefined when the server does not say. */
async function showContextWindow(
  host: string,
  modelId: string,
  fetch: typeof globalThis.fetch,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const init: RequestInit = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: modelId }) };
  if (signal) init.signal = signal;
  const response = await fetch(`${host}/api/show`, init);
  // A missing model is for /api/chat to report (with its 404 and Ollama's message), not this lookup.
  if (!response.ok) return undefined;
  const body = (await response.json()) as { model_info?: Record<string, unknown> };
  const info = body.model_info ?? {};
  const architecture = info["general.architecture"];
  const window = typeof architecture === "string" ? info[`${architecture}.context_length`] : undefined;
  return typeof window === "number" && window > 0 ? window : undefined;
}

function hostFrom(settings: OllamaSettings): string {
  const env = settings.env ?? process.env;
  let host = settings.baseURL ?? env.OLLAMA_HOST ?? "http://127.0.0.1:11434";
  if (!/^https?:\/\//.test(host)) host = `http://${host}`;
  // Accepted for settings written for the OpenAI-compatible endpoint, which lives under /v1.
  return host.replace(/\/+$/, "").replace(/\/(v1|api)$/, "");
}

function checkPositive(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new ConfigurationError(`ollamaModel: ${name} must be a positive whole number of tokens, got ${String(value)}.`);
  }
}

/**
 * A model served by Ollama, through its native chat API with the context sized to each prompt. Host
 * from `OLLAMA_HOST` (default http://127.0.0.1:11434). Default mode: `json` (the schema goes as
 * Ollama's `format`, which constrains decoding). A prompt longer than the model's known window is
 * still sent (Ollama cuts it) and reported to `request.onWarning`: a `model_warning` event.
 *
 * @example
 * const model = ollamaModel("llama3.2", { contextWindow: 131072 });
 */
export function ollamaModel(modelId: string, settings: OllamaSettings = {}): Model {
  checkPositive(settings.contextWindow, "contextWindow");
  checkPositive(settings.replyTokens, "replyTokens");
  checkPositive(settings.minContextTokens, "minContextTokens");
  const host = hostFrom(settings);
  const fetch = settings.fetch ?? globalThis.fetch;
  const { contextWindow, replyTokens, minContextTokens, apiKey, baseURL: _baseURL, fetch: _fetch, env: _env, ...adapter } = settings;
  const id = settings.id ?? `ollama:${modelId}`;
  const chat = ollamaChatModel(modelId, { host, fetch, ...(apiKey ? { apiKey } : {}) });
  const reply = replyTokens ?? settings.maxOutputTokens ?? DEFAULT_REPLY_TOKENS;
  let window: Promise<number | undefined> | undefined;
  let floor = 0;
  const knownWindow = (signal?: AbortSignal): Promise<number | undefined> => {
    if (contextWindow !== undefined) return Promise.resolve(contextWindow);
    // Asked once; a failed lookup (the server was down) is asked again on the next call.
    window ??= showContextWindow(host, modelId, fetch, signal).catch(() => {
      window = undefined;
      return undefined;
    });
    return window;
  };
  return {
    specificationVersion: "v1",
    id,
    defaultMode: settings.defaultMode ?? "json",
    async generate(request: ModelRequest): Promise<ModelReply> {
      const limit = await knownWindow(request.signal);
      const counted = promptTokens(request);
      if (limit !== undefined && counted > limit) {
        request.onWarning?.({
          kind: "context_window_exceeded",
          message: `The prompt has about ${counted} tokens, more than ${id}'s context window of ${limit}: Ollama will cut its beginning. Render less context (a token budget, compaction) or use a model with a larger window.`,
          promptTokens: counted,
          contextWindow: limit,
        });
      }
      const numCtx = contextSize(Math.ceil(counted * TOKENIZER_MARGIN) + reply, {
        minimum: minContextTokens ?? DEFAULT_MIN_CONTEXT,
        floor,
        window: limit,
      });
      floor = Math.max(floor, numCtx);
      const given = adapter.providerOptions?.ollama as { options?: Record<string, unknown> } | undefined;
      const providerOptions = {
        ...adapter.providerOptions,
        ollama: { ...given, options: { num_ctx: numCtx, ...given?.options } },
      } as NonNullable<OllamaSettings["providerOptions"]>;
      const model = fromLanguageModel(chat, { ...adapter, id, defaultMode: settings.defaultMode ?? "json", providerOptions });
      return model.generate(request);
    },
  };
}
