/**
 * Carrying out actions: the only place where the model is called and tools run. New events are
 * handed to `commit` (a store append, usually) before the next effect — a model call, a tool run, a
 * hook, a compaction — so a tool never runs unless its `tool_started` event is durable (see
 * `Journal`).
 */
import { systemClock, type Clock } from "./clock.ts";
import { ConfigurationError, ModelCallError, StateConflictError, describeError } from "./errors.ts";
import { isJsonValue, type EventOf, type JsonValue, type NewEvent } from "./event-schema.ts";
import type {
  IntentSpec,
  JsonSchema,
  Model,
  ModelDelta,
  ModelMessage,
  ModelReply,
  ModelRequest,
  ModelRetry,
  ModelWarning,
  ModelUsage,
  OutputMode,
} from "./model.ts";
import { incompleteReply, parseModelOutput, toJson } from "./model-output.ts";
import type { NextAction, Policy } from "./plan.ts";
import { plannedAction, type PlanFunction } from "./own-plan.ts";
import type { PromptFunction } from "./default-prompt.ts";
import type { Thread } from "./thread.ts";
import type { OpenCall } from "./thread-state.ts";
import type { AnyTool, ToolContext } from "./tools.ts";
import type { LeaseGuard } from "./lease.ts";
import type { ThreadStore } from "./store.ts";
import { faultPoint } from "./fault-points.ts";
import { timerSetEvent, Wait } from "./timers.ts";
import { recordToolLists, runtimeAsOf } from "./tool-sources.ts";

export interface AgentHooks {
  /** Before each model call; may return a changed request (e.g. extra messages). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing is typed `void`, which `undefined` would refuse
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
   * Called with the new thread before each effect (a model call, a tool run, a hook, a compaction)
   * and before returning: persist it here. `previous` is the thread of the last call (or the one
   * passed in); one call may carry several batches when only deterministic code ran in between,
   * e.g. a decision and its `tool_started`. If it throws (a version conflict, a lost lease), the
   * step stops and nothing further runs.
   */
  commit?: (next: Thread, previous: Thread) => void | Promise<void>;
  /**
   * The lease the step runs under (from `holdLease`/`keepLease`). Right before each tool runs, after
   * its `tool_started` is durable, the step checks that the lease can still be counted on and stops
   * with `LeaseLostError` if not: the call stays started without a result, for the new holder's
   * recovery. Tools get its fence in their context.
   */
  lease?: Pick<LeaseGuard, "fence" | "assertHeld">;
  /**
   * The store the thread lives in. Child agents (`agent.asTool()`) keep their threads in it, so a
   * child is always in its parent's store: runners (`agentfold serve`, the CLI) pass theirs.
   */
  threads?: ThreadStore;
  /**
   * Told about each piece of a model's reply as it streams (see `ModelDelta`), with the thread as
   * the model saw it. For people watching: deltas are never stored, and the decision appended after
   * the call is parsed from the whole reply, as without streaming. A listener that throws is ignored.
   */
  onModelDelta?: (delta: ModelDelta, thread: Thread) => void;
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
  /** The agent's own control flow; the default plan (`nextAction`) when absent. */
  plan?: PlanFunction | undefined;
}

/** Returned by a tool that ran a child agent which is now waiting for a person or a timer. */
export class ChildPaused {
  readonly childThreadId: string;
  readonly childStatus: "awaiting_approval" | "awaiting_human" | "waiting";
  constructor(childThreadId: string, childStatus: "awaiting_approval" | "awaiting_human" | "waiting") {
    this.childThreadId = childThreadId;
    this.childStatus = childStatus;
  }
}

/** Returned by a tool that ran a child agent to completion. */
/**
 * What a child agent's tool throws when the child failed for a reason its model cannot fix (its
 * `failed` event has a `code`): the parent fails with the same code rather than handing the error to
 * its own model, which could only call the child again into the same failure.
 */
export class ChildFailed extends Error {
  readonly childThreadId: string;
  readonly code: NonNullable<EventOf<"failed">["code"]>;
  constructor(message: string, childThreadId: string, code: NonNullable<EventOf<"failed">["code"]>) {
    super(message);
    this.name = "ChildFailed";
    this.childThreadId = childThreadId;
    this.code = code;
  }
}

