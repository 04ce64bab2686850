/**
 * An embedded model that runs in this process through node-llama-cpp (an optional dependency,
 * imported on first use). The next-step JSON Schema becomes a grammar, so every reply the model
 * finishes is JSON the schema's shape allows.
 */
import { access } from "node:fs/promises";
import { cpus } from "node:os";
import { ConfigurationError, ModelCallError } from "agentfold";
import type { Model, ModelMessage, ModelReply, ModelRequest } from "agentfold";
import { jsonSchemaToGrammar, type GrammarLimits } from "./json-schema-grammar.ts";

type NodeLlamaCpp = typeof import("node-llama-cpp");
type Llama = import("node-llama-cpp").Llama;
type LlamaModel = import("node-llama-cpp").LlamaModel;
type LlamaContext = import("node-llama-cpp").LlamaContext;
type LlamaGrammar = import("node-llama-cpp").LlamaGrammar;
type ChatHistoryItem = import("node-llama-cpp").ChatHistoryItem;

export interface LocalModelSettings {
  /** Path of a GGUF file. */
  modelPath: string;
  /** The spec string this model is known by. Default `local:<modelPath>`. */
  id?: string;
  /** Tokens of context. Default 4096. */
  contextSize?: number;
  /** CPU threads. Default: all cores but one (at least one), leaving one to the event loop. */
  threads?: number;
  /** Most tokens one reply may use; a reply cut short is passed on as text. Default 1024. */
  maxTokens?: number;
  /** Sampling temperature. Default 0 (greedy), which suits choosing a next step. */
  temperature?: number;
  /** GPU use as node-llama-cpp names it. Default "auto". */
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
  /** Bounds for strings, arrays and whitespace when the schema gives none. */
  grammarLimits?: Partial<GrammarLimits>;
  /** How node-llama-cpp is loaded; tests and bundlers may replace it. */
  // Typed loosely on purpose: node-llama-cpp is optional, and a published declaration that names its
  // types would not type-check in a project that does not install it.
  importLlama?: () => Promise<unknown>;
}

/** A local model: a `Model` plus explicit loading and freeing of the weights. */
export interface LocalModel extends Model {
  /** Loads the weights now instead of on the first call. Returns the milliseconds it took. */
  load(): Promise<number>;
  /** Frees the weights and the context. The model loads again if called after. */
  dispose(): Promise<void>;
}

const installHint = "npm install node-llama-cpp";

async function importNodeLlamaCpp(loader: () => Promise<unknown>): Promise<NodeLlamaCpp> {
  try {
    return (await loader()) as NodeLlamaCpp;
  } catch (error) {
    throw new ConfigurationError(
      `Local models need the optional package node-llama-cpp, which is not installed. Run \`${installHint}\`, or choose a hosted model (e.g. openai:gpt-4o-mini).`,
      { cause: error },
    );
  }
}

function toHistory(messages: readonly ModelMessage[]): { history: ChatHistoryItem[]; prompt: string } {
  const last = messages.at(-1);
  const earlier = last?.role === "user" ? messages.slice(0, -1) : messages;
  const history: ChatHistoryItem[] = earlier.map((message) => {
    if (message.role === "system") return { type: "system", text: message.content };
    if (message.role === "user") return { type: "user", text: message.content };
    return { type: "model", response: [message.content] };
  });
  return { history, prompt: last?.role === "user" ? last.content : "" };
}

interface Loaded {
  llama: Llama;
  module: NodeLlamaCpp;
  model: LlamaModel;
  context: LlamaContext;
}

/**
 * A GGUF model run in process, its replies constrained by the next-step schema as a grammar.
 *
 * @example
 * const model = localModel({ modelPath: "./models/qwen2.5-0.5b-instruct-q4_k_m.gguf" });
 * const reply = await model.generate(request); // reply.output is JSON text matching request.schema
 */
