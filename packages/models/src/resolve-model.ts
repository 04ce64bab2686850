/**
 * Model spec strings to models: `openai:<model>`, `anthropic:<model>`, `google:<model>`,
 * `ollama:<model>`, `openai-compatible:<baseURL>#<model>`, `local:<path.gguf>`,
 * `local:hf:<owner>/<repo>/<file>.gguf`, `record:<spec>`, `replay:<cassette.json>`, `script:<path.json>`.
 */
import { ConfigurationError } from "agentfold";
import type { Model, OutputMode } from "agentfold";
import { scriptedModelFromFile } from "agentfold/runtime";
import type { ModelPrice } from "./ai-sdk-model.ts";
import { readCassette, recordingFetch, replayingFetch, type Cassette, type ReplayOptions } from "./cassette.ts";
import { deferredModel } from "./deferred-model.ts";
import { withFallbacks } from "./fallback.ts";
import { localModel, type LocalModelSettings } from "./local-model.ts";
import { ensureModelFile, parseHubPath, type DownloadOptions, type DownloadSource } from "./model-download.ts";
import { anthropicModel, googleModel, openaiCompatibleModel, openaiModel, type FetchFunction, type ProviderSettings } from "./providers.ts";
import { ollamaModel } from "./ollama-model.ts";
import type { RetryPolicy } from "./retry.ts";
import { suggestSpec } from "./spec-suggestion.ts";

export const specPrefixes = [
  "openai",
  "anthropic",
  "google",
  "ollama",
  "openai-compatible",
  "local",
  "record",
  "replay",
  "script",
] as const;

/** The small model used when nothing else is configured (about 490 MB, runs on a laptop CPU). */
export const defaultLocalModel: DownloadSource = {
  repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
  file: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
};

/** Models chosen when only an API key is set. */
const keyDefaults: Array<[variable: string, spec: string]> = [
  ["OPENAI_API_KEY", "openai:gpt-4o-mini"],
  ["ANTHROPIC_API_KEY", "anthropic:claude-haiku-4-5"],
  ["GOOGLE_GENERATIVE_AI_API_KEY", "google:gemini-2.5-flash"],
];

export const noModelMessage =
  "No model is configured and the default local model cannot be downloaded (no network?). Give agentfold a model in one of three ways: " +
  "(1) an API key: set OPENAI_API_KEY, ANTHROPIC_API_KEY or GOOGLE_GENERATIVE_AI_API_KEY; " +
  "(2) an OpenAI-compatible server: --model openai-compatible:http://127.0.0.1:8000/v1#<model> (or AGENTFOLD_MODEL); " +
  "(3) a local GGUF file: --model local:/path/to/model.gguf.";

export interface ResolveModelOptions {
  /** Where environment variables are read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The `fetch` every HTTP adapter uses. */
  fetch?: FetchFunction;
  /** Cassette file for `record:` specs. Default `AGENTFOLD_CASSETTE`, else `cassettes/<spec>.json`. */
  cassette?: string;
  /**
   * How `replay:` matches requests to recorded exchanges. `strict` (default) fails on a request that
   * was not recorded; `loose` serves the next unused exchange instead. See `replayingFetch`.
   */
  replayMatch?: ReplayOptions["match"];
  /** Specs tried in order when the main model fails for good. */
  fallbacks?: readonly string[];
  /** Prices by spec, for usage cost. */
  prices?: Record<string, ModelPrice>;
  retry?: Partial<RetryPolicy>;
  defaultMode?: OutputMode;
  /** Whether HTTP models stream their replies (default true); `replay:` of a cassette recorded without streaming turns it off. */
  stream?: boolean;
  /** Settings for `local:` models (threads, context size, grammar limits…). */
  local?: Omit<LocalModelSettings, "modelPath" | "id">;
  /** Settings for downloads of `local:hf:` files and of the default local model. */
  download?: Omit<DownloadOptions, "fetch" | "env">;
}

/** Whether a cassette's successful replies are streams (SSE, or Ollama's NDJSON), recorded from a streaming call. */
function cassetteStreams(cassette: Cassette): boolean {
  const answered = cassette.exchanges.filter((exchange) => exchange.response.status === 200);
  if (answered.length === 0) return true;
  return answered.some((exchange) =>
    Object.entries(exchange.response.headers).some(
      ([key, value]) =>
        key.toLowerCase() === "content-type" && (value.includes("text/event-stream") || value.includes("application/x-ndjson")),
    ),
  );
}

function slug(text: string): string {
  return text.replace(/[^a-zA-Z0-9._-]+/g, "_").replace(/^_+|_+$/g, "");
}

function providerSettings(spec: string, options: ResolveModelOptions): ProviderSettings {
  const settings: ProviderSettings = {};
  if (options.env) settings.env = options.env;
  if (options.fetch) settings.fetch = options.fetch;
  if (options.retry) settings.retry = options.retry;
  if (options.defaultMode) settings.defaultMode = options.defaultMode;
  if (options.stream !== undefined) settings.stream = options.stream;
  const price = options.prices?.[spec];
  if (price) settings.price = price;
  return settings;
}

