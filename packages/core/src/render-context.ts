/**
 * Own your context window (factor 3): events become model input. The default writes one XML-like
 * block per event, named after the event or intent, with a YAML body — dense and readable.
 *
 * Events are immutable, so each event's rendered text and token count are cached: re-rendering a
 * thread after one new event only renders and counts that event.
 */
import type { Event, EventType, JsonValue } from "./events.ts";
import type { Thread } from "./thread.ts";
import { DECISION_REFUSED } from "./access.ts";
import { ConfigurationError } from "./errors.ts";
import { redactCredentials, redactSecrets } from "./secrets.ts";
import { countTokens, countTokensInSlices } from "./tokens.ts";
import { toYaml } from "./yaml.ts";

/** What a per-event renderer may use besides the event itself. */
export interface RenderHelpers {
  /** The intent of a call id made earlier in the thread. */
  intentOf(callId: string): string | undefined;
  /** YAML of a value; `block` names the block it goes in, for redaction paths. */
  yaml(value: JsonValue, block?: string): string;
  /** A value with the redaction paths of `block` applied (for data nested under another block). */
  redact(value: JsonValue, block: string): JsonValue;
  /** Raw text made safe to put inside a block: `</` cannot close a tag. */
  text(value: string): string;
  /** `<name>\nbody\n</name>`. */
  block(name: string, body: string): string;
}

/** Renders one event; `null` hides it from the model. */
export type EventRenderer<E extends Event = Event> = (event: E, helpers: RenderHelpers) => string | null;

export interface RenderedContext {
  /** The context text, one block per visible event. */
  readonly text: string;
  /** Its token count, computed on first read from per-event counts (cached: events never change). */
  readonly tokens: number;
}

/** Replaces early events with a summary when the context is over budget; recorded as an event. */
export type Compactor = (input: {
  thread: Thread;
  /** Token count per event (0 for hidden events). */
  eventTokens: readonly number[];
  maxTokens: number;
}) => Promise<{ upTo: number; summary: string }> | { upTo: number; summary: string };

export interface ContextRenderer {
  render(thread: Thread): RenderedContext;
  /** Token budget of the context, if any. */
  readonly maxTokens: number | undefined;
  /** Per-event token counts (hidden events count 0), for compaction. */
  eventTokens(thread: Thread): number[];
  readonly compact: Compactor;
  /**
   * Optional: counts ahead what `render(thread).tokens` and `eventTokens(thread)` will need, yielding
   * to the event loop while it counts long text, so the synchronous count that follows finds it done.
   * The step calls it before planning when there is a token budget; without it, a megabyte of new
   * text is counted in one go.
   */
  prepare?(thread: Thread): Promise<void>;
}

export interface XmlContextOptions {
  /** Per-event-type renderers; for custom events use `custom:<name>`. Return `null` to hide. */
  renderers?: { [T in EventType]?: EventRenderer<Extract<Event, { type: T }>> } & {
    [custom: `custom:${string}`]: EventRenderer<Extract<Event, { type: "custom" }>>;
  };
  /** Hide errors that a later success resolved (default true). */
  hideResolvedErrors?: boolean;
  /**
   * What to redact. A single name (`password`) redacts that key at any depth of any block. A dotted
   * path starts with the block name: `login.password` redacts the password argument of `login`
   * calls, `login_result.token` the token in its results, `*.apiKey` a top-level `apiKey` of any
   * block (`*` matches any one name). Matched values render as `[redacted]`. These add to
   * `redactSecrets`.
   */
  redact?: readonly string[];
  /**
   * Mask secrets in everything the model sees (default true): values under secret-looking keys
   * (`password`, `apiKey`, `access_token`, `Authorization`, …) at any depth of arguments and results,
   * and credentials recognizable by their shape (API keys, bearer tokens, JWTs, private keys, URL
   * passwords) in any text. The stored thread keeps the values; only the context is masked.
   */
  redactSecrets?: boolean;
  /** Keep the context under this many tokens by compaction. */
  maxTokens?: number;
  /** How to compact; the default drops the oldest events and says how many. */
  compact?: Compactor;
}

/** Redacts every `key` at any depth. */
function redactKey(value: JsonValue, key: string): JsonValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redactKey(item, key));
  const out: Record<string, JsonValue> = {};
  for (const [name, inner] of Object.entries(value)) out[name] = name === key ? "[redacted]" : redactKey(inner, key);
  return out;
}