export function localModel(settings: LocalModelSettings): LocalModel {
  const id = settings.id ?? `local:${settings.modelPath}`;
  const grammars = new Map<string, LlamaGrammar>();
  let loading: Promise<Loaded> | undefined;
  // One context sequence, so calls take turns; a queue keeps them in order.
  let queue: Promise<unknown> = Promise.resolve();

  async function loadNow(): Promise<Loaded> {
    try {
      await access(settings.modelPath);
    } catch {
      throw new ConfigurationError(
        `The local model file ${settings.modelPath} does not exist. Give the path of a .gguf file (local:/path/model.gguf), or local:hf:<owner>/<repo>/<file>.gguf to download one.`,
      );
    }
    const module = await importNodeLlamaCpp(settings.importLlama ?? (() => import("node-llama-cpp")));
    const llama = await module.getLlama({
      gpu: settings.gpu ?? "auto",
      // Never compile llama.cpp at run time: use the prebuilt binary the package ships.
      build: "never",
      progressLogs: false,
      logLevel: module.LlamaLogLevel.error,
    });
    const model = await llama.loadModel({ modelPath: settings.modelPath });
    const threads = settings.threads ?? Math.max(1, cpus().length - 1);
    const context = await model.createContext({ contextSize: settings.contextSize ?? 4096, threads, sequences: 1 });
    return { llama, module, model, context };
  }

  function ensureLoaded(): Promise<Loaded> {
    loading ??= loadNow().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  }

  function grammarFor(loaded: Loaded, request: ModelRequest): LlamaGrammar {
    const key = JSON.stringify(request.schema);
    let grammar = grammars.get(key);
    if (!grammar) {
      grammar = new loaded.module.LlamaGrammar(loaded.llama, { grammar: jsonSchemaToGrammar(request.schema, settings.grammarLimits) });
      if (grammars.size > 32) grammars.clear();
      grammars.set(key, grammar);
    }
    return grammar;
  }

  async function run(request: ModelRequest): Promise<ModelReply> {
    const signals = [request.signal, request.timeoutMs ? AbortSignal.timeout(request.timeoutMs) : undefined].filter(
      (signal): signal is AbortSignal => signal !== undefined,
    );
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    // Checked before loading too: an aborted call must not wait for (or start) a model load.
    if (signal?.aborted) throw stopped(request, id);
    const loaded = await ensureLoaded();
    if (signal?.aborted) throw stopped(request, id);
    const sequence = loaded.context.getSequence();
    const session = new loaded.module.LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
    const before = sequence.tokenMeter.getState();
    try {
      const { history, prompt } = toHistory(request.messages);
      session.setChatHistory(history);
      const result = await session.promptWithMeta(prompt, {
        grammar: grammarFor(loaded, request),
        maxTokens: settings.maxTokens ?? 1024,
        temperature: settings.temperature ?? 0,
        ...(signal ? { signal } : {}),
        // Text as it is sampled; the reply below is still the whole response, parsed by the core.
        ...(request.onDelta ? { onTextChunk: (text: string) => request.onDelta?.({ type: "text", attempt: 1, text }) } : {}),
      });
      const after = sequence.tokenMeter.getState();
      return {
        output: result.responseText,
        usage: {
          inputTokens: after.usedInputTokens - before.usedInputTokens,
          outputTokens: after.usedOutputTokens - before.usedOutputTokens,
        },
        finishReason: result.stopReason === "maxTokens" ? "length" : "stop",
        modelId: id,
        metadata: { provider: "node-llama-cpp" },
      };
    } catch (error) {
      if (signal?.aborted) throw stopped(request, id);
      if (error instanceof ConfigurationError) throw error;
      throw new ModelCallError(`Local model ${id} failed: ${error instanceof Error ? error.message : String(error)}`, {
        retryable: false,
        cause: error,
      });
    } finally {
      session.dispose({ disposeSequence: false });
      await sequence.clearHistory();
      sequence.dispose();
    }
  }

  return {
    specificationVersion: "v1",
    id,
    defaultMode: "json",
    generate(request) {
      const result = queue.then(() => run(request));
      queue = result.catch(() => undefined);
      return result;
    },
    async load() {
      const started = performance.now();
      await ensureLoaded();
      return performance.now() - started;
    },
    async dispose() {
      const current = loading;
      loading = undefined;
      grammars.clear();
      if (!current) return;
      const loaded = await current.catch(() => undefined);
      await loaded?.context.dispose();
      await loaded?.model.dispose();
    },
  };
}

function stopped(request: ModelRequest, id: string): ModelCallError {
  const timedOut = !request.signal?.aborted;
  return new ModelCallError(
    timedOut ? `Local model ${id} gave no answer within the ${request.timeoutMs} ms timeout.` : `Call to model ${id} was aborted.`,
    { retryable: timedOut },
  );
}
