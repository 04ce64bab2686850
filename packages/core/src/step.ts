/**
 * Carrying out actions: the only place where the model is called and tools run. Each batch of new
 * events is handed to `commit` (a store append, usually) before anything else happens, so a tool
 * never runs unless its `tool_started` event is durable.
 */
import { systemClock, type Clock } from "./clock.ts";
import { ConfigurationError, StateConflictError, describeError } from "./errors.ts";
import type { JsonValue, NewEvent } from "./events.ts";
import type { IntentSpec, JsonSchema, Model, ModelMessage, ModelReply, ModelRequest, ModelUsage, OutputMode } from "./model.ts";
import { parseModelOutput, toJson } from "./next-step.ts";
import { nextAction, type NextAction, type Policy } from "./next-action.ts";
import type { PromptFunction } from "./default-prompt.ts";
import type { Thread } from "./thread.ts";
import type { OpenCall } from "./thread-state.ts";
import type { AnyTool, ToolContext } from "./tools.ts";

export interface AgentHooks {
  /** Before each model call; may return a changed request (e.g. extra messages). */
  beforeModelCall?: (request: ModelRequest, thread: Thread) => ModelRequest | void | Promise<ModelRequest | void>;
  afterModelCall?: (reply: ModelReply, thread: Thread) => void | Promise<void>;
  /** Before a tool runs; throw to stop it (the error becomes an error event). */
  beforeToolRun?: (call: OpenCall, thread: Thread) => void | Promise<void>;
  afterToolRun?: (call: OpenCall, result: unknown, thread: Thread) => void | Promise<void>;
}

export interface StepOptions {
  model: Model;
  signal?: AbortSignal;
  /** Milliseconds a model call may take. */
  timeoutMs?: number;
  clock?: Clock;
  /**
   * Called with each new thread before the loop goes on: persist it here. If it throws (a version
   * conflict, a lost lease), the step stops and nothing further runs.
   */
  commit?: (next: Thread, previous: Thread) => void | Promise<void>;
}

/** Everything the executor needs from an agent. */
export interface Runtime {
  name: string;
  description: string | undefined;
  instructions: string | undefined;
  policy: Policy;
  prompt: PromptFunction;
  mode: OutputMode | undefined;
  hooks: AgentHooks;
  /** The next-step schema and intents, computed once from the tools. */
  schema: JsonSchema;
  intents: readonly IntentSpec[];
}

/** Returned by a tool that ran a child agent which is now waiting for a person. */
export class ChildPaused {
  readonly childThreadId: string;
  readonly childStatus: "awaiting_approval" | "awaiting_human";
  constructor(childThreadId: string, childStatus: "awaiting_approval" | "awaiting_human") {
    this.childThreadId = childThreadId;
    this.childStatus = childStatus;
  }
}

/** Returned by a tool that ran a child agent to completion. */
export class ChildResult {
  readonly childThreadId: string;
  readonly result: unknown;
  constructor(childThreadId: string, result: unknown) {
    this.childThreadId = childThreadId;
    this.result = result;
  }
}

async function commitEvents(thread: Thread, events: readonly NewEvent[], options: StepOptions): Promise<Thread> {
  const next = thread.append(events, options.clock ?? systemClock);
  await options.commit?.(next, thread);
  return next;
}

/**
 * The messages the model would receive for this thread, and the mode they assume. No token count:
 * a decision without a token budget never needs one (`nextAction` counts when there is a budget).
 */
export function buildPrompt(runtime: Runtime, thread: Thread, mode: OutputMode): { messages: ModelMessage[]; context: string } {
  const rendered = runtime.policy.context.render(thread);
  const messages = runtime.prompt({
    agent: { name: runtime.name, description: runtime.description, instructions: runtime.instructions },
    context: rendered.text,
    intents: runtime.intents,
    mode,
  });
  return { messages, context: rendered.text };
}

/** Keeps usage only when it is plain non-negative numbers: an adapter's odd report must not break the thread. */
function cleanUsage(usage: ModelReply["usage"]): { usage: ModelUsage } | Record<string, never> {
  const valid = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value >= 0;
  if (!usage || !valid(usage.inputTokens) || !valid(usage.outputTokens)) return {};
  return { usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, ...(valid(usage.cost) ? { cost: usage.cost! } : {}) } };
}