function redactValue(value: JsonValue, path: readonly string[], depth = 0): JsonValue {
  if (value === null || typeof value !== "object" || depth >= path.length) return value;
  const segment = path[depth]!;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, path, depth));
  const out: Record<string, JsonValue> = {};
  for (const [name, inner] of Object.entries(value)) {
    if (segment === "*" || segment === name) {
      out[name] = depth === path.length - 1 ? "[redacted]" : redactValue(inner, path, depth + 1);
    } else {
      out[name] = inner;
    }
  }
  return out;
}

const block = (name: string, body: string) => (body === "" ? `<${name}>\n</${name}>` : `<${name}>\n${body}\n</${name}>`);

/** The default renderers, one per event type. Override any of them in `xmlContext({ renderers })`. */
export const defaultEventRenderers: { [T in EventType]: EventRenderer<Extract<Event, { type: T }>> } = {
  // "anonymous" says nothing the model can use; a named sender does.
  user_input: (event, h) =>
    h.block("user_input", event.actor && event.actor !== "anonymous" ? `from: ${event.actor}\n${h.text(event.text)}` : h.text(event.text)),
  model_decision: (event, h) => event.calls.map((call) => h.block(call.intent, h.yaml(call.args, call.intent))).join("\n"),
  approval_requested: () => null,
  approval_decision: (event, h) => {
    const name = `${h.intentOf(event.callId) ?? "call"}_approval`;
    const body: Record<string, JsonValue> = { approved: event.approved, by: event.actor };
    if (event.comment) body.comment = event.comment;
    if (event.args) body.edited_args = h.redact(event.args, h.intentOf(event.callId) ?? "call");
    return h.block(name, h.yaml(body, name));
  },
  tool_started: () => null,
  tool_result: (event, h) => h.block(`${event.intent}_result`, h.yaml(event.result, `${event.intent}_result`)),
  error: (event, h) => {
    const body: Record<string, JsonValue> = {};
    if (event.intent) body.intent = event.intent;
    body.message = event.message;
    return h.block("error", h.yaml(body));
  },
  human_request: (event, h) => {
    if (event.reason === "question") return null;
    const body: Record<string, JsonValue> = { question: event.question };
    if (event.args) body.args = h.redact(event.args, event.intent ?? "call");
    return h.block(event.reason, h.yaml(body, event.reason));
  },
  human_response: (event, h) =>
    h.block("human_response", event.actor !== "anonymous" ? `from: ${event.actor}\n${h.text(event.text)}` : h.text(event.text)),
  child_paused: () => null,
  child_resumed: () => null,
  done: () => null,
  // A failure with a code was the model's provider's, not the agent's: nothing for the model to learn.
  failed: (event, h) => (event.code ? null : h.block("failed", h.text(event.reason))),
  cancel: (event, h) => h.block("canceled", h.text(event.reason ?? "")),
  compaction: () => null,
  // A call's wait ends in its tool_result; a policy's own wait is shown, so the model knows it waited.
  timer_set: (event, h) =>
    event.callId ? null : h.block("wait", h.yaml({ until: event.until, ...(event.reason ? { reason: event.reason } : {}) }, "wait")),
  timer_fired: () => null,
  // What a passed deadline did reaches the model through the rejection or answer recorded with it.
  deadline_passed: () => null,
  // Resuming and waiting out a provider are for people; the model has nothing to do about either.
  resumed: () => null,
  model_call_retried: () => null,
  model_warning: () => null,
  // The model is shown a source's tools as intents beside the context, never as an event in it.
  tools_listed: () => null,
  // The agent that takes over reads who handed it the conversation, and why.
  handoff: (event, h) => h.block("handoff", h.yaml({ from: event.from, to: event.to, reason: event.reason }, "handoff")),
  // A refused decision is an audit record for people; the model has nothing to do about it.
  custom: (event, h) => (event.name === DECISION_REFUSED ? null : h.block(event.name, h.yaml(event.data, event.name))),
};

/**
 * The default compactor: hides the oldest events, keeping the newest ones that fit in 70% of the
 * budget, never an open call's decision nor the newest event. The summary quotes the newest input
 * from a person in full when it is among the hidden events, so the request itself is never lost.
 */