function resolveOne(spec: string, options: ResolveModelOptions): Model {
  const env = options.env ?? process.env;
  const colon = spec.indexOf(":");
  const prefix = colon === -1 ? spec : spec.slice(0, colon);
  const rest = colon === -1 ? "" : spec.slice(colon + 1);
  if (!(specPrefixes as readonly string[]).includes(prefix) || rest === "") {
    const suggestion = suggestSpec(spec, specPrefixes);
    throw new ConfigurationError(
      `Unknown model spec "${spec}"${suggestion ? `: did you mean ${suggestion}?` : "."} Use one of: ${specPrefixes.map((name) => `${name}:`).join(", ")} — e.g. openai:gpt-4o-mini, openai-compatible:http://127.0.0.1:8000/v1#my-model, local:./model.gguf.`,
    );
  }
  const settings = providerSettings(spec, options);
  switch (prefix) {
    case "openai":
      return openaiModel(rest, settings);
    case "anthropic":
      return anthropicModel(rest, settings);
    case "google":
      return googleModel(rest, settings);
    case "ollama":
      return ollamaModel(rest, settings);
    case "openai-compatible": {
      const hash = rest.lastIndexOf("#");
      if (hash <= 0 || hash === rest.length - 1) {
        throw new ConfigurationError(
          `"${spec}" needs a base URL and a model: openai-compatible:<baseURL>#<model>, e.g. openai-compatible:http://127.0.0.1:8000/v1#qwen2.5.`,
        );
      }
      const apiKey = env.OPENAI_COMPATIBLE_API_KEY;
      return openaiCompatibleModel(rest.slice(0, hash), rest.slice(hash + 1), { ...settings, ...(apiKey ? { apiKey } : {}), id: spec });
    }
    case "local": {
      const local = { ...options.local, id: spec };
      if (!rest.startsWith("hf:")) return localModel({ ...local, modelPath: rest });
      const source = parseHubPath(rest);
      return deferredModel(spec, "json", async () =>
        localModel({ ...local, modelPath: await ensureModelFile(source, downloadOptions(options, env)) }),
      );
    }
    case "script":
      return scriptedModelFromFile(rest);
    case "record": {
      const innerPrefix = rest.slice(0, rest.indexOf(":"));
      if (!["openai", "anthropic", "google", "ollama", "openai-compatible"].includes(innerPrefix)) {
        throw new ConfigurationError(
          `record: works with HTTP models (openai, anthropic, google, ollama, openai-compatible), not "${rest}".`,
        );
      }
      const cassette = options.cassette ?? env.AGENTFOLD_CASSETTE ?? `cassettes/${slug(rest)}.json`;
      return resolveOne(rest, { ...options, fetch: recordingFetch(cassette, rest, options.fetch ?? globalThis.fetch) });
    }
    case "replay": {
      const cassette = readCassette(rest);
      // Replays never reach a provider, so any key will do.
      const replayEnv = { ...env, OPENAI_API_KEY: "replay", ANTHROPIC_API_KEY: "replay", GOOGLE_GENERATIVE_AI_API_KEY: "replay" };
      return resolveOne(cassette.spec, {
        ...options,
        // A cassette recorded before models streamed holds whole JSON replies: replay it the same way.
        stream: options.stream ?? cassetteStreams(cassette),
        env: replayEnv,
        fetch: replayingFetch(cassette, rest, options.replayMatch ? { match: options.replayMatch } : {}),
      });
    }
  }
  throw new ConfigurationError(`Unknown model spec "${spec}".`);
}

function downloadOptions(options: ResolveModelOptions, env: Record<string, string | undefined>): DownloadOptions {
  return { ...options.download, env, ...(options.fetch ? { fetch: options.fetch } : {}) };
}

/**
 * Resolves a model spec string to a `Model`. Without a spec: `AGENTFOLD_MODEL`, else the first
 * provider whose API key is set, else the default local model (downloaded once into the cache; when
 * offline, the first call fails with a message naming the three ways to give a model).
 *
 * @example
 * const model = resolveModel("openai:gpt-4o-mini", { fallbacks: ["anthropic:claude-haiku-4-5"] });
 * const replayed = resolveModel("replay:test/cassettes/calculator.json");
 */
export function resolveModel(spec?: string, options: ResolveModelOptions = {}): Model {
  const env = options.env ?? process.env;
  const chosen = spec?.trim() || env.AGENTFOLD_MODEL?.trim() || keyDefaults.find(([variable]) => env[variable])?.[1];
  let primary: Model;
  if (chosen) {
    primary = resolveOne(chosen, options);
  } else {
    const local = { ...options.local, id: `local:hf:${defaultLocalModel.repo}/${defaultLocalModel.file}` };
    primary = deferredModel(local.id, "json", async () =>
      localModel({
        ...local,
        modelPath: await ensureModelFile(defaultLocalModel, { offlineMessage: noModelMessage, ...downloadOptions(options, env) }),
      }),
    );
  }
  const fallbacks = options.fallbacks ?? [];
  if (fallbacks.length === 0) return primary;
  return withFallbacks([primary, ...fallbacks.map((fallback) => resolveOne(fallback, options))]);
}
