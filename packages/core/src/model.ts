/**
 * The `Model` interface: the one boundary between agentfold's core and any language model.
 *
 * The core renders the thread into messages, builds the JSON Schema of the next step and calls
 * `generate`. A model returns the raw reply; the core parses and validates it (tolerantly), so an
 * adapter never needs to know about intents beyond passing the schema along.
 */

/** A chat message as the model receives it. The prompt function owns roles and content. */
export interface ModelMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A JSON Schema object (draft 2020-12 as produced by `z.toJSONSchema`). */
export type JsonSchema = Record<string, unknown>;

/** One intent the model may choose: what native tool calling turns into one tool. */
export interface IntentSpec {
  intent: string;
  description: string;
  /** JSON Schema of the arguments object (without the `intent` key). */
  parameters: JsonSchema;
}

/**
 * How the model is asked for the next step.
 * - `tools`: native tool calling, one tool per intent, tool choice required, parallel calls allowed.
 * - `json`: JSON-schema structured output of the next-step union.
 * - `prompt`: the schema is described in the prompt and the reply parsed tolerantly.
 */
export type OutputMode = "tools" | "json" | "prompt";

export interface ModelRequest {
  messages: readonly ModelMessage[];
  /** The next-step schema: a union over intents, each `{ intent: const, ...args }`. */
  schema: JsonSchema;
  /** The same intents one by one, for native tool calling. */
  intents: readonly IntentSpec[];
  mode: OutputMode;
  /** The thread this call decides for, and how many model calls that thread made before this one. */
  threadId: string;
  turn: number;
  signal?: AbortSignal;
  /** Milliseconds before the call is abandoned with a timeout error. */
  timeoutMs?: number;
  /**
   * Told about each failed attempt that will be tried again, before the wait: the step records it
   * on the thread. An adapter that retries calls it; one that does not may ignore it.
   */
  onRetry?: (retry: ModelRetry) => void;
  /**
   * Told about each piece of the reply as it arrives, when the adapter streams: partial text and
   * partial tool arguments, for people watching. Deltas are never stored and never parsed; the reply
   * `generate` resolves with is the one that counts. An adapter that does not stream may ignore it.
   */
  onDelta?: (delta: ModelDelta) => void;
  /**
   * Told about something a person should know before the request goes out, such as a prompt longer
   * than the model's known context window: the step records it as a `model_warning` event. The call
   * goes on; an adapter that knows of nothing to warn about ignores it.
   */
  onWarning?: (warning: ModelWarning) => void;
}

/**
 * A warning about a model call. `context_window_exceeded`: the prompt has `promptTokens` tokens
 * (counted with the core's tokenizer, an estimate for other tokenizers), more than the model's
 * `contextWindow`, so the provider will cut it.
 */
export interface ModelWarning {
  kind: "context_window_exceeded";
  message: string;
  promptTokens?: number;
  contextWindow?: number;
}

/**
 * A piece of a reply as it streams. `attempt` counts the adapter's attempts from 1: when it grows,
 * what the earlier attempt streamed is void (a retry writes the reply again from the start).
 * Concatenating one attempt's `text` deltas gives its text; concatenating the `argsText` deltas of
 * one `index` gives that tool call's arguments as JSON text.
 */
export type ModelDelta = (
  | { type: "text"; attempt: number; text: string }
  | {
      type: "tool_call";
      attempt: number;
      /** The call's position in the reply, from 0. */
      index: number;
      toolName: string;
      /** The next piece of the arguments' JSON text (empty on the delta that names the call). */
      argsText: string;
    }
) & {
  /**
   * Set when the piece is shown to the watchers of an ancestor thread: the child agent's thread
   * (`asTool`) whose model wrote it. A model never sets it.
   */
  childThreadId?: string;
};

/** One failed attempt of a model call that is tried again after `waitMs`. */
export interface ModelRetry {
  /** The attempt that failed, 1 for the first. */
  attempt: number;
  /** The provider's HTTP status, when it answered. */
  status?: number;
  waitMs: number;
  message: string;
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  /** In the currency of the price table the adapter was given (usually USD). */
  cost?: number;
}

/** Why a model stopped writing, in the AI SDK's unified terms. */
export type FinishReason = "stop" | "length" | "tool-calls" | "content-filter" | "error" | "interrupted" | "other";

export interface ModelReply {
  /**
   * The raw next step: a string (text as the model wrote it), one object `{ intent, ...args }`,
   * or an array of such objects (several calls in one reply). The core parses and validates it.
   */
  output: unknown;
  usage?: ModelUsage;
  /**
   * Why the model stopped, when the adapter knows. `length` (the output-token limit: OpenAI's
   * `length`, Anthropic's `max_tokens`) and `interrupted` mean the output may be incomplete: the
   * core never runs such a reply, however well it parses, and records an error the model can read.
   */
  finishReason?: FinishReason;
  /** The model that actually answered, e.g. after a fallback: `openai:gpt-4o-mini`. */
  modelId?: string;
  metadata?: Record<string, unknown>;
}

/**
 * A language model as agentfold sees it. Versioned so adapters can be checked for compatibility.
 *
 * @example
 * const echo: Model = {
 *   specificationVersion: "v1",
 *   id: "echo",
 *   async generate() { return { output: { intent: "done_for_now", message: "hi" } }; },
 * };
 */
export interface Model {
  readonly specificationVersion: "v1";
  /** A model spec string such as `openai:gpt-4o` or `script:calc.json`. */
  readonly id: string;
  /** Preferred output mode when the agent does not choose one. */
  readonly defaultMode?: OutputMode;
  generate(request: ModelRequest): Promise<ModelReply>;
}
