/**
 * The plan (factor 8, own your control flow): what happens next — a `NextAction` — is a pure
 * function of the agent's policy and the thread, `nextAction(policy, thread)`. The loop (see
 * `step.ts`) only carries actions out; your own loop can do the same.
 */
import { z } from "zod";
import { ConfigurationError, describeError, formatIssues } from "./errors.ts";
import type { NewEvent } from "./events.ts";
import { canonicalJson, hashArgs } from "./hash.ts";
import { toJson } from "./model-output.ts";
import type { ContextRenderer } from "./render-context.ts";
import type { Thread } from "./thread.ts";
import { statusOf, type OpenCall, type ThreadStatus } from "./thread-state.ts";
import { policyAsOf } from "./tool-sources.ts";
import type { AnyTool } from "./tools.ts";

export interface Limits {
  /** Model calls allowed since the last user input or human answer (default 20). */
  maxSteps: number;
  /** Consecutive errors before escalating (default 3). A tool's own `maxConsecutiveErrors` also applies. */
  maxConsecutiveErrors: number;
  /** What reaching the error limit does: ask a human how to proceed (default) or fail the thread. */
  onErrorLimit: "escalate" | "fail";
}

/** The parts of an agent that decide what happens next. */
export interface Policy {
  tools: ReadonlyMap<string, AnyTool>;
  limits: Limits;
  prefetch: readonly { tool: AnyTool; args: Record<string, unknown> }[];
  context: ContextRenderer;
  /** The agent's name: a thread a handoff passed to another agent is not this one's to step. */
  agent?: string;
}

export type NextAction<Call = OpenCall> =
  /** The thread is done, failed or canceled. */
  | { type: "stop"; status: ThreadStatus }
  /** Waiting for an approval, an answer or a child agent. */
  | { type: "wait"; status: ThreadStatus }
  /** Run the prefetch tools before the first model call. */
  | { type: "prefetch" }
  /** Record approval requests and questions for the calls that need them. */
  | { type: "gate"; events: NewEvent[] }
  /** Run a tool call (new, approved, or a resumed child agent). */
  | { type: "run_tool"; call: Call; tool: AnyTool }
  /** A call started but never reported: re-run it (idempotent) or ask a human what happened. */
  | { type: "recover"; call: Call; tool: AnyTool }
  /**
   * Append events that finish the thread, hand it to another agent, set a timer (an own plan's
   * `timer_set`: the thread waits until it fires), or close a call without running anything.
   */
  | { type: "append"; events: NewEvent[]; reason: "finish" | "handoff" | "timer" | "error_limit" | "step_limit" | "invalid_call" }
  /**
   * Run a tool the control flow chose (not the model), e.g. a health check before finishing: made by
   * the `call` helper of an agent's own `plan`. Idempotent tools only, like prefetch: the result is
   * recorded after the run, and a crash before that runs it again with the same key.
   */
  | { type: "call"; tool: AnyTool; args: Record<string, unknown>; callId: string }
  /** A handoff passed the thread to another agent, which drives it from here: step it with that one. */
  | { type: "handoff"; to: string }
  /** The context is over its token budget: compact it. */
  | { type: "compact" }
  /** Ask the model for the next step. */
  | { type: "decide" };

type Gate = "run" | "approve" | "ask" | "external" | "finish";

/** A call's arguments as its tool receives them (defaults filled, transforms applied). */
type Parsed = { ok: true; args: unknown } | { ok: false; message: string };

// Open calls are immutable and the planner looks at them several times per step: parse each once.
const parsedCalls = new WeakMap<OpenCall, { tool: AnyTool; parsed: Parsed }>();

function parseArgs(call: OpenCall, tool: AnyTool): Parsed {
  const cached = parsedCalls.get(call);
  if (cached?.tool === tool) return cached.parsed;
  const result = tool.checkArgs(call.runArgs);
  const parsed: Parsed = result.ok
    ? { ok: true, args: result.value }
    : { ok: false, message: `The arguments of ${call.intent} are no longer valid for its tool: ${result.message}.` };
  parsedCalls.set(call, { tool, parsed });
  return parsed;
}

function gateOf(tool: AnyTool, args: unknown, thread: Thread): Gate {
  if (tool.kind === "finish" || tool.kind === "handoff") return "finish";
  if (tool.kind === "human") return "ask";
  if (!tool.run) return "external";
  if (tool.approval === "required") return "approve";
  if (typeof tool.approval === "function") return tool.approval(args, thread) ? "approve" : "run";
  return "run";
}

/** What `toQuestion` must return; made on first use, so importing agentfold does not construct it. */
const questionShapeSchema = () =>
  z.object({
    question: z.string().min(1),
    context: z.string().optional(),
    urgency: z.enum(["low", "medium", "high"]).optional(),
    format: z.enum(["free_text", "yes_no", "multiple_choice"]).optional(),
    choices: z.array(z.string()).optional(),
  });