export const dropOldestEvents: Compactor = ({ thread, eventTokens, maxTokens }) => {
  const target = Math.floor(maxTokens * 0.7);
  let total = 0;
  let upTo = eventTokens.length;
  while (upTo > 0 && total + eventTokens[upTo - 1]! <= target) {
    total += eventTokens[upTo - 1]!;
    upTo -= 1;
  }
  // Never cut a call from its decision: keep every event from the oldest open call on.
  for (const call of thread.state.openCalls) upTo = Math.min(upTo, call.decisionIndex);
  upTo = Math.max(thread.state.compactedUpTo, Math.min(upTo, thread.version - 1));
  let input: string | undefined;
  for (let index = upTo - 1; index >= 0 && input === undefined; index--) {
    const event = thread.eventAt(index)!;
    if (event.type === "user_input" || event.type === "human_response") {
      input = ` The latest ${event.type === "user_input" ? "request" : "answer from a person"} (event ${index}) was: ${JSON.stringify(event.text)}`;
    }
  }
  return { upTo, summary: `${upTo} earlier events were omitted to fit the context window.${input ?? ""}` };
};

/**
 * The default context renderer: XML-like tags with YAML bodies.
 *
 * @example
 * const context = xmlContext({ redact: ["password", "login_result.token"], maxTokens: 8000 });
 * context.render(thread).text; // "<user_input>\ncan you multiply 3 and 4?\n</user_input>\n..."
 */