export class ChildResult {
  readonly childThreadId: string;
  readonly result: unknown;
  constructor(childThreadId: string, result: unknown) {
    this.childThreadId = childThreadId;
    this.result = result;
  }
}

/**
 * When new events become durable. Events are appended to the thread as they are made, but handed to
 * `commit` only before the next effect — a model call, a tool run, a hook, a compaction, a prefetch
 * — and before control returns to the caller. Events that deterministic code adds in between (a
 * decision's gate or `tool_started`, `done`, an escalation) share a commit with the batch before
 * them: a tool step is two commits, [decision, tool_started] and [tool_result], not three.
 *
 * What this keeps:
 * - a tool runs only after its `tool_started` is durable (committed right before the run);
 * - a tool's result is durable before anything else with an effect happens, the model call after it
 *   included, so nothing can make the tool run again; only pure code runs before that commit, and
 *   an abort commits what is pending before it stops;
 * - anything lost to a crash before a commit is recomputed from the stored thread: the planner is a
 *   pure function of it, and an effect never ran on events that were not yet stored.
 */
class Journal {
  #durable: Thread;
  readonly #commit: StepOptions["commit"];

  constructor(durable: Thread, commit: StepOptions["commit"]) {
    this.#durable = durable;
    this.#commit = commit;
  }

  /** Commits the events `current` has beyond the last commit; returns `current`. */
  async flush(current: Thread): Promise<Thread> {
    if (current !== this.#durable) {
      await this.#commit?.(current, this.#durable);
      this.#durable = current;
    }
    return current;
  }
}

function appendEvents(thread: Thread, events: readonly NewEvent[], options: StepOptions): Thread {
  return thread.append(events, options.clock ?? systemClock);
}

/**
 * Appends a `tool_started` or `tool_result` that this module built, without parsing it with the
 * event schema again. Every tool step makes both, and their zod parse was about a quarter of a
 * step's overhead (bench/results/cold-start.md); validation belongs at the boundaries — a thread
 * loaded, an event a caller appends, the model's reply — and these are built only from what already
 * passed one: the call's id, intent and arguments come from its stored (checked) decision or
 * approval, the idempotency key from the thread's id or the call's earlier start, the result from
 * `toJson` and then `isJsonValue`, the schema's own check for JSON (a result it refuses goes through
 * `thread.append`, which throws as before). Keys are in the schema's order, as a parse leaves them,
 * so the thread serializes exactly as it will load. The stamp is the one `append` would give.
 */
function appendBuilt(thread: Thread, event: EventOf<"tool_started"> | EventOf<"tool_result">): Thread {
  return thread.appendEvents([event]);
}

/** The time `append` would stamp. Steps run many to a millisecond: the string is made once per millisecond. */
function stamp(options: StepOptions): string {
  const now = (options.clock ?? systemClock).now();
  const time = now.getTime();
  if (time !== lastStamp.time) lastStamp = { time, text: now.toISOString() };
  return lastStamp.text;
}
let lastStamp = { time: Number.NaN, text: "" };

/**
 * The messages the model would receive for this thread, and the mode they assume. No token count:
 * a decision without a token budget never needs one (`nextAction` counts when there is a budget).
 */
export function buildPrompt(runtime: Runtime, thread: Thread, mode: OutputMode): { messages: ModelMessage[]; context: string } {
  const rendered = runtime.policy.context.render(thread);
  const messages = runtime.prompt({
    agent: { name: runtime.name, description: runtime.description, instructions: runtime.instructions },
    context: rendered.text,
    intents: runtimeAsOf(runtime, thread).intents,
    mode,
  });
  return { messages, context: rendered.text };
}

/** Keeps usage only when it is plain non-negative numbers: an adapter's odd report must not break the thread. */
function cleanUsage(usage: ModelReply["usage"]): { usage: ModelUsage } | Record<string, never> {
  const valid = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value >= 0;
  if (!usage || !valid(usage.inputTokens) || !valid(usage.outputTokens)) return {};
  return {
    usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, ...(valid(usage.cost) ? { cost: usage.cost! } : {}) },
  };
}

/**
 * `nextAction`, after the context has counted its new long texts without blocking (see
 * `ContextRenderer.prepare`): the planner is pure and synchronous, and with a token budget it counts
 * tokens — a megabyte of new text must not stall the process while it does.
 */