/** Asks the model for the next step and appends the decision (or a compact error). */
export async function decide(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  const action = nextAction(runtime.policy, thread);
  if (action.type !== "decide") {
    throw new StateConflictError(
      `Thread ${thread.id} does not need a model decision now (status ${thread.status}; next action: ${action.type}). Run agent.apply(), or resolve what is pending, first.`,
    );
  }
  const mode = modeFor(runtime, options.model);
  let request: ModelRequest = {
    messages: buildPrompt(runtime, thread, mode).messages,
    schema: runtime.schema,
    intents: runtime.intents,
    mode,
    threadId: thread.id,
    turn: thread.state.stepCount,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  request = (await runtime.hooks.beforeModelCall?.(request, thread)) ?? request;
  const clock = options.clock ?? systemClock;
  const started = clock.now().getTime();
  let reply: ModelReply;
  try {
    reply = await options.model.generate(request);
  } catch (error) {
    // Misconfiguration (a missing key, an exhausted script) is for the developer, not the model.
    if (options.signal?.aborted || error instanceof ConfigurationError) throw error;
    return commitEvents(thread, [{ type: "error", source: "model_call", message: `The model call failed: ${describeError(error)}` }], options);
  }
  await runtime.hooks.afterModelCall?.(reply, thread);
  const parsed = parseModelOutput(reply.output, runtime.policy.tools);
  if (!parsed.ok) {
    return commitEvents(thread, [{ type: "error", source: "model_output", message: parsed.message, raw: parsed.raw }], options);
  }
  const decision: NewEvent = {
    type: "model_decision",
    calls: parsed.calls.map((call, index) => ({ callId: `call_${thread.version}_${index}`, ...call })),
    model: reply.modelId ?? options.model.id,
    latencyMs: Math.max(0, clock.now().getTime() - started),
    ...cleanUsage(reply.usage),
  };
  return commitEvents(thread, [decision], options);
}

/** The output mode a step uses: the agent's, else the model's preference, else plain prompting. */
export function modeFor(runtime: Runtime, model: Model | undefined): OutputMode {
  return runtime.mode ?? model?.defaultMode ?? "prompt";
}

function toolContext(thread: Thread, callId: string, idempotencyKey: string, options: StepOptions): ToolContext {
  return {
    idempotencyKey,
    callId,
    signal: options.signal ?? new AbortController().signal,
    thread,
    model: options.model,
    clock: options.clock ?? systemClock,
  };
}

/** The event a finished run becomes. Serialization failures never turn a success into a failure. */
function resultEvent(call: OpenCall, result: unknown): NewEvent {
  if (result instanceof ChildPaused) {
    return { type: "child_paused", callId: call.callId, childThreadId: result.childThreadId, childStatus: result.childStatus };
  }
  const value = result instanceof ChildResult ? result.result : result;
  let json: JsonValue;
  try {
    json = toJson(value);
  } catch (error) {
    json = `[the tool succeeded, but its result could not be stored as JSON: ${describeError(error)}]`;
  }
  return {
    type: "tool_result",
    callId: call.callId,
    intent: call.intent,
    result: json,
    ...(result instanceof ChildResult ? { childThreadId: result.childThreadId } : {}),
  };
}

async function runTool(runtime: Runtime, thread: Thread, call: OpenCall, tool: AnyTool, options: StepOptions): Promise<Thread> {
  const idempotencyKey = call.idempotencyKey ?? `${thread.id}:${call.callId}`;
  const current = await commitEvents(
    thread,
    [{ type: "tool_started", callId: call.callId, intent: call.intent, args: call.runArgs, idempotencyKey, attempt: call.attempts + 1 }],
    options,
  );
  let result: unknown;
  try {
    await runtime.hooks.beforeToolRun?.(call, current);
    result = await tool.run!(tool.args.parse(call.runArgs), toolContext(current, call.callId, idempotencyKey, options));
  } catch (error) {
    // A developer's misconfiguration (e.g. in a child agent) is not the model's to fix.
    if (options.signal?.aborted || error instanceof ConfigurationError) throw error;
    return commitEvents(current, [{ type: "error", source: "tool", callId: call.callId, intent: call.intent, message: describeError(error) }], options);
  }
  // The tool ran: record its result first, so nothing after this can make it run again.
  const next = await commitEvents(current, [resultEvent(call, result)], options);
  await runtime.hooks.afterToolRun?.(call, result, next);
  return next;
}

async function prefetch(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  const events: NewEvent[] = [];
  for (const [index, { tool, args }] of runtime.policy.prefetch.entries()) {
    const callId = `prefetch_${index}`;
    // Prefetch tools are idempotent (checked by defineAgent): after a crash they simply run again.
    const context = toolContext(thread, callId, `${thread.id}:${callId}`, options);
    try {
      const result = await tool.run!(tool.args.parse(args), context);
      const event = resultEvent({ callId, intent: tool.intent } as OpenCall, result);
      events.push({ ...event, prefetched: true } as NewEvent);
    } catch (error) {
      if (options.signal?.aborted || error instanceof ConfigurationError) throw error;
      // The model sees the error; prefetch counts as done either way (see `nextAction`).
      events.push({ type: "error", source: "tool", callId, intent: tool.intent, message: describeError(error) });
    }
  }
  return commitEvents(thread, events, options);
}

/** Runs of an idempotent tool after crashes before a person is asked instead. */
const maxAttempts = 3;

function checkCompaction(result: unknown, thread: Thread): { upTo: number; summary: string } {
  const { upTo, summary } = (result ?? {}) as { upTo?: unknown; summary?: unknown };
  if (typeof upTo !== "number" || !Number.isInteger(upTo) || upTo < thread.state.compactedUpTo || upTo > thread.version || typeof summary !== "string") {
    throw new ConfigurationError(
      `The context's compact function returned ${JSON.stringify(result)}; it must return { upTo, summary } with an integer upTo from ${thread.state.compactedUpTo} to ${thread.version} and a string summary.`,
    );
  }
  return { upTo, summary };
}

/**
 * Carries out one action that needs no model call. Returns the new thread, or `undefined` when the
 * action is `decide`, `wait` or `stop`.
 */
export async function applyAction(runtime: Runtime, thread: Thread, action: NextAction, options: StepOptions): Promise<Thread | undefined> {
  switch (action.type) {
    case "stop":
    case "wait":
    case "decide":
      return undefined;
    case "prefetch":
      return prefetch(runtime, thread, options);
    case "gate":
    case "append":
      return commitEvents(thread, action.events, options);
    case "run_tool":
      return runTool(runtime, thread, action.call, action.tool, options);
    case "recover":
      if (action.tool.idempotent && action.call.attempts < maxAttempts) return runTool(runtime, thread, action.call, action.tool, options);
      return commitEvents(
        thread,
        [
          {
            type: "human_request",
            callId: action.call.callId,
            reason: "outcome_unknown",
            intent: action.call.intent,
            args: action.call.runArgs,
            question: action.tool.idempotent
              ? `${action.call.intent} was started ${action.call.attempts} times and the process stopped each time before it reported a result. Did it take effect? Describe what happened.`
              : `${action.call.intent} was started, but the process stopped before it reported a result, and it is not safe to run twice. Did it take effect? Describe what happened.`,
            urgency: "high",
            format: "free_text",
          },
        ],
        options,
      );
    case "compact": {
      const { context } = runtime.policy;
      const compaction = checkCompaction(
        await context.compact({ thread, eventTokens: context.eventTokens(thread), maxTokens: context.maxTokens! }),
        thread,
      );
      // Even when nothing more can be dropped the attempt is recorded, so the next action is a decision.
      return commitEvents(thread, [{ type: "compaction", upTo: compaction.upTo, summary: compaction.summary }], options);
    }
  }
}

/** Runs every action that needs no model call, until the thread needs a decision or waits. */
export async function applyAll(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  let current = thread;
  for (;;) {
    options.signal?.throwIfAborted();
    const action = nextAction(runtime.policy, current);
    const next = await applyAction(runtime, current, action, options);
    if (!next) return current;
    current = next;
  }
}
