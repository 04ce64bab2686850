/**
 * Tools are structured outputs: a tool is an intent with typed arguments. Running a function is one
 * thing the control flow may do with it; asking a human or finishing are others.
 */
import { ConfigurationError } from "./errors.ts";
import { checkedArgs, type ArgsCheck, type ArgsOutput, type ToolArgs } from "./tool-args.ts";
import type { Clock } from "./clock.ts";
import type { JsonSchema, Model, ModelDelta } from "./model.ts";
import type { ThreadStore } from "./store.ts";
import type { ToolSource } from "./tool-sources.ts";
import type { Thread } from "./thread.ts";

/** Whether a call needs a human's approval before it runs. A predicate sees the arguments and thread. */
export type ApprovalPolicy<Args> = "required" | "never" | ((args: Args, thread: Thread) => boolean);

/**
 * What the control flow does with a chosen intent:
 * - `action`: run it (after approval when the policy says so); a tool without `run` waits for an
 *   external result, submitted like a human's answer;
 * - `human`: ask a person and wait for the answer;
 * - `finish`: the agent is done for now;
 * - `handoff`: another agent (`handoffTo`) takes the conversation over and drives the thread.
 */
export type ToolKind = "action" | "human" | "finish" | "handoff";

export interface ToolContext {
  /** Stable for this call in this thread: pass it to the systems you call so a retry is safe. */
  idempotencyKey: string;
  callId: string;
  /**
   * Aborted when the step is canceled or the thread's lease is lost (or can no longer be counted
   * on): stop, and do not start a new side effect.
   */
  signal: AbortSignal;
  /**
   * The fencing token of the lease the step runs under, when it runs under one. It grows with every
   * new lease on the thread: a downstream system that remembers the highest fence it saw for this
   * thread and refuses lower ones cannot be written by a process that lost the thread.
   */
  fence?: number;
  /** The thread as of just before this tool runs. */
  thread: Thread;
  /** The model the step was given, for tools that run other agents. */
  model: Model;
  /** The step's clock, so child agents and timestamps follow a fake clock in tests. */
  clock: Clock;
  /** The store the thread lives in, when the step was given one: child agents' threads go there too. */
  threads?: ThreadStore;
  /**
   * The step's `onModelDelta`, when it was given one: a tool that runs an agent (a child agent)
   * hands it the pieces of that agent's model replies, for the people watching this thread.
   */
  onModelDelta?: (delta: ModelDelta, thread: Thread) => void;
}

/** Any argument schema: a Standard Schema (zod, Valibot, ArkType…) or a JSON Schema object. */
export type AnyArgs = ToolArgs;

export interface ToolDefinition<Intent extends string, Args extends AnyArgs> {
  intent: Intent;
  description: string;
  /**
   * The arguments: a schema of an object from zod 4 (classic or mini), ArkType, Valibot, zod 3 or
   * any Standard Schema library, or a plain JSON Schema object (then `run` gets a plain record).
   */
  args: Args;
  /**
   * The JSON Schema the model is shown, for a schema library without a converter of its own
   * (Valibot, zod 3); zod 4 and ArkType make theirs.
   */
  jsonSchema?: JsonSchema;
  run?: (args: ArgsOutput<Args>, context: ToolContext) => unknown;
  approval?: ApprovalPolicy<ArgsOutput<Args>>;
  /** May be re-run after a crash with the same idempotency key. Default false. */
  idempotent?: boolean;
  kind?: ToolKind;
  /** Consecutive errors of this tool before the agent escalates (see the agent's `limits`). */
  maxConsecutiveErrors?: number;
  /**
   * How long its approval request (or, for `human` tools and tools without `run`, its question) may
   * wait, and what happens then: `reject`, `remind` the same people, or `escalate` to `to`.
   */
  deadline?: RequestDeadlineOptions;
  /** For `human` tools: turns the arguments into the question a person sees. */
  toQuestion?: (args: ArgsOutput<Args>) => HumanQuestion;
  /** For `finish` tools: the final message. Default: `args.message`. */
  toMessage?: (args: ArgsOutput<Args>) => string;
  /** For `handoff` tools: the name of the agent that takes over (see `agent.asHandoff()`). */
  handoffTo?: string;
  /**
   * The tool source that listed this tool (`mcpTools` sets it): an agent with such tools records the
   * source's list in each thread and offers the thread's list from then on (see tool-sources.ts).
   */
  source?: ToolSource;
}

/** A request's deadline: `afterMs` after it is made, `action` happens (see `deadline` on a tool). */
export interface RequestDeadlineOptions {
  afterMs: number;
  action: "reject" | "remind" | "escalate";
  /** Who is asked when it escalates (people or channels, as your deployment names them); required for `escalate`. */
  to?: string[];
}