async function plan(runtime: Runtime, thread: Thread): Promise<NextAction> {
  const { context } = runtime.policy;
  if (context.maxTokens !== undefined && context.prepare) await context.prepare(thread);
  return plannedAction(runtime, thread);
}

/** HTTP statuses that mean the key, the model name or the URL is wrong: the same call will fail again. */
const misconfiguredStatuses = new Set([401, 403, 404]);

/**
 * A `failed` event for a model call that failed for reasons the model cannot fix, or undefined for
 * any other failure (which goes back to the model as an error). A refused key, model or URL is
 * `model_misconfigured`; a retryable failure (a timeout, an outage) that outlived the adapter's
 * retries is `model_unavailable`: asking again in the next step would only repeat the wait.
 */
function providerFailure(error: unknown, modelId: string): NewEvent | undefined {
  if (!(error instanceof ModelCallError)) return undefined;
  const resume = "then resume the thread.";
  if (error.status !== undefined && misconfiguredStatuses.has(error.status)) {
    return {
      type: "failed",
      code: "model_misconfigured",
      reason: `The model ${modelId} is misconfigured (HTTP ${error.status}): ${describeError(error)} Fix the key, the model name or the base URL, ${resume}`,
    };
  }
  if (error.retryable) {
    return {
      type: "failed",
      code: "model_unavailable",
      reason: `The model ${modelId} gave no usable answer: ${describeError(error)} Once the provider answers again, ${resume}`,
    };
  }
  return undefined;
}

/**
 * Records each retry the adapter reports as a `model_call_retried` event, and each warning as a
 * `model_warning` event, committed at once so a person watching the thread sees the wait. Commits are chained in order; one that fails (a lost
 * lease, a conflicting write) aborts the call, and `settle` throws its error. `settle` returns the
 * thread with every retry event appended, committed.
 */
function recordRetries(
  thread: Thread,
  request: ModelRequest,
  options: StepOptions,
  journal: Journal,
): { request: ModelRequest; settle: () => Promise<Thread> } {
  let current = thread;
  let commits: Promise<unknown> = Promise.resolve();
  let commitError: { error: unknown } | undefined;
  const stop = new AbortController();
  const modelId = options.model.id;
  const record = (event: NewEvent) => {
    if (commitError) return;
    current = appendEvents(current, [event], options);
    const next = current;
    commits = commits.then(() =>
      journal.flush(next).catch((error: unknown) => {
        commitError ??= { error };
        stop.abort(error);
      }),
    );
  };
  const previousRetry = request.onRetry;
  const onRetry = (retry: ModelRetry) => {
    previousRetry?.(retry);
    record({
      type: "model_call_retried",
      model: modelId,
      attempt: retry.attempt,
      waitMs: Math.max(0, retry.waitMs),
      message: retry.message.slice(0, 500),
      ...(retry.status === undefined ? {} : { status: retry.status }),
    });
  };
  const previousWarning = request.onWarning;
  const onWarning = (warning: ModelWarning) => {
    previousWarning?.(warning);
    record({
      type: "model_warning",
      model: modelId,
      kind: warning.kind,
      message: warning.message.slice(0, 500),
      ...(warning.promptTokens === undefined ? {} : { promptTokens: Math.max(0, Math.round(warning.promptTokens)) }),
      ...(warning.contextWindow === undefined ? {} : { contextWindow: warning.contextWindow }),
    });
  };
  const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
  return {
    request: { ...request, signal, onRetry, onWarning },
    async settle() {
      await commits;
      if (commitError) throw commitError.error;
      return current;
    },
  };
}

/** Hands the model's deltas to `onModelDelta` too; a watcher that throws never stops the call. */
function forwardDeltas(request: ModelRequest, thread: Thread, options: StepOptions): ModelRequest {
  const listener = options.onModelDelta;
  if (!listener) return request;
  const previous = request.onDelta;
  return {
    ...request,
    onDelta(delta) {
      previous?.(delta);
      try {
        listener(delta, thread);
      } catch {
        // Deltas are for watching; the step does not depend on who watches.
      }
    },
  };
}

/** Asks the model for the next step and appends the decision (or a compact error), committed. */
export async function decide(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  const journal = new Journal(thread, options.commit);
  return journal.flush(await decideWith(runtime, thread, options, journal));
}

