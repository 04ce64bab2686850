/**
 * The event schema: the single source of truth for what a thread can contain.
 *
 * A thread is an append-only list of these events. Everything else — status, pending requests,
 * error counts — is derived from them (see `thread-state.ts`). Names are noun_verb or nouns.
 *
 * The schemas are built on first use (`eventSchemas()`), not when the module loads: constructing
 * these zod objects is most of what importing agentfold would otherwise cost beyond zod itself
 * (about 8 ms), and a program pays it at its first append instead. `events.ts` gives them their
 * public names.
 */
import { z } from "zod";

/** JSON values only: events must survive `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** Plain JSON: finite numbers, strings, booleans, null, arrays, and objects without a `__proto__` key. */
export function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || depth > 100) return false;
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key of Object.keys(value)) {
    if (key === "__proto__" || !isJsonValue((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function buildEventSchemas() {
  // A hand-written check rather than a recursive Zod union: every appended event is validated, and
  // this is several times faster.
  const jsonValue: z.ZodType<JsonValue> = z.custom<JsonValue>((value) => isJsonValue(value), {
    message: "must be plain JSON (finite numbers, no undefined, functions, class instances or __proto__ keys)",
  });
  const jsonObject = z.record(z.string(), jsonValue);

  const at = z.string().min(1).describe("ISO 8601 time the event was appended");
  const callId = z.string().min(1).max(200);
  const intent = z.string().min(1).max(200);

  const toolCallSchema = z.object({ callId, intent, args: jsonObject });

  const usageSchema = z.object({
    inputTokens: z.number().nonnegative(),
    outputTokens: z.number().nonnegative(),
    cost: z.number().nonnegative().optional(),
  });

  /**
   * The `Idempotency-Key` of the request that made the event, with a hash of that request: a retry
   * with the same key finds the event instead of appending a second one, and the same key with a
   * different request is refused. Optional, so threads written before these fields load unchanged.
   */
  const requestKeys = {
    idempotencyKey: z.string().min(1).max(255).optional(),
    requestHash: z.string().min(1).max(200).optional(),
  };

  const urgencySchema = z.enum(["low", "medium", "high"]);
  const responseFormatSchema = z.enum(["free_text", "yes_no", "multiple_choice"]);

  /**
   * When an approval or a question must be decided by, and what happens when it is not: `reject`
   * rejects the call (a question gets "no answer" as its answer), `remind` asks the same people
   * again, `escalate` asks the people in `to`. After a reminder or an escalation the request stays
   * pending. Relative to the request's `at`, so the plan that writes it stays a pure function.
   */
  const deadlineSchema = z.object({
    afterMs: z.number().int().positive(),
    action: z.enum(["reject", "remind", "escalate"]),
    /** Who is asked when it escalates: people or channels, as the deployment names them. */
    to: z.array(z.string().min(1)).optional(),
  });

  /** Something a person or system said to the agent: the first event of most threads. */
  const userInputEvent = z.object({
    type: z.literal("user_input"),
    at,
    text: z.string(),
    actor: z.string().optional(),
    /** Where the input came from: `cli`, `http`, `slack`, `email`, `cron`, `webhook`… */
    source: z.string().optional(),
    ...requestKeys,
  });

  /** The model chose the next step: one call, or several at once, each with its own call id. */
  const modelDecisionEvent = z.object({
    type: z.literal("model_decision"),
    at,
    calls: z.array(toolCallSchema).min(1),
    model: z.string().optional(),
    usage: usageSchema.optional(),
    latencyMs: z.number().nonnegative().optional(),
  });

  /** Policy requires a human's approval before this call runs. */
  const approvalRequestedEvent = z.object({
    type: z.literal("approval_requested"),
    at,
    callId,
    intent,
    args: jsonObject,
    /** SHA-256 of the canonical JSON of `args`: an approval is bound to exactly these arguments. */
    argsHash: z.string(),
    /** The arguments as the tool will receive them, when its schema fills defaults or transforms. */
    resolvedArgs: jsonValue.optional(),
    deadline: deadlineSchema.optional(),
  });

  /** A human approved (possibly with edited arguments) or rejected a call. */
  const approvalDecisionEvent = z.object({
    type: z.literal("approval_decision"),
    at,
    callId,
    approved: z.boolean(),
    comment: z.string().optional(),
    /** Edited arguments, when the human changed them. What runs is exactly these. */
    args: jsonObject.optional(),
    /** Hash of the arguments that will run (the edited ones when present). */
    argsHash: z.string(),
    actor: z.string(),
    ...requestKeys,
  });

  /** A tool began running. Written before the tool runs so a crash mid-call is detectable. */
  const toolStartedEvent = z.object({
    type: z.literal("tool_started"),
    at,
    callId,
    intent,
    args: jsonObject,
    idempotencyKey: z.string(),
    /** 1 for the first run; higher when an idempotent tool is run again after a crash. */
    attempt: z.number().int().positive().optional(),
  });

  /** A tool's result (or a prefetched one). */
  const toolResultEvent = z.object({
    type: z.literal("tool_result"),
    at,
    callId,
    intent,
    result: jsonValue,
    /** Set when the result came from a prefetch step, before any model call. */
    prefetched: z.boolean().optional(),
    /** Set when the tool was another agent running in its own thread. */
    childThreadId: z.string().optional(),
  });

  /** Something went wrong; written compactly so the model can read it and self-heal. */
  const errorEvent = z.object({
    type: z.literal("error"),
    at,
    /** `model_output`: invalid reply; `model_call`: provider failure; `tool`: the tool threw. */
    source: z.enum(["model_output", "model_call", "tool"]),
    message: z.string(),
    callId: callId.optional(),
    intent: intent.optional(),
    /** The offending model output, truncated. */
    raw: z.string().optional(),
  });

  /** The agent asks a person something; the thread waits for a `human_response`. */
  const humanRequestEvent = z.object({
    type: z.literal("human_request"),
    at,
    callId,
    /**
     * `question`: the model asked; `escalation`: the consecutive-error limit was reached;
     * `outcome_unknown`: a non-idempotent tool may or may not have run before a crash;
     * `external_result`: a tool without `run` waits for its result from outside.
     */
    reason: z.enum(["question", "escalation", "outcome_unknown", "external_result"]),
    question: z.string(),
    context: z.string().optional(),
    urgency: urgencySchema,
    format: responseFormatSchema,
    choices: z.array(z.string()).optional(),
    intent: intent.optional(),
    /** The call's arguments, for `outcome_unknown` and `external_result` (rendered, and redacted, as data). */
    args: jsonObject.optional(),
    deadline: deadlineSchema.optional(),
  });

  /** A person's answer to a `human_request`. */
  const humanResponseEvent = z.object({
    type: z.literal("human_response"),
    at,
    callId,
    text: z.string(),
    actor: z.string(),
    ...requestKeys,
  });

  /**
   * A child agent (called as a tool) paused; the parent waits with it. `waiting`: the child waits
   * for a timer (its tool slept), and whoever wakes the child lets the parent go on.
   */
  const childPausedEvent = z.object({
    type: z.literal("child_paused"),
    at,
    callId,
    childThreadId: z.string(),
    childStatus: z.enum(["awaiting_approval", "awaiting_human", "waiting"]),
  });

  /** The paused child can go on; the parent's next step continues it. */
  const childResumedEvent = z.object({
    type: z.literal("child_resumed"),
    at,
    callId,
    childThreadId: z.string(),
  });

  /** The agent finished (for now). A later `user_input` reopens the thread. */
  const doneEvent = z.object({
    type: z.literal("done"),
    at,
    message: z.string(),
    callId: callId.optional(),
  });

  /**
   * The thread cannot go on without a new message (step limit, error limit set to fail), or, with a
   * `code`, until the model is reachable again and a person resumes it (see `resumedEvent`).
   */
  const failedEvent = z.object({
    type: z.literal("failed"),
    at,
    reason: z.string(),
    /**
     * `model_misconfigured`: the provider refused the key, the model or the URL (401, 403, 404);
     * `model_unavailable`: it gave no usable answer within the step's deadline, retries included.
     * Neither is the model's to fix, so neither goes back to it as an error.
     */
    code: z.enum(["model_misconfigured", "model_unavailable"]).optional(),
  });

  /** A person resumed a thread that failed with a `code`, after fixing the cause; the model decides again. */
  const resumedEvent = z.object({
    type: z.literal("resumed"),
    at,
    actor: z.string().optional(),
  });

  /**
   * One failed attempt of a model call that will be tried again after `waitMs`: recorded while the
   * step waits, so a person sees a 429 or an outage being waited out. Never rendered for the model.
   */
  const modelCallRetriedEvent = z.object({
    type: z.literal("model_call_retried"),
    at,
    model: z.string(),
    /** The attempt that failed, 1 for the first. */
    attempt: z.number().int().positive(),
    /** The provider's HTTP status, when it answered. */
    status: z.number().int().optional(),
    waitMs: z.number().nonnegative(),
    message: z.string(),
  });

  /**
   * Something about a model call a person should know and the model cannot act on, told by the
   * adapter before it sends the request. `kind` is open (a reader shows an unknown kind's message):
   * `context_window_exceeded` says the prompt has more tokens than the model's known context window,
   * so the provider will cut it. Never rendered for the model.
   */
  const modelWarningEvent = z.object({
    type: z.literal("model_warning"),
    at,
    model: z.string(),
    kind: z.string().min(1).max(100),
    message: z.string(),
    /** The prompt's tokens as counted before sending (an estimate for providers with another tokenizer). */
    promptTokens: z.number().int().nonnegative().optional(),
    contextWindow: z.number().int().positive().optional(),
  });

  /**
   * The thread waits until `until` (a tool returned `sleep`/`waitUntil`, or a policy waits). With a
   * `callId`, the call stays open and its result, `result` or when it woke, is recorded when it fires.
   */
  const timerSetEvent = z.object({
    type: z.literal("timer_set"),
    at,
    timerId: callId,
    until: z.iso.datetime({ offset: true }),
    reason: z.string().max(1000).optional(),
    callId: callId.optional(),
    result: jsonValue.optional(),
  });

  /** A timer fired: on time (a sweep), or `early` because a person or a message woke the thread. */
  const timerFiredEvent = z.object({
    type: z.literal("timer_fired"),
    at,
    timerId: callId,
    early: z.boolean().optional(),
    actor: z.string().optional(),
  });

  /** A pending request's deadline passed undecided; `action` is what was done (see `deadlineSchema`). */
  const deadlinePassedEvent = z.object({
    type: z.literal("deadline_passed"),
    at,
    callId,
    action: z.enum(["reject", "remind", "escalate"]),
    to: z.array(z.string().min(1)).optional(),
  });

  /** Someone stopped the thread. */
  const cancelEvent = z.object({
    type: z.literal("cancel"),
    at,
    reason: z.string().optional(),
    actor: z.string().optional(),
  });

  /** Events before `upTo` are summarized by `summary` in the rendered context (they stay stored). */
  const compactionEvent = z.object({
    type: z.literal("compaction"),
    at,
    upTo: z.number().int().nonnegative(),
    summary: z.string(),
  });

  /**
   * The conversation passed to another agent (a handoff, not a call as a tool): from here on `to`
   * drives the thread — its prompt, tools and limits — until another handoff.
   */
  const handoffEvent = z.object({
    type: z.literal("handoff"),
    at,
    from: z.string().min(1).max(200),
    to: z.string().min(1).max(200),
    reason: z.string(),
    /** The call of the handoff tool the model chose; absent when code handed the thread over. */
    callId: callId.optional(),
  });

  /** One tool as a tool source listed it: what the model is shown and the tool is built from. */
  const listedToolSchema = z.object({
    name: z.string().min(1).max(200),
    title: z.string().optional(),
    description: z.string().optional(),
    /** The JSON Schema of its arguments (an object schema). */
    inputSchema: jsonObject,
    /** The source's hints about the tool (an MCP server's `readOnlyHint`, `idempotentHint`…). */
    annotations: jsonObject.optional(),
  });

  /**
   * The tools a tool source (an MCP server: see `ToolSource`) offered this thread, recorded before
   * the first decision that offers them and again only when the source's list changed. The thread
   * keeps offering the last list it recorded, so a later step, another process or a fork sees the
   * tools its model chose from. Never rendered for the model: it sees tools as intents, not context.
   */
  const toolsListedEvent = z.object({
    type: z.literal("tools_listed"),
    at,
    /** The source's name (an MCP server's name in `mcpTools`). */
    source: z.string().min(1).max(200),
    /** Everything the source listed, in its order (the agent's choices, such as `include`, apply after). */
    tools: z.array(listedToolSchema),
  });

  /** A user-defined event: `name` selects its renderer; `data` is any JSON. */
  const customEvent = z.object({
    type: z.literal("custom"),
    at,
    name: z.string().min(1),
    data: jsonValue,
  });

  const eventSchema = z.discriminatedUnion("type", [
    userInputEvent,
    modelDecisionEvent,
    approvalRequestedEvent,
    approvalDecisionEvent,
    toolStartedEvent,
    toolResultEvent,
    errorEvent,
    humanRequestEvent,
    humanResponseEvent,
    childPausedEvent,
    childResumedEvent,
    doneEvent,
    failedEvent,
    cancelEvent,
    compactionEvent,
    customEvent,
    timerSetEvent,
    timerFiredEvent,
    deadlinePassedEvent,
    resumedEvent,
    modelCallRetriedEvent,
    modelWarningEvent,
    handoffEvent,
    toolsListedEvent,
  ]);
  return {
    jsonValue,
    toolCallSchema,
    usageSchema,
    urgencySchema,
    responseFormatSchema,
    deadlineSchema,
    userInputEvent,
    modelDecisionEvent,
    approvalRequestedEvent,
    approvalDecisionEvent,
    toolStartedEvent,
    toolResultEvent,
    errorEvent,
    humanRequestEvent,
    humanResponseEvent,
    childPausedEvent,
    childResumedEvent,
    doneEvent,
    failedEvent,
    cancelEvent,
    compactionEvent,
    customEvent,
    timerSetEvent,
    timerFiredEvent,
    deadlinePassedEvent,
    resumedEvent,
    modelCallRetriedEvent,
    modelWarningEvent,
    handoffEvent,
    listedToolSchema,
    toolsListedEvent,
    eventSchema,
  };
}

type EventSchemas = ReturnType<typeof buildEventSchemas>;
let built: EventSchemas | undefined;

/**
 * Every event schema, built the first time it is asked for.
 *
 * @example
 * const checked = eventSchemas().eventSchema.safeParse(raw);
 */
export function eventSchemas(): EventSchemas {
  return (built ??= buildEventSchemas());
}

export type ToolCall = z.infer<EventSchemas["toolCallSchema"]>;
/** One tool of a `tools_listed` event. */
export type ListedTool = z.infer<EventSchemas["listedToolSchema"]>;
export type Event = z.infer<EventSchemas["eventSchema"]>;
export type EventType = Event["type"];
/** The event of one type: `EventOf<"tool_result">`. */
export type EventOf<T extends EventType> = Extract<Event, { type: T }>;
/** An event before the thread stamps it with a time. */
export type NewEvent = Event extends infer E ? (E extends Event ? Omit<E, "at"> & { at?: string } : never) : never;