export function xmlContext(options: XmlContextOptions = {}): ContextRenderer {
  const hideResolved = options.hideResolvedErrors ?? true;
  const redactPaths = (options.redact ?? []).map((path) => {
    const segments = typeof path === "string" ? path.split(".") : [];
    if (segments.length === 0 || segments.some((segment) => segment === "")) {
      throw new ConfigurationError(`Redact path ${JSON.stringify(path)} is invalid: use "key", "block.key" or "*.key".`);
    }
    if (segments.length > 1 && (segments[0] === "args" || segments[0] === "result")) {
      throw new ConfigurationError(
        `Redact path "${path}" starts with "${segments[0]}", but paths start with the block name: use "${segments.slice(1).join(".")}" (any block), "<intent>.${segments.slice(1).join(".")}" or "<intent>_result.${segments.slice(1).join(".")}".`,
      );
    }
    return segments;
  });
  const maskSecrets = options.redactSecrets ?? true;
  const redact = (value: JsonValue, blockName: string | undefined): JsonValue => {
    let current = maskSecrets ? redactSecrets(value) : value;
    for (const [first, ...rest] of redactPaths) {
      if (rest.length === 0) current = redactKey(current, first!);
      else if (first === "*" || first === blockName) current = redactValue(current, rest);
    }
    return current;
  };
  interface Entry {
    text: string | null;
    tokens: number | undefined;
  }
  const cache = new WeakMap<Event, Entry>();
  const tokensOf = (entry: Entry): number => (entry.tokens ??= entry.text === null ? 0 : countTokens(entry.text));

  function renderEvent(event: Event, intentOf: (callId: string) => string | undefined): Entry {
    const cached = cache.get(event);
    if (cached) return cached;
    const helpers: RenderHelpers = {
      intentOf,
      yaml: (value, blockName) => toYaml(redact(value, blockName)),
      redact: (value, blockName) => redact(value, blockName),
      text: (value) => (maskSecrets ? redactCredentials(value) : value).replaceAll("</", "<\\/"),
      block,
    };
    const custom =
      (event.type === "custom" ? options.renderers?.[`custom:${event.name}`] : undefined) ??
      (options.renderers?.[event.type] as EventRenderer | undefined);
    const renderer = (custom ?? defaultEventRenderers[event.type]) as EventRenderer;
    const text = renderer(event, helpers);
    // Each block ends with a newline; counting blocks one by one then adds up to the whole.
    // An empty block is hidden too: it would add a lone newline that breaks additive token counts.
    const entry: Entry = { text: text === null || text === "" ? null : `${text}\n`, tokens: undefined };
    cache.set(event, entry);
    return entry;
  }

  /** The intent of a call, found by scanning back from `before` (only for events not yet cached). */
  function intentFinder(thread: Thread, before: number): (callId: string) => string | undefined {
    return (callId) => {
      for (let index = before - 1; index >= 0; index--) {
        const event = thread.eventAt(index)!;
        if (event.type === "model_decision") {
          const call = event.calls.find((candidate) => candidate.callId === callId);
          if (call) return call.intent;
        }
      }
      return undefined;
    };
  }

  /** Errors still shown: all of them, or only the unresolved ones. */
  function shownErrors(thread: Thread): ReadonlySet<number> | undefined {
    return hideResolved ? new Set(thread.state.unresolvedErrors.map((error) => error.index)) : undefined;
  }

  function visible(thread: Thread, index: number, errors: ReadonlySet<number> | undefined): boolean {
    if (index < thread.state.compactedUpTo) return false;
    return !(errors && thread.eventAt(index)!.type === "error" && !errors.has(index));
  }

  /**
   * The rendered text of a thread's first `length` events. Threads that share a `prefixKey` are
   * prefixes of one another, so a snapshot of a shorter one is the start of a longer one's text —
   * unless something since changed how earlier events render: a compaction, or an error it showed
   * that is now resolved.
   */
  interface Snapshot {
    length: number;
    text: string;
    compactedUpTo: number;
    errorsShown: readonly number[];
    tokens(): number;
    /** The entries whose tokens `tokens()` has yet to count: this snapshot's and its uncounted predecessors'. */
    uncounted(): Entry[];
  }
  const snapshots = new WeakMap<object, Snapshot[]>();
  const keptPerPrefix = 4;

  function usableSnapshot(thread: Thread, errors: ReadonlySet<number> | undefined): Snapshot | undefined {
    let best: Snapshot | undefined;
    for (const snapshot of snapshots.get(thread.prefixKey) ?? []) {
      if (
        snapshot.length <= thread.version &&
        snapshot.length > (best?.length ?? -1) &&
        snapshot.compactedUpTo === thread.state.compactedUpTo &&
        (!errors || snapshot.errorsShown.every((index) => errors.has(index)))
      ) {
        best = snapshot;
      }
    }
    return best;
  }

  function renderThread(thread: Thread): Snapshot {
    const { state, version } = thread;
    const errors = shownErrors(thread);
    const base = usableSnapshot(thread, errors);
    if (base?.length === version) return base;
    let text = base?.text ?? "";
    const errorsShown = [...(base?.errorsShown ?? [])];
    const added: Entry[] = [];
    for (let index = base?.length ?? 0; index < version; index++) {
      if (!visible(thread, index, errors)) continue;
      const event = thread.eventAt(index)!;
      const entry = renderEvent(event, intentFinder(thread, index));
      if (entry.text === null) continue;
      text += entry.text;
      added.push(entry);
      if (event.type === "error") errorsShown.push(index);
    }
    let tokens: number | undefined;
    let previous: Snapshot | undefined = base;
    const snapshot: Snapshot = {
      length: version,
      text,
      compactedUpTo: state.compactedUpTo,
      errorsShown,
      tokens() {
        if (tokens === undefined) {
          tokens = added.reduce((sum, entry) => sum + tokensOf(entry), previous?.tokens() ?? 0);
          previous = undefined; // the sum is known; let older snapshots go
        }
        return tokens;
      },
      uncounted() {
        if (tokens !== undefined) return [];
        const entries = previous?.uncounted() ?? [];
        for (const entry of added) entries.push(entry);
        return entries;
      },
    };
    const kept = snapshots.get(thread.prefixKey) ?? [];
    kept.push(snapshot);
    if (kept.length > keptPerPrefix) kept.shift();
    snapshots.set(thread.prefixKey, kept);
    return snapshot;
  }

  return {
    maxTokens: options.maxTokens,
    compact: options.compact ?? dropOldestEvents,
    render(thread) {
      const summary = thread.state.compactionSummary === null ? "" : `${block("summary", thread.state.compactionSummary)}\n`;
      const snapshot = renderThread(thread);
      return {
        text: summary + snapshot.text,
        get tokens() {
          return countTokens(summary) + snapshot.tokens();
        },
      };
    },
    async prepare(thread) {
      for (const entry of renderThread(thread).uncounted()) {
        if (entry.tokens === undefined && entry.text !== null) entry.tokens = await countTokensInSlices(entry.text);
      }
    },
    eventTokens(thread) {
      const errors = shownErrors(thread);
      return thread.events.map((event, index) =>
        visible(thread, index, errors) ? tokensOf(renderEvent(event, intentFinder(thread, index))) : 0,
      );
    },
  };
}
