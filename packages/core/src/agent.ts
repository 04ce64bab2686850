/**
 * `defineAgent`: tools, prompt, context and limits in one validated value, with the small API that
 * drives a thread: `step`, `run`, `render`, and the human actions (`approve`, `reject`, `respond`).
 * Every method takes a thread and returns a new one; the agent itself holds no state.
 */
import { z } from "zod";
import { systemClock, type Clock } from "./clock.ts";
import { ConfigurationError, InvalidInputError, StateConflictError } from "./errors.ts";
import type { JsonValue } from "./events.ts";
import { hashArgs } from "./hash.ts";
import { defaultPrompt, type PromptFunction } from "./default-prompt.ts";
import type { Model, ModelMessage, OutputMode } from "./model.ts";
import { intentSpecs, nextStepSchema, toJson } from "./next-step.ts";
import { nextAction, type Limits, type NextAction, type Policy } from "./next-action.ts";
import { xmlContext, type ContextRenderer } from "./render-context.ts";
import { applyAll, buildPrompt, decide, modeFor, takeStep, type AgentHooks, type Runtime, type StepOptions } from "./step.ts";
import { Thread, type ThreadOptions } from "./thread.ts";
import { formatIssues } from "./errors.ts";
import { countTokens } from "./tokens.ts";
import type { AnyTool } from "./tools.ts";
import { childAgentTool, type ChildAgentToolOptions } from "./child-agent.ts";

export interface AgentDefinition {
  /** Names the agent in threads, the API and the default prompt. */
  name: string;
  description?: string;
  /** Extra instructions for the default prompt. */
  instructions?: string;
  tools: readonly AnyTool[];
  /** Your prompt: `(context) => messages`. Default: `defaultPrompt` (see default-prompt.ts). */
  prompt?: PromptFunction;
  /** Your context renderer. Default: `xmlContext()`. */
  context?: ContextRenderer;
  /** Output mode; default: the model's preference, else `prompt`. */
  mode?: OutputMode;
  limits?: Partial<Limits>;
  /** Tools run before the first model call, their results appended (factor 13). */
  prefetch?: readonly (AnyTool | { tool: AnyTool; args?: Record<string, unknown> })[];
  hooks?: AgentHooks;
}

export interface RenderedPrompt {
  /** Exactly what the model would receive. */
  messages: ModelMessage[];
  /** The rendered thread inside it. */
  context: string;
  /** Tokens of all message contents, counted when first read. */
  tokens: number;
  /** The output mode it was rendered for: the one asked for, else the agent's, else the model's preference, else `prompt`. */
  mode: OutputMode;
}

export interface Agent extends Runtime {
  readonly tools: readonly AnyTool[];
  /** A new thread for this agent starting with a user message. */
  start(input: string | { text: string; actor?: string; source?: string }, options?: ThreadOptions & { clock?: Clock }): Thread;
  /**
   * What the next step would send to the model (with the same output mode rule: the agent's, else
   * the model's preference). Never calls the model. `beforeModelCall` hooks are not applied.
   */
  render(thread: Thread, options?: { mode?: OutputMode; model?: Model }): RenderedPrompt;
  /** What the loop will do next (pure). */
  nextAction(thread: Thread): NextAction;
  /** All effects that need no model call: gates, tool runs, limits. Never calls the model. */
  apply(thread: Thread, options: StepOptions): Promise<Thread>;
  /** One model call: appends the decision or a compact error. */
  decide(thread: Thread, options: StepOptions): Promise<Thread>;
  /** Pending effects, then one model decision and its effects. */
  step(thread: Thread, options: StepOptions): Promise<Thread>;
  /** Steps until the thread waits for a person, finishes or fails. */
  run(thread: Thread, options: StepOptions): Promise<Thread>;
  approve(thread: Thread, callId: string, decision?: ApproveOptions): Thread;
  reject(thread: Thread, callId: string, decision?: { comment?: string; actor?: string; clock?: Clock } & RequestKeys): Thread;
  respond(thread: Thread, callId: string, text: string, options?: { actor?: string; clock?: Clock } & RequestKeys): Thread;
  message(thread: Thread, text: string, options?: { actor?: string; source?: string; clock?: Clock } & RequestKeys): Thread;
  cancel(thread: Thread, options?: { reason?: string; actor?: string; clock?: Clock }): Thread;
  /** This agent as a tool of another: it runs in its own thread (factor 10). */
  asTool(options: ChildAgentToolOptions): AnyTool;
}

