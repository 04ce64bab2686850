/**
 * `defineAgent`: tools, prompt, context and limits in one validated value, with the small API that
 * drives a thread: `step`, `run`, `execute`, `decide`, `render`, and the human actions (`approve`,
 * `reject`, `respond`, `message`, `cancel`).
 * Every method takes a thread and returns a new one; the agent itself holds no state.
 */
import { validatedPolicy } from "./agent-definition.ts";
import { childAgentTool, type ChildAgentToolOptions } from "./child-agent.ts";
import type { Clock } from "./clock.ts";
import { defaultPrompt, type PromptFunction } from "./default-prompt.ts";
import { addMessage, answerQuestion, approveCall, cancelThread, rejectCall, resumeThread } from "./human-changes.ts";
import type { Model, ModelMessage, OutputMode } from "./model.ts";
import { intentSpecs, nextStepSchema } from "./model-output.ts";
import { handoffTool, type HandoffToolOptions } from "./handoff.ts";
import { plannedAction, type PlanFunction } from "./own-plan.ts";
import type { Limits, NextAction } from "./plan.ts";
import type { ContextRenderer } from "./render-context.ts";
import { policyAsOf } from "./tool-sources.ts";
import { buildPrompt, decide, executeAll, modeFor, takeStep, type AgentHooks, type Runtime, type StepOptions } from "./step.ts";
import { Thread, type ThreadOptions } from "./thread.ts";
import { countTokens } from "./tokens.ts";
import type { AnyTool } from "./tools.ts";
import type { OpenCallOf } from "./typed-calls.ts";

/**
 * Everything an agent is made of. `Tools` is inferred from `tools` by `defineAgent`: an own `plan`
 * then sees calls typed by intent (`OpenCallOf<Tools>`).
 */
export interface AgentDefinition<Tools extends readonly AnyTool[] = readonly AnyTool[]> {
  /** Names the agent in threads, the API and the default prompt. */
  name: string;
  description?: string;
  /** Extra instructions for the default prompt. */
  instructions?: string;
  tools: Tools;
  /** Your prompt: `(context) => messages`. Default: `defaultPrompt` (see default-prompt.ts). */
  prompt?: PromptFunction;
  /** Your context renderer. Default: `xmlContext()`. */
  context?: ContextRenderer;
  /** Output mode; default: the model's preference, else `prompt`. */
  mode?: OutputMode;
  limits?: Partial<Limits>;
  /**
   * The model spec this agent runs with by default (`"anthropic:claude-sonnet-4-5"`,
   * `"openai:gpt-4o-mini"`…): runners use it unless `--model`, `AGENTFOLD_MODEL` or a launch
   * request's `model` names another.
   */
  model?: string;
  /**
   * Your own control flow: what happens next, from the thread, as plan data (`NextAction`); call
   * `next()` to fall back to the default. `agentfold serve` and the CLI run it like the default.
   * The calls it sees are typed by the tools: switching on `call.intent` narrows `call.args`.
   */
  plan?: PlanFunction<OpenCallOf<Tools>>;
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
  /** The model spec of the definition, when it names one. */
  readonly model: string | undefined;
  /** A new thread for this agent starting with a user message. */
  start(input: string | { text: string; actor?: string; source?: string }, options?: ThreadOptions & { clock?: Clock }): Thread;
  /**
   * What the next step would send to the model (with the same output mode rule: the agent's, else
   * the model's preference). Never calls the model. `beforeModelCall` hooks are not applied.
   */
  render(thread: Thread, options?: { mode?: OutputMode; model?: Model }): RenderedPrompt;
  /** What the loop will do next (pure). */
  nextAction(thread: Thread): NextAction;
  /** Executes every planned action that needs no model call: gates, tool runs, limits. Never calls the model. */
  execute(thread: Thread, options: StepOptions): Promise<Thread>;
  /**
   * The former name of `execute`, kept working. "Apply" now means only a person's action applied to
   * a thread (`applyHumanAction`).
   * @deprecated Use `execute`.
   */
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
  /** After a model failure (`failed` with a `code`) is fixed: the model decides again. */
  resume(thread: Thread, options?: { actor?: string; clock?: Clock }): Thread;
  /** This agent as a tool of another: it runs in its own thread (factor 10). */
  asTool(options: ChildAgentToolOptions): AnyTool;
  /** A tool another agent's model chooses to hand the conversation to this agent, which then drives the thread. */
  asHandoff(options?: HandoffToolOptions): AnyTool;
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

/**
 * Defines an agent. Validates everything up front (agent-definition.ts): duplicate intents, prefetch
 * tools, limits.
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
export function defineAgent<const Tools extends readonly AnyTool[]>(definition: AgentDefinition<Tools>): Agent {
  const policy = validatedPolicy(definition);
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
    // The plan's calls are of these tools with checked arguments (see typed-calls.ts), which is what
    // its typed view promises; the runtime hands it plain open calls.
    plan: definition.plan as PlanFunction | undefined,
  };

  const agent: Agent = {
    ...runtime,
    tools: definition.tools,
    model: definition.model,
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
      return plannedAction(runtime, thread);
    },
    execute(thread, options) {
      return executeAll(runtime, thread, options);
    },
    apply(thread, options) {
      return executeAll(runtime, thread, options);
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
        if (next === current || plannedAction(runtime, next).type !== "decide") return next;
        current = next;
      }
    },
    approve(thread, callId, decision = {}) {
      return approveCall(policyAsOf(policy, thread).tools, thread, callId, decision);
    },
    reject(thread, callId, decision = {}) {
      return rejectCall(thread, callId, decision);
    },
    respond(thread, callId, text, options = {}) {
      return answerQuestion(thread, callId, text, options);
    },
    message(thread, text, options = {}) {
      return addMessage(thread, text, options);
    },
    cancel(thread, options = {}) {
      return cancelThread(thread, options);
    },
    resume(thread, options = {}) {
      return resumeThread(thread, options);
    },
    asTool(options) {
      return childAgentTool(agent, options);
    },
    asHandoff(options) {
      return handoffTool(agent, options);
    },
  };
  return Object.freeze(agent);
}
