/**
 * `@agentfold/models`: model adapters for agentfold.
 *
 * @example
 * import { resolveModel } from "@agentfold/models";
 * const model = resolveModel(process.env.AGENTFOLD_MODEL ?? "openai:gpt-4o-mini");
 */

// Spec strings
export {
  resolveModel,
  specPrefixes,
  defaultLocalModel,
  noModelMessage,
  type ResolveModelOptions,
} from "./resolve-model.ts";

// Hosted providers and OpenAI-compatible servers (through the AI SDK)
export {
  openaiModel,
  anthropicModel,
  googleModel,
  openaiCompatibleModel,
  type ProviderSettings,
  type CompatibleSettings,
  type FetchFunction,
} from "./providers.ts";
// Ollama through its native chat API, the context sized to each prompt
export { ollamaModel, type OllamaSettings } from "./ollama-model.ts";
export { fromLanguageModel, costOf, type AiSdkModelOptions, type ModelPrice } from "./ai-sdk-model.ts";

// Embedded local models (node-llama-cpp, optional)
export { localModel, type LocalModel, type LocalModelSettings } from "./local-model.ts";
export { jsonSchemaToGrammar, type GrammarLimits } from "./json-schema-grammar.ts";
export { ensureModelFile, modelCacheDir, parseHubPath, type DownloadOptions, type DownloadSource } from "./model-download.ts";

// Resilience
export { withFallbacks } from "./fallback.ts";
export {
  withRetries,
  classifyFailure,
  retryAfterMs,
  backoffDelay,
  defaultRetryPolicy,
  type RetryPolicy,
  type FailureInfo,
} from "./retry.ts";

// Record and replay
export {
  recordingFetch,
  replayingFetch,
  readCassette,
  type Cassette,
  type CassetteExchange,
  type ReplayOptions,
} from "./cassette.ts";