/**
 * The request behind a person's change, recorded on its event: a retried request with the same
 * `idempotencyKey` finds that event instead of adding another (the HTTP API's `Idempotency-Key`).
 */
export interface RequestKeys {
  idempotencyKey?: string;
  /** A hash of the request, so the same key sent with a different request can be refused. */
  requestHash?: string;
}

/** The request keys as event fields, leaving out the ones not given. */
function requestFields(options: RequestKeys): RequestKeys {
  return {
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    ...(options.requestHash === undefined ? {} : { requestHash: options.requestHash }),
  };
}

export interface ApproveOptions extends RequestKeys {
  /** Who approved; recorded in the event. */
  actor?: string;
  comment?: string;
  /** Edited arguments: validated against the tool's schema; exactly these run. */
  args?: Record<string, unknown>;
  /** The hash of the arguments the approver saw; a mismatch is a conflict. */
  argsHash?: string;
  clock?: Clock;
}

const namePattern = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,99}$/;

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError(`limits.${name} must be a positive integer, got ${value}.`);
  return value;
}

/**
 * Defines an agent. Validates everything up front: duplicate intents, prefetch tools, limits.
 *
 * @example
 * const calculator = defineAgent({
 *   name: "calculator",
 *   tools: [add, divide, askHuman(), doneForNow()],
 *   limits: { maxSteps: 20, maxConsecutiveErrors: 3 },
 * });
 * let thread = calculator.start("can you divide 3 by 4");
 * thread = await calculator.run(thread, { model });
 * thread.status; // "awaiting_approval"
 */