let questionShape: ReturnType<typeof questionShapeSchema> | undefined;

function gateEvent(call: OpenCall, tool: AnyTool, gate: Gate, args: unknown): NewEvent | undefined {
  if (gate === "approve") {
    const resolved = toJson(args);
    return {
      type: "approval_requested",
      callId: call.callId,
      intent: call.intent,
      args: call.args,
      argsHash: hashArgs(call.args),
      ...(canonicalJson(resolved) === canonicalJson(call.args) ? {} : { resolvedArgs: resolved }),
      ...deadlineOf(tool),
    };
  }
  if (gate === "ask") {
    const asked = tool.toQuestion ? tool.toQuestion(args) : { question: JSON.stringify(call.args) };
    const checked = (questionShape ??= questionShapeSchema()).safeParse(asked);
    if (!checked.success) {
      throw new ConfigurationError(
        `toQuestion of tool "${tool.intent}" returned an invalid question: ${formatIssues(checked.error.issues)}.`,
      );
    }
    const question = checked.data;
    return {
      type: "human_request",
      callId: call.callId,
      reason: "question",
      intent: call.intent,
      question: question.question,
      urgency: question.urgency ?? "medium",
      format: question.format ?? (question.choices?.length ? "multiple_choice" : "free_text"),
      ...(question.context === undefined ? {} : { context: question.context }),
      ...(question.choices === undefined ? {} : { choices: question.choices }),
      ...deadlineOf(tool),
    };
  }
  if (gate === "external") {
    return {
      type: "human_request",
      callId: call.callId,
      reason: "external_result",
      intent: call.intent,
      args: call.runArgs,
      question: `Provide the result of ${call.intent} for the arguments shown.`,
      urgency: "medium",
      format: "free_text",
      ...deadlineOf(tool),
    };
  }
  return undefined;
}

/** The tool's request deadline as the request event records it. */
function deadlineOf(tool: AnyTool): { deadline: NonNullable<AnyTool["deadline"]> } | Record<string, never> {
  return tool.deadline === undefined ? {} : { deadline: tool.deadline };
}

/** Runs a piece of the agent's own code; what it throws becomes an error event settling the call. */
function guarded<T>(call: OpenCall, work: () => T): { ok: true; value: T } | { ok: false; event: NewEvent } {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    return {
      ok: false,
      event: { type: "error", source: "tool", callId: call.callId, intent: call.intent, message: describeError(error) },
    };
  }
}

/** Whether another call of the finishing call's decision was rejected or failed. */
function siblingFailed(thread: Thread, finisher: OpenCall): string | undefined {
  const decision = thread.eventAt(finisher.decisionIndex);
  if (decision?.type !== "model_decision") return undefined;
  const siblings = new Map(decision.calls.filter((call) => call.callId !== finisher.callId).map((call) => [call.callId, call.intent]));
  for (let index = finisher.decisionIndex + 1; index < thread.version; index++) {
    const event = thread.eventAt(index)!;
    if (event.type === "error" && event.callId && siblings.has(event.callId)) return `${siblings.get(event.callId)} failed`;
    if (event.type === "approval_decision" && !event.approved && siblings.has(event.callId)) {
      return `${siblings.get(event.callId)} was rejected`;
    }
  }
  return undefined;
}

function errorLimitReached(policy: Policy, thread: Thread): string | undefined {
  const { consecutiveErrors, consecutiveErrorsByIntent } = thread.state;
  if (consecutiveErrors >= policy.limits.maxConsecutiveErrors) {
    return `${consecutiveErrors} consecutive errors`;
  }
  for (const [intent, count] of Object.entries(consecutiveErrorsByIntent)) {
    const limit = policy.tools.get(intent)?.maxConsecutiveErrors;
    if (limit !== undefined && count >= limit) return `${count} consecutive errors from ${intent}`;
  }
  return undefined;
}

/** `text` ending in exactly one full stop: error messages usually end in one already. */
function asSentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function lastErrorMessage(thread: Thread): string {
  for (let index = thread.events.length - 1; index >= 0; index--) {
    const event = thread.events[index]!;
    if (event.type === "error") return event.message;
  }
  return "unknown";
}

/** `handoff` when a handoff passed the thread to an agent other than the policy's. */
export function handedOff(policy: Policy, thread: Thread): NextAction | undefined {
  const { agent } = thread.state;
  if (agent === null || policy.agent === undefined || agent === policy.agent || thread.state.terminal) return undefined;
  return { type: "handoff", to: agent };
}

/**
 * What the loop should do next with this thread. Pure: same policy and thread, same action.
 *
 * @example
 * const action = nextAction(agent.policy, thread);
 * if (action.type === "wait") console.log("waiting:", thread.pending);
 */