/** Checks a tool's deadline at definition time, with a message that says what to fix. */
function checkDeadline(intent: string, deadline: RequestDeadlineOptions | undefined): void {
  if (deadline === undefined) return;
  const example = '{ afterMs: 3_600_000, action: "escalate", to: ["#oncall"] }';
  if (!Number.isInteger(deadline.afterMs) || deadline.afterMs < 1) {
    throw new ConfigurationError(
      `Tool "${intent}": deadline.afterMs must be a whole number of milliseconds of at least 1, e.g. ${example}.`,
    );
  }
  if (!["reject", "remind", "escalate"].includes(deadline.action)) {
    throw new ConfigurationError(
      `Tool "${intent}": deadline.action must be "reject", "remind" or "escalate", got ${JSON.stringify(deadline.action)}.`,
    );
  }
  const to = deadline.to;
  if (to !== undefined && !(Array.isArray(to) && to.every((name) => typeof name === "string" && name !== ""))) {
    throw new ConfigurationError(`Tool "${intent}": deadline.to must be a list of non-empty names, e.g. ${example}.`);
  }
  if (deadline.action === "escalate" && !to?.length) {
    throw new ConfigurationError(`Tool "${intent}": a deadline that escalates needs someone to escalate to, e.g. ${example}.`);
  }
}

export interface HumanQuestion {
  question: string;
  context?: string;
  urgency?: "low" | "medium" | "high";
  format?: "free_text" | "yes_no" | "multiple_choice";
  choices?: string[];
}

export interface Tool<Intent extends string = string, Args extends AnyArgs = AnyArgs> extends ToolDefinition<Intent, Args> {
  readonly kind: ToolKind;
  readonly approval: ApprovalPolicy<ArgsOutput<Args>>;
  readonly idempotent: boolean;
  /** JSON Schema of the arguments (without `intent`). */
  readonly parameters: JsonSchema;
  /** Top-level argument names, from `parameters`. */
  readonly argKeys: ReadonlySet<string>;
  /** Validates arguments and returns what `run` receives, or a one-line message; never throws for bad input. */
  readonly checkArgs: (value: unknown) => ArgsCheck;
}

/** Any tool, whatever its argument types. */
// biome-ignore lint: a tool list mixes argument types; `any` is confined to this alias.
export type AnyTool = Tool<string, any>;

const intentPattern = /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/;

/**
 * Declares an intent the model may choose, with typed arguments.
 *
 * @example
 * const divide = defineTool({
 *   intent: "divide",
 *   description: "divide a by b",
 *   args: z.object({ a: z.number(), b: z.number() }),
 *   approval: "required",
 *   run: ({ a, b }) => a / b,
 * });
 */
export function defineTool<const Intent extends string, Args extends AnyArgs>(
  definition: ToolDefinition<Intent, Args>,
): Tool<Intent, Args> {
  if (!intentPattern.test(definition.intent)) {
    throw new ConfigurationError(
      `Tool intent ${JSON.stringify(definition.intent)} is invalid: use 1-64 letters, digits, "_" or "-", starting with a letter or "_".`,
    );
  }
  if (!definition.description?.trim()) {
    throw new ConfigurationError(`Tool "${definition.intent}" needs a description: the model reads it to choose.`);
  }
  const approval = definition.approval ?? "never";
  if (approval !== "required" && approval !== "never" && typeof approval !== "function") {
    throw new ConfigurationError(
      `Tool "${definition.intent}": approval must be "required", "never" or a function (args, thread) => boolean.`,
    );
  }
  checkDeadline(definition.intent, definition.deadline);
  if (
    definition.maxConsecutiveErrors !== undefined &&
    !(Number.isInteger(definition.maxConsecutiveErrors) && definition.maxConsecutiveErrors >= 1)
  ) {
    throw new ConfigurationError(`Tool "${definition.intent}": maxConsecutiveErrors must be an integer of at least 1.`);
  }
  if (definition.kind !== undefined && !["action", "human", "finish", "handoff"].includes(definition.kind)) {
    throw new ConfigurationError(
      `Tool "${definition.intent}": kind must be "action", "human", "finish" or "handoff", got ${JSON.stringify(definition.kind)}.`,
    );
  }
  if ((definition.kind === "handoff") !== (typeof definition.handoffTo === "string" && definition.handoffTo !== "")) {
    throw new ConfigurationError(
      `Tool "${definition.intent}": a handoff tool needs handoffTo (the agent's name), and only a handoff tool has one; use agent.asHandoff().`,
    );
  }
  if (definition.run !== undefined && typeof definition.run !== "function") {
    throw new ConfigurationError(`Tool "${definition.intent}": run must be a function (args, context) => result.`);
  }
  const { parameters, keys, check } = checkedArgs(definition.intent, definition.args, definition.jsonSchema);
  return Object.freeze({
    ...definition,
    kind: definition.kind ?? "action",
    approval,
    idempotent: definition.idempotent ?? false,
    parameters,
    argKeys: keys,
    checkArgs: check,
  });
}