export function defineAgent(definition: AgentDefinition): Agent {
  if (!namePattern.test(definition.name ?? "")) {
    throw new ConfigurationError(
      `Agent name ${JSON.stringify(definition.name)} is invalid: use 1-100 letters, digits, "_", "." or "-".`,
    );
  }
  if (!Array.isArray(definition.tools) || definition.tools.length === 0) {
    throw new ConfigurationError(`Agent "${definition.name}" needs at least one tool (e.g. doneForNow()).`);
  }
  const tools = new Map<string, AnyTool>();
  for (const tool of definition.tools) {
    if (!tool || typeof tool.intent !== "string" || !tool.parameters) {
      throw new ConfigurationError(`Agent "${definition.name}": every tool must come from defineTool(), askHuman() or doneForNow().`);
    }
    if (tools.has(tool.intent)) throw new ConfigurationError(`Agent "${definition.name}": intent "${tool.intent}" is defined twice.`);
    tools.set(tool.intent, tool);
  }
  const knownLimits = new Set(["maxSteps", "maxConsecutiveErrors", "onErrorLimit"]);
  for (const key of Object.keys(definition.limits ?? {})) {
    if (!knownLimits.has(key)) throw new ConfigurationError(`Unknown limit "${key}". Limits: ${[...knownLimits].join(", ")}.`);
  }
  if (definition.mode !== undefined && !["tools", "json", "prompt"].includes(definition.mode)) {
    throw new ConfigurationError(`mode must be "tools", "json" or "prompt", got ${JSON.stringify(definition.mode)}.`);
  }
  if (definition.prompt !== undefined && typeof definition.prompt !== "function") {
    throw new ConfigurationError("prompt must be a function (context) => messages; see defaultPrompt.");
  }
  if (definition.context !== undefined && typeof definition.context?.render !== "function") {
    throw new ConfigurationError("context must be a renderer such as xmlContext({ ... }).");
  }
  for (const [name, hook] of Object.entries(definition.hooks ?? {})) {
    if (!["beforeModelCall", "afterModelCall", "beforeToolRun", "afterToolRun"].includes(name) || typeof hook !== "function") {
      throw new ConfigurationError(`Hook "${name}" is not a known hook function. Hooks: beforeModelCall, afterModelCall, beforeToolRun, afterToolRun.`);
    }
  }
  const limits: Limits = {
    maxSteps: positiveInteger(definition.limits?.maxSteps, "maxSteps", 20),
    maxConsecutiveErrors: positiveInteger(definition.limits?.maxConsecutiveErrors, "maxConsecutiveErrors", 3),
    onErrorLimit: definition.limits?.onErrorLimit ?? "escalate",
  };
  if (limits.onErrorLimit !== "escalate" && limits.onErrorLimit !== "fail") {
    throw new ConfigurationError(`limits.onErrorLimit must be "escalate" or "fail", got ${JSON.stringify(limits.onErrorLimit)}.`);
  }
  const prefetch = (definition.prefetch ?? []).map((entry) => {
    const { tool, args } = "tool" in entry ? { tool: entry.tool, args: entry.args ?? {} } : { tool: entry as AnyTool, args: {} };
    if (!tool?.parameters) throw new ConfigurationError("Each prefetch entry must be a tool or { tool, args }.");
    if (!tool.run) throw new ConfigurationError(`Prefetch tool "${tool.intent}" has no run function.`);
    if (!tool.idempotent) {
      throw new ConfigurationError(
        `Prefetch tool "${tool.intent}" must be idempotent (idempotent: true): prefetch runs before anything is recorded, so it may run again after a crash.`,
      );
    }
    const parsed = tool.args.safeParse(args);
    if (!parsed.success) {
      throw new ConfigurationError(`Prefetch "${tool.intent}": arguments are invalid: ${formatIssues(parsed.error.issues)}. Pass { tool, args }.`);
    }
    return { tool, args };
  });
  const policy: Policy = { tools, limits, prefetch, context: definition.context ?? xmlContext() };

  const runtime: Runtime = {
    name: definition.name,
    description: definition.description,
    instructions: definition.instructions,
    policy,
    prompt: definition.prompt ?? defaultPrompt,
    mode: definition.mode,
    hooks: definition.hooks ?? {},
    schema: nextStepSchema(definition.tools),
    intents: intentSpecs(definition.tools),
  };

  const agent: Agent = {
    ...runtime,
    tools: definition.tools,
    start(input, options = {}) {
      return Thread.start(input, { ...options, agent: definition.name });
    },
    render(thread, options = {}) {
      const mode = options.mode ?? modeFor(runtime, options.model);
      const { messages, context } = buildPrompt(runtime, thread, mode);
      let tokens: number | undefined;
      return {
        messages,
        context,
        mode,
        // Counted on first read: a caller that only wants the messages never loads the tokenizer.
        get tokens() {
          return (tokens ??= messages.reduce((sum, message) => sum + countTokens(message.content), 0));
        },
      };
    },
    nextAction(thread) {
      return nextAction(policy, thread);
    },
    apply(thread, options) {
      return applyAll(runtime, thread, options);
    },
    decide(thread, options) {
      return decide(runtime, thread, options);
    },
    step(thread, options) {
      return takeStep(runtime, thread, options);
    },
    async run(thread, options) {
      let current = thread;
      for (;;) {
        const next = await agent.step(current, options);
        if (next === current || nextAction(policy, next).type !== "decide") return next;
        current = next;
      }
    },
    approve(thread, callId, decision = {}) {
      const item = pendingApproval(thread, callId);
      if (decision.argsHash !== undefined && decision.argsHash !== item.argsHash) {
        throw new StateConflictError(`The arguments of call ${callId} are not the ones you saw (hash mismatch); reload the thread and decide again.`);
      }
      let args: Record<string, JsonValue> | undefined;
      if (decision.args !== undefined) {
        const tool = tools.get(item.intent);
        // Strict: a key the tool would drop must not be recorded as approved.
        const parsed = tool?.args.strict().safeParse(decision.args);
        if (!tool || !parsed?.success) {
          const why = parsed && !parsed.success ? formatIssues(parsed.error.issues) : `unknown intent ${item.intent}`;
          throw new InvalidInputError(`Edited arguments for "${item.intent}" are invalid: ${why}. Expected: ${JSON.stringify(tool?.parameters ?? {})}`);
        }
        // Keep the input shape: the tool parses these again when it runs.
        args = toJson(decision.args) as Record<string, JsonValue>;
      }
      return thread.append(
        [
          {
            type: "approval_decision",
            callId,
            approved: true,
            argsHash: hashArgs(args ?? item.args),
            actor: decision.actor ?? "anonymous",
            ...(decision.comment === undefined ? {} : { comment: decision.comment }),
            ...(args === undefined ? {} : { args }),
            ...requestFields(decision),
          },
        ],
        decision.clock,
      );
    },
    reject(thread, callId, decision = {}) {
      const item = pendingApproval(thread, callId);
      return thread.append(
        [
          {
            type: "approval_decision",
            callId,
            approved: false,
            argsHash: item.argsHash,
            actor: decision.actor ?? "anonymous",
            ...(decision.comment === undefined ? {} : { comment: decision.comment }),
            ...requestFields(decision),
          },
        ],
        decision.clock,
      );
    },
    respond(thread, callId, text, options = {}) {
      const item = thread.pendingItem(callId);
      if (item.kind === "approval") {
        throw new StateConflictError(`Call ${callId} on thread ${thread.id} waits for an approval: approve or reject it.`);
      }
      if (item.kind === "child") {
        throw new StateConflictError(`Call ${callId} waits for child thread ${item.childThreadId}; answer what is pending on that thread.`);
      }
      const answer = normalizeAnswer(text, item.format, item.choices);
      return thread.append([{ type: "human_response", callId, text: answer, actor: options.actor ?? "anonymous", ...requestFields(options) }], options.clock);
    },
    message(thread, text, options = {}) {
      if (typeof text !== "string" || text.trim() === "") throw new InvalidInputError("A message needs non-empty text.");
      if (thread.status === "running" && thread.state.openCalls.length > 0) {
        throw new StateConflictError(`Thread ${thread.id} is in the middle of a step; send the message once it pauses or finishes.`);
      }
      return thread.append(
        [
          {
            type: "user_input",
            text,
            ...(options.actor ? { actor: options.actor } : {}),
            ...(options.source ? { source: options.source } : {}),
            ...requestFields(options),
          },
        ],
        options.clock,
      );
    },
    cancel(thread, options = {}) {
      if (thread.state.terminal) throw new StateConflictError(`Thread ${thread.id} is already ${thread.status}; nothing to cancel.`);
      return thread.append(
        [{ type: "cancel", ...(options.reason ? { reason: options.reason } : {}), ...(options.actor ? { actor: options.actor } : {}) }],
        options.clock ?? systemClock,
      );
    },
    asTool(options) {
      return childAgentTool(agent, options);
    },
  };
  return Object.freeze(agent);
}

