/**
 * Factories for the hosted providers and OpenAI-compatible servers, built on the AI SDK provider
 * packages. Keys and base URLs come from the usual environment variables unless given in code, and
 * every factory takes a `fetch` (tests, proxies, record/replay).
 *
 * The provider packages are optional peers: each is imported on the model's first call, so a project
 * installs only the ones it uses and none of them slows down start-up. Settings are checked at once
 * (a missing key throws from the factory); a missing package fails the first call with the
 * `npm i` to run.
 */
import { ConfigurationError } from "agentfold";
import type { Model, OutputMode } from "agentfold";
import { fromLanguageModel, type AiSdkModelOptions } from "./ai-sdk-model.ts";
import { deferredModel, importPeer } from "./deferred-model.ts";

export type FetchFunction = typeof globalThis.fetch;

/** Settings every provider factory accepts, on top of the adapter options. */
export interface ProviderSettings extends AiSdkModelOptions {
  apiKey?: string;
  baseURL?: string;
  fetch?: FetchFunction;
  /** Where environment variables are read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

function environment(settings: ProviderSettings): Record<string, string | undefined> {
  return settings.env ?? process.env;
}

function requireKey(settings: ProviderSettings, variable: string, provider: string): string {
  const key = settings.apiKey ?? environment(settings)[variable];
  if (!key) {
    throw new ConfigurationError(`No API key for ${provider}: set ${variable} in the environment or pass { apiKey } in code.`);
  }
  return key;
}

/** The adapter's options; the id and mode are known before the provider package is imported. */
function adapterOptions(
  settings: ProviderSettings,
  id: string,
  defaultMode: OutputMode,
): AiSdkModelOptions & { id: string; defaultMode: OutputMode } {
  const { apiKey: _apiKey, baseURL: _baseURL, fetch: _fetch, env: _env, ...rest } = settings;
  return { ...rest, id: settings.id ?? id, defaultMode: settings.defaultMode ?? defaultMode };
}

function withFetch<T extends object>(base: T, fetch: FetchFunction | undefined): T & { fetch?: FetchFunction } {
  return fetch ? { ...base, fetch } : base;
}

/**
 * An OpenAI model through the Chat Completions API. Key from `OPENAI_API_KEY`, base URL from
 * `OPENAI_BASE_URL` (default https://api.openai.com/v1). Default mode: `tools`.
 *
 * Structured output is sent with `strict: false`: strict mode rejects schemas with optional
 * properties, and the core validates every reply anyway.
 *
 * @example
 * const model = openaiModel("gpt-4o-mini", { apiKey: process.env.OPENAI_API_KEY });
 */
export function openaiModel(modelId: string, settings: ProviderSettings = {}): Model {
  const env = environment(settings);
  const baseURL = settings.baseURL ?? env.OPENAI_BASE_URL;
  const providerSettings = withFetch(
    { apiKey: requireKey(settings, "OPENAI_API_KEY", "OpenAI"), ...(baseURL ? { baseURL } : {}) },
    settings.fetch,
  );
  const options = adapterOptions(settings, `openai:${modelId}`, "tools");
  options.providerOptions = { ...options.providerOptions, openai: { strictJsonSchema: false, ...options.providerOptions?.openai } };
  return deferredModel(options.id, options.defaultMode, async () => {
    const { createOpenAI } = await importPeer("@ai-sdk/openai", options.id, () => import("@ai-sdk/openai"));
    return fromLanguageModel(createOpenAI(providerSettings).chat(modelId), options);
  });
}

/**
 * An Anthropic model through the Messages API. Key from `ANTHROPIC_API_KEY`, base URL from
 * `ANTHROPIC_BASE_URL`. Default mode: `tools`.
 *
 * @example
 * const model = anthropicModel("claude-sonnet-4-5");
 */
export function anthropicModel(modelId: string, settings: ProviderSettings = {}): Model {
  const env = environment(settings);
  const baseURL = settings.baseURL ?? env.ANTHROPIC_BASE_URL;
  const providerSettings = withFetch(
    { apiKey: requireKey(settings, "ANTHROPIC_API_KEY", "Anthropic"), ...(baseURL ? { baseURL } : {}) },
    settings.fetch,
  );
  const options = adapterOptions(settings, `anthropic:${modelId}`, "tools");
  return deferredModel(options.id, options.defaultMode, async () => {
    const { createAnthropic } = await importPeer("@ai-sdk/anthropic", options.id, () => import("@ai-sdk/anthropic"));
    return fromLanguageModel(createAnthropic(providerSettings).languageModel(modelId), options);
  });
}

/**
 * A Google Gemini model through the Generative Language API. Key from
 * `GOOGLE_GENERATIVE_AI_API_KEY`. Default mode: `tools`.
 *
 * @example
 * const model = googleModel("gemini-2.5-flash");
 */
export function googleModel(modelId: string, settings: ProviderSettings = {}): Model {
  const env = environment(settings);
  const baseURL = settings.baseURL ?? env.GOOGLE_GENERATIVE_AI_BASE_URL;
  const providerSettings = withFetch(
    { apiKey: requireKey(settings, "GOOGLE_GENERATIVE_AI_API_KEY", "Google"), ...(baseURL ? { baseURL } : {}) },
    settings.fetch,
  );
  // Gemini's response schema accepts a union at the root, so the next step is not wrapped.
  const options = adapterOptions(settings, `google:${modelId}`, "tools");
  return deferredModel(options.id, options.defaultMode, async () => {
    const { createGoogle } = await importPeer("@ai-sdk/google", options.id, () => import("@ai-sdk/google"));
    return fromLanguageModel(createGoogle(providerSettings).languageModel(modelId), { wrapJsonSchema: false, ...options });
  });
}

export interface CompatibleSettings extends ProviderSettings {
  /** Name shown in ids and metadata. Default `openai-compatible`. */
  name?: string;
  /** Whether the server accepts `response_format: json_schema`. Default true (vLLM, Ollama, LM Studio, llama.cpp do). */
  supportsStructuredOutputs?: boolean;
}

/**
 * Any server that speaks the OpenAI Chat Completions API: vLLM, LM Studio, llama.cpp's server,
 * OpenRouter, Together… The key is optional (many local servers need none). Default mode: `json`,
 * which every one of them supports; pick `tools` if the served model calls tools well.
 *
 * @example
 * const model = openaiCompatibleModel("http://127.0.0.1:8000/v1", "qwen2.5-7b-instruct");
 */
export function openaiCompatibleModel(baseURL: string, modelId: string, settings: CompatibleSettings = {}): Model {
  if (!/^https?:\/\//.test(baseURL)) {
    throw new ConfigurationError(
      `The base URL "${baseURL}" must start with http:// or https://, e.g. openai-compatible:http://127.0.0.1:8000/v1#my-model.`,
    );
  }
  const name = settings.name ?? "openai-compatible";
  const providerSettings = withFetch(
    {
      name,
      baseURL: baseURL.replace(/\/+$/, ""),
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      includeUsage: true,
      supportsStructuredOutputs: settings.supportsStructuredOutputs ?? true,
    },
    settings.fetch,
  );
  const { name: _name, supportsStructuredOutputs: _structured, ...rest } = settings;
  const options = adapterOptions(rest, `openai-compatible:${baseURL}#${modelId}`, "json");
  return deferredModel(options.id, options.defaultMode, async () => {
    const { createOpenAICompatible } = await importPeer("@ai-sdk/openai-compatible", options.id, () => import("@ai-sdk/openai-compatible"));
    return fromLanguageModel(createOpenAICompatible(providerSettings).chatModel(modelId), options);
  });
}