export function nextAction(agentPolicy: Policy, thread: Thread): NextAction {
  // The tools of a source are the ones the thread recorded (tool-sources.ts).
  const policy = policyAsOf(agentPolicy, thread);
  const { state } = thread;
  if (state.terminal) return { type: "stop", status: state.terminal };
  const other = handedOff(policy, thread);
  if (other) return other;

  const prefetched = (event: Thread["events"][number]) =>
    (event.type === "tool_result" || event.type === "error") && event.callId?.startsWith("prefetch_") === true;
  if (policy.prefetch.length > 0 && state.stepCount === 0 && !thread.events.some(prefetched)) {
    return { type: "prefetch" };
  }

  // Calls whose intent the agent no longer has, or whose arguments no longer fit the tool (an older
  // thread, a changed agent), are closed with an error the model can read.
  const parsed = new Map<string, unknown>();
  for (const call of state.openCalls) {
    const tool = policy.tools.get(call.intent);
    const args = tool
      ? parseArgs(call, tool)
      : { ok: false as const, message: `Unknown intent "${call.intent}". Valid intents: ${[...policy.tools.keys()].join(", ")}.` };
    if (!args.ok) {
      return {
        type: "append",
        reason: "invalid_call",
        events: [{ type: "error", source: "tool", callId: call.callId, intent: call.intent, message: args.message }],
      };
    }
    parsed.set(call.callId, args.args);
  }

  // Record every gate of a decision at once, so all its approvals and questions are visible together.
  const gates: NewEvent[] = [];
  for (const call of state.openCalls) {
    if (call.phase !== "decided") continue;
    const tool = policy.tools.get(call.intent)!;
    const args = parsed.get(call.callId);
    const gated = guarded(call, () => gateEvent(call, tool, gateOf(tool, args, thread), args));
    if (!gated.ok) return { type: "append", reason: "invalid_call", events: [gated.event] };
    if (gated.value) gates.push(gated.value);
  }
  if (gates.length > 0) return { type: "gate", events: gates };

  let finisher: OpenCall | undefined;
  for (const call of state.openCalls) {
    const tool = policy.tools.get(call.intent)!;
    switch (call.phase) {
      case "decided":
        if (tool.kind === "finish" || tool.kind === "handoff") finisher ??= call;
        else return { type: "run_tool", call, tool };
        break;
      case "approved":
      case "child_resumed":
        return { type: "run_tool", call, tool };
      case "started":
        return { type: "recover", call, tool };
      default:
        break;
    }
  }

  const status = statusOf(state);
  if (status !== "running") return { type: "wait", status };

  if (finisher) {
    // Finishing next to a call that was rejected or failed would report success that did not happen.
    const failed = siblingFailed(thread, finisher);
    if (failed) {
      return {
        type: "append",
        reason: "invalid_call",
        events: [
          {
            type: "error",
            source: "tool",
            callId: finisher.callId,
            intent: finisher.intent,
            message: `Not finished: ${failed} in the same step. Decide again with that in mind.`,
          },
        ],
      };
    }
    const tool = policy.tools.get(finisher.intent)!;
    const args = parsed.get(finisher.callId);
    if (tool.kind === "handoff") {
      const from = thread.drivingAgent ?? policy.agent ?? "agent";
      const reason = String((args as { reason?: unknown }).reason ?? "");
      return {
        type: "append",
        reason: "handoff",
        events: [{ type: "handoff", callId: finisher.callId, from, to: tool.handoffTo!, reason }],
      };
    }
    const message = guarded(finisher, () => tool.toMessage?.(args) ?? String((args as { message?: unknown }).message ?? ""));
    if (!message.ok) return { type: "append", reason: "invalid_call", events: [message.event] };
    return {
      type: "append",
      reason: "finish",
      events: [{ type: "done", callId: finisher.callId, message: message.value }],
    };
  }

  const errorLimit = errorLimitReached(policy, thread);
  if (errorLimit) {
    const detail = asSentence(`${errorLimit}; the last one: ${lastErrorMessage(thread)}`);
    if (policy.limits.onErrorLimit === "fail") {
      return { type: "append", reason: "error_limit", events: [{ type: "failed", reason: `Stopped after ${detail}` }] };
    }
    return {
      type: "append",
      reason: "error_limit",
      events: [
        {
          type: "human_request",
          callId: `escalation_${thread.version}`,
          reason: "escalation",
          question: `The agent stopped after ${detail} How should it proceed?`,
          urgency: "high",
          format: "free_text",
        },
      ],
    };
  }

  if (state.stepsSinceInput >= policy.limits.maxSteps) {
    return {
      type: "append",
      reason: "step_limit",
      events: [
        {
          type: "failed",
          reason: `Reached maxSteps (${policy.limits.maxSteps}) model calls since the last input. Send a message to continue.`,
        },
      ],
    };
  }

  // Compact at most once before a decision: if that was not enough, decide over budget rather than loop.
  if (
    policy.context.maxTokens !== undefined &&
    thread.lastEvent?.type !== "compaction" &&
    policy.context.render(thread).tokens > policy.context.maxTokens
  ) {
    return { type: "compact" };
  }

  return { type: "decide" };
}
