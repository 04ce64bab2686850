/**
 * Carrying out actions: the only place where the model is called and tools run. Each batch of new
 * events is handed to `commit` (a store append, usually) before anything else happens, so a tool
 * never runs unless its `tool_started` event is durable.
 */
import { systemClock, type Clock } from "./clock.ts";
import { ConfigurationError, describeError } from "./errors.ts";
import type { NewEvent } from "./events.ts";
import type { IntentSpec, JsonSchema, Model, ModelMessage, ModelReply, ModelRequest, OutputMode } from "./model.ts";
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

/** The messages the model would receive for this thread, and the mode they assume. */
export function buildPrompt(runtime: Runtime, thread: Thread, mode: OutputMode): { messages: ModelMessage[]; context: string; contextTokens: number } {
  const rendered = runtime.policy.context.render(thread);
  const messages = runtime.prompt({
    agent: { name: runtime.name, description: runtime.description, instructions: runtime.instructions },
    context: rendered.text,
    intents: runtime.intents,
    mode,
  });
  return { messages, context: rendered.text, contextTokens: rendered.tokens };
}

/** Asks the model for the next step and appends the decision (or a compact error). */
export async function decide(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  const mode = runtime.mode ?? options.model.defaultMode ?? "prompt";
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
    ...(reply.usage ? { usage: reply.usage } : {}),
  };
  return commitEvents(thread, [decision], options);
}

async function runTool(runtime: Runtime, thread: Thread, call: OpenCall, tool: AnyTool, options: StepOptions, restart: boolean): Promise<Thread> {
  const idempotencyKey = call.idempotencyKey ?? `${thread.id}:${call.callId}`;
  let current = thread;
  if (!restart) {
    current = await commitEvents(
      current,
      [{ type: "tool_started", callId: call.callId, intent: call.intent, args: call.runArgs, idempotencyKey }],
      options,
    );
  }
  const context: ToolContext = {
    idempotencyKey,
    callId: call.callId,
    signal: options.signal ?? new AbortController().signal,
    thread: current,
    model: options.model,
  };
  let event: NewEvent;
  try {
    await runtime.hooks.beforeToolRun?.(call, current);
    const result = await tool.run!(tool.args.parse(call.runArgs), context);
    await runtime.hooks.afterToolRun?.(call, result, current);
    if (result instanceof ChildPaused) {
      event = { type: "child_paused", callId: call.callId, childThreadId: result.childThreadId, childStatus: result.childStatus };
    } else if (result instanceof ChildResult) {
      event = { type: "tool_result", callId: call.callId, intent: call.intent, result: toJson(result.result), childThreadId: result.childThreadId };
    } else {
      event = { type: "tool_result", callId: call.callId, intent: call.intent, result: toJson(result) };
    }
  } catch (error) {
    if (options.signal?.aborted) throw error;
    event = { type: "error", source: "tool", callId: call.callId, intent: call.intent, message: describeError(error) };
  }
  return commitEvents(current, [event], options);
}

async function prefetch(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  const events: NewEvent[] = [];
  for (const [index, { tool, args }] of runtime.policy.prefetch.entries()) {
    const callId = `prefetch_${index}`;
    const context: ToolContext = {
      idempotencyKey: `${thread.id}:${callId}`,
      callId,
      signal: options.signal ?? new AbortController().signal,
      thread,
      model: options.model,
    };
    try {
      const result = await tool.run!(tool.args.parse(args), context);
      events.push({ type: "tool_result", callId, intent: tool.intent, result: toJson(result), prefetched: true });
    } catch (error) {
      // The model sees the error; prefetch counts as done either way (see `nextAction`).
      events.push({ type: "error", source: "tool", callId, intent: tool.intent, message: describeError(error) });
    }
  }
  return commitEvents(thread, events, options);
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
      return runTool(runtime, thread, action.call, action.tool, options, false);
    case "recover":
      if (action.tool.idempotent) return runTool(runtime, thread, action.call, action.tool, options, true);
      return commitEvents(
        thread,
        [
          {
            type: "human_request",
            callId: action.call.callId,
            reason: "outcome_unknown",
            intent: action.call.intent,
            question: `${action.call.intent}(${JSON.stringify(action.call.runArgs)}) was started, but the process stopped before it reported a result, and it is not safe to run twice. Did it take effect? Describe what happened.`,
            urgency: "high",
            format: "free_text",
          },
        ],
        options,
      );
    case "compact": {
      const { context } = runtime.policy;
      const compaction = await context.compact({
        thread,
        eventTokens: context.eventTokens(thread),
        maxTokens: context.maxTokens!,
      });
      // Even when nothing more can be dropped the attempt is recorded, so the next action is a decision.
      const upTo = Math.max(compaction.upTo, thread.state.compactedUpTo);
      return commitEvents(thread, [{ type: "compaction", upTo, summary: compaction.summary }], options);
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