/** The pending approval for a call, or a conflict that says what the call waits for instead. */
function pendingApproval(thread: Thread, callId: string) {
  const item = thread.pendingItem(callId);
  if (item.kind === "question") {
    throw new StateConflictError(`Call ${callId} on thread ${thread.id} waits for an answer, not an approval: respond to it instead.`);
  }
  if (item.kind === "child") {
    throw new StateConflictError(`Call ${callId} waits for child thread ${item.childThreadId}; approve or reject what is pending on that thread.`);
  }
  return item;
}

function normalizeAnswer(text: string, format: "free_text" | "yes_no" | "multiple_choice", choices: readonly string[] | undefined): string {
  const answer = z.string().safeParse(text);
  if (!answer.success || answer.data.trim() === "") throw new InvalidInputError("An answer needs non-empty text.");
  const trimmed = answer.data.trim();
  if (format === "yes_no") {
    const lower = trimmed.toLowerCase();
    if (["yes", "y", "true"].includes(lower)) return "yes";
    if (["no", "n", "false"].includes(lower)) return "no";
    throw new InvalidInputError(`This question expects "yes" or "no", got ${JSON.stringify(trimmed)}.`);
  }
  if (format === "multiple_choice" && choices && choices.length > 0) {
    const match = choices.find((choice) => choice.toLowerCase() === trimmed.toLowerCase());
    if (!match) throw new InvalidInputError(`Answer with one of: ${choices.map((choice) => JSON.stringify(choice)).join(", ")}.`);
    return match;
  }
  return answer.data;
}