/** `decide`, leaving the decision uncommitted for what follows it in the same step. */
async function decideWith(runtime: Runtime, planned: Thread, options: StepOptions, journal: Journal): Promise<Thread> {
  const action = await plan(runtime, planned);
  if (action.type !== "decide") {
    throw new StateConflictError(
      `Thread ${planned.id} does not need a model decision now (status ${planned.status}; next action: ${action.type}). Run agent.execute(), or resolve what is pending, first.`,
    );
  }
  // The tool lists the model is about to be shown, recorded when they are new to this turn.
  const thread = await recordToolLists(runtime.policy, planned, options.clock ?? systemClock);
  const offered = runtimeAsOf(runtime, thread);
  // The hooks and the model call are effects: what came before them is stored first.
  await journal.flush(thread);
  const mode = modeFor(runtime, options.model);
  let request: ModelRequest = {
    messages: buildPrompt(runtime, thread, mode).messages,
    schema: offered.schema,
    intents: offered.intents,
    mode,
    threadId: thread.id,
    turn: thread.state.stepCount,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  request = (await runtime.hooks.beforeModelCall?.(request, thread)) ?? request;
  request = forwardDeltas(request, thread, options);
  const clock = options.clock ?? systemClock;
  const started = clock.now().getTime();
  const retries = recordRetries(thread, request, options, journal);
  let reply: ModelReply;
  try {
    reply = await options.model.generate(retries.request);
  } catch (error) {
    // A retry that could not be stored stopped the call: that is the step's failure.
    const latest = await retries.settle();
    // Misconfiguration (a missing key, an exhausted script) is for the developer, not the model.
    if (options.signal?.aborted || error instanceof ConfigurationError) throw error;
    const failure = providerFailure(error, options.model.id);
    if (failure) return appendEvents(latest, [failure], options);
    return appendEvents(
      latest,
      [{ type: "error", source: "model_call", message: `The model call failed: ${describeError(error)}` }],
      options,
    );
  }
  const current = await retries.settle();
  // A crash here loses a paid-for reply; the stored thread asks the model again.
  faultPoint("model-replied");
  await runtime.hooks.afterModelCall?.(reply, current);
  // A reply the model did not finish is refused before it is parsed (or repaired): see incompleteReply.
  const parsed = incompleteReply(reply) ?? parseModelOutput(reply.output, offered.policy.tools);
  if (!parsed.ok) {
    return appendEvents(current, [{ type: "error", source: "model_output", message: parsed.message, raw: parsed.raw }], options);
  }
  const decision: NewEvent = {
    type: "model_decision",
    calls: parsed.calls.map((call, index) => ({ callId: `call_${current.version}_${index}`, ...call })),
    model: reply.modelId ?? options.model.id,
    latencyMs: Math.max(0, clock.now().getTime() - started),
    ...cleanUsage(reply.usage),
  };
  return appendEvents(current, [decision], options);
}

/** The output mode a step uses: the agent's, else the model's preference, else plain prompting. */
export function modeFor(runtime: Runtime, model: Model | undefined): OutputMode {
  return runtime.mode ?? model?.defaultMode ?? "prompt";
}

function toolContext(thread: Thread, callId: string, idempotencyKey: string, options: StepOptions): ToolContext {
  let signal = options.signal;
  return {
    idempotencyKey,
    callId,
    // Made when a tool reads it: most tools never do, and an AbortController per run was a few
    // percent of a step's overhead. Never aborted: the step was given no signal.
    get signal() {
      return (signal ??= new AbortController().signal);
    },
    ...(options.lease ? { fence: options.lease.fence } : {}),
    thread,
    model: options.model,
    clock: options.clock ?? systemClock,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.onModelDelta ? { onModelDelta: options.onModelDelta } : {}),
  };
}

/** What `run` receives: the checked arguments; invalid ones throw, and become the call's error event. */
function argsFor(tool: AnyTool, value: unknown): unknown {
  const checked = tool.checkArgs(value);
  if (!checked.ok) throw new Error(`Invalid arguments for "${tool.intent}": ${checked.message}.`);
  return checked.value;
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

/**
 * Throws unless the step may still cause an effect: not aborted, and the lease (when there is one)
 * still surely held. Only a synchronous call to the tool follows it, so no event-loop turn — no
 * renewal, no takeover noticed — fits in between.
 */
function ensureHeld(options: StepOptions): void {
  options.signal?.throwIfAborted();
  options.lease?.assertHeld();
}

async function runTool(
  runtime: Runtime,
  thread: Thread,
  call: OpenCall,
  tool: AnyTool,
  options: StepOptions,
  journal: Journal,
): Promise<Thread> {
  const idempotencyKey = call.idempotencyKey ?? `${thread.id}:${call.callId}`;
  // Durable before the tool runs, in one commit with what pure code added since the last one (the
  // decision that chose this call, when it was made in the same step).
  const current = await journal.flush(
    appendBuilt(thread, {
      type: "tool_started",
      at: stamp(options),
      callId: call.callId,
      intent: call.intent,
      args: call.runArgs,
      idempotencyKey,
      attempt: call.attempts + 1,
    }),
  );
  const failed = (error: unknown): Thread => {
    // A developer's misconfiguration (e.g. in a child agent) is not the model's to fix.
    if (options.signal?.aborted || error instanceof ConfigurationError) throw error;
    const callError: NewEvent = { type: "error", source: "tool", callId: call.callId, intent: call.intent, message: describeError(error) };
    // The family stops together: resuming the parent (after the fix) lets its model decide again.
    const familyFailure: NewEvent[] =
      error instanceof ChildFailed
        ? [
            {
              type: "failed",
              code: error.code,
              reason: `${error.message} Resume this thread (${current.id}), not the child's: its model decides again.`,
            },
          ]
        : [];
    return appendEvents(current, [callError, ...familyFailure], options);
  };
  // Started and durable, not run: recovery must run it (idempotent) or ask a person.
  faultPoint("tool-started");
  try {
    await runtime.hooks.beforeToolRun?.(call, current);
  } catch (error) {
    return failed(error);
  }
  // The last moment before the effect, outside the catch so it is never mistaken for the tool's own
  // failure: a process stopped since the commit above may have lost the thread to another holder.
  ensureHeld(options);
  let result: unknown;
  try {
    result = await tool.run!(argsFor(tool, call.runArgs), toolContext(current, call.callId, idempotencyKey, options));
  } catch (error) {
    return failed(error);
  }
  // Ran, its result not durable: the case recovery cannot tell from "never ran".
  faultPoint("tool-ran");
  // The tool ran: its result is committed before any other effect (the next flush, at the latest
  // before the next model call or tool run), so nothing after this can make it run again.
  // A tool that returned `sleep`/`waitUntil` leaves its call waiting: the result comes when it fires.
  const event =
    result instanceof Wait
      ? timerSetEvent(result, { timerId: call.callId, callId: call.callId, now: (options.clock ?? systemClock).now() })
      : resultEvent(call, result);
  const next =
    event.type === "tool_result" &&
    isJsonValue(event.result) &&
    (event.childThreadId === undefined || typeof event.childThreadId === "string")
      ? appendBuilt(current, {
          type: "tool_result",
          at: stamp(options),
          callId: event.callId,
          intent: event.intent,
          result: event.result,
          ...(event.childThreadId === undefined ? {} : { childThreadId: event.childThreadId }),
        })
      : appendEvents(current, [event], options);
  if (runtime.hooks.afterToolRun) {
    await journal.flush(next);
    await runtime.hooks.afterToolRun(call, result, next);
  }
  return next;
}

async function prefetch(runtime: Runtime, thread: Thread, options: StepOptions, journal: Journal): Promise<Thread> {
  await journal.flush(thread);
  const events: NewEvent[] = [];
  for (const [index, { tool, args }] of runtime.policy.prefetch.entries()) {
    const callId = `prefetch_${index}`;
    // Prefetch tools are idempotent (checked by defineAgent): after a crash they simply run again.
    const context = toolContext(thread, callId, `${thread.id}:${callId}`, options);
    ensureHeld(options);
    try {
      const result = await tool.run!(argsFor(tool, args), context);
      const event = resultEvent({ callId, intent: tool.intent } as OpenCall, result);
      events.push({ ...event, prefetched: true } as NewEvent);
    } catch (error) {
      if (options.signal?.aborted || error instanceof ConfigurationError) throw error;
      // The model sees the error; prefetch counts as done either way (see `nextAction`).
      events.push({ type: "error", source: "tool", callId, intent: tool.intent, message: describeError(error) });
    }
  }
  return appendEvents(thread, events, options);
}

/** A tool the agent's own plan chose: run like a prefetch tool (idempotent, recorded after the run). */
async function plannedCall(
  thread: Thread,
  action: Extract<NextAction, { type: "call" }>,
  options: StepOptions,
  journal: Journal,
): Promise<Thread> {
  const { tool, args, callId } = action;
  await journal.flush(thread);
  const context = toolContext(thread, callId, `${thread.id}:${callId}`, options);
  ensureHeld(options);
  try {
    const result = await tool.run!(argsFor(tool, args), context);
    return appendEvents(thread, [resultEvent({ callId, intent: tool.intent } as OpenCall, result)], options);
  } catch (error) {
    if (options.signal?.aborted || error instanceof ConfigurationError) throw error;
    return appendEvents(thread, [{ type: "error", source: "tool", callId, intent: tool.intent, message: describeError(error) }], options);
  }
}

/** Runs of an idempotent tool after crashes before a person is asked instead. */
const maxAttempts = 3;

function checkCompaction(result: unknown, thread: Thread): { upTo: number; summary: string } {
  const { upTo, summary } = (result ?? {}) as { upTo?: unknown; summary?: unknown };
  if (
    typeof upTo !== "number" ||
    !Number.isInteger(upTo) ||
    upTo < thread.state.compactedUpTo ||
    upTo > thread.version ||
    typeof summary !== "string"
  ) {
    throw new ConfigurationError(
      `The context's compact function returned ${JSON.stringify(result)}; it must return { upTo, summary } with an integer upTo from ${thread.state.compactedUpTo} to ${thread.version} and a string summary.`,
    );
  }
  return { upTo, summary };
}

/**
 * Carries out one action that needs no model call. Returns the new thread (its events committed
 * only as far as `Journal` requires), or `undefined` when the action is `decide`, `wait` or `stop`.
 */
async function executeAction(
  runtime: Runtime,
  thread: Thread,
  action: NextAction,
  options: StepOptions,
  journal: Journal,
): Promise<Thread | undefined> {
  switch (action.type) {
    case "stop":
    case "wait":
    case "decide":
    case "handoff":
      return undefined;
    case "prefetch":
      return prefetch(runtime, thread, options, journal);
    case "call":
      return plannedCall(thread, action, options, journal);
    case "gate":
    case "append":
      return appendEvents(thread, action.events, options);
    case "run_tool":
      return runTool(runtime, thread, action.call, action.tool, options, journal);
    case "recover":
      if (action.tool.idempotent && action.call.attempts < maxAttempts)
        return runTool(runtime, thread, action.call, action.tool, options, journal);
      return appendEvents(
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
      // The compactor is the user's code and may call a model: an effect.
      await journal.flush(thread);
      const compaction = checkCompaction(
        await context.compact({ thread, eventTokens: context.eventTokens(thread), maxTokens: context.maxTokens! }),
        thread,
      );
      // Even when nothing more can be dropped the attempt is recorded, so the next action is a decision.
      return appendEvents(thread, [{ type: "compaction", upTo: compaction.upTo, summary: compaction.summary }], options);
    }
  }
}

/** Runs every action that needs no model call, until the thread needs a decision or waits; committed. */
export async function executeAll(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  const journal = new Journal(thread, options.commit);
  return journal.flush(await executeWith(runtime, thread, options, journal));
}

async function executeWith(runtime: Runtime, thread: Thread, options: StepOptions, journal: Journal): Promise<Thread> {
  let current = thread;
  for (;;) {
    if (options.signal?.aborted) {
      // A tool's result may be waiting for its commit: store it before stopping, so it never runs again.
      await journal.flush(current);
      options.signal.throwIfAborted();
    }
    const action = await plan(runtime, current);
    const next = await executeAction(runtime, current, action, options, journal);
    if (!next) return current;
    current = next;
  }
}

/**
 * One step: the actions that need no model call, a decision when one is needed, and what follows
 * from it. The decision is committed with the events that follow it without an effect in between
 * (its `tool_started`, its gate, `done`).
 */
export async function takeStep(runtime: Runtime, thread: Thread, options: StepOptions): Promise<Thread> {
  const journal = new Journal(thread, options.commit);
  let current = await executeWith(runtime, thread, options, journal);
  if ((await plan(runtime, current)).type === "decide") {
    current = await executeWith(runtime, await decideWith(runtime, current, options, journal), options, journal);
  }
  return journal.flush(current);
}
