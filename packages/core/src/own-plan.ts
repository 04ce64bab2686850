/**
 * Control flow you own (factor 8): an agent's own `plan` decides what happens next from the thread
 * and returns the same plan data as the default (`NextAction`), so one executor (step.ts) carries out
 * both, wherever the agent runs — `agent.run`, `agentfold serve`, the CLI — with the same leases,
 * commits and events.
 *
 * Invariants: a thread a handoff passed to another agent is never planned by this agent's own plan;
 * what an own plan returns is checked before anything runs, and a mistake is a `ConfigurationError`
 * naming the agent.
 */
import { ConfigurationError } from "./errors.ts";
import { handedOff, nextAction, type NextAction, type Policy } from "./plan.ts";
import { policyAsOf } from "./tool-sources.ts";
import type { Thread } from "./thread.ts";
import type { OpenCall } from "./thread-state.ts";
import type { AnyTool } from "./tools.ts";

/**
 * What an agent's own `plan` gets besides the thread. `Call` is the type of the calls `next()`
 * returns: `defineAgent` makes it `OpenCallOf<typeof tools>`, so `call.intent` narrows `call.args`.
 */
export interface PlanHelpers<Call = OpenCall> {
  /** The default plan for this thread: return it to fall back to the built-in control flow. */
  next(): NextAction<Call>;
  /**
   * Runs a tool now because your code chose it, not the model: the tool (or the intent of one of the
   * agent's tools) must have `run` and be idempotent, as a crash before its result is stored runs it
   * again with the same idempotency key. Its result (or error) is appended as the tool's would be.
   */
  call(tool: AnyTool | string, args?: Record<string, unknown>): NextAction;
}

/**
 * An agent's own control flow: what happens next, from the thread. Pure, like `nextAction`: no I/O,
 * no clock; effects happen when the executor carries out the action.
 *
 * @example
 * plan: (thread, { next, call }) => {
 *   const action = next();
 *   if (action.type === "append" && action.reason === "finish" && !checked(thread)) return call("check_health");
 *   if (action.type === "run_tool" && action.call.intent === "divide" && action.call.args.b === 0) return stop;
 *   return action;
 * }
 */
export type PlanFunction<Call = OpenCall> = (thread: Thread, helpers: PlanHelpers<Call>) => NextAction<Call> | NextAction;

const actionTypes = new Set(["stop", "wait", "prefetch", "gate", "run_tool", "recover", "append", "call", "handoff", "compact", "decide"]);

function callHelper(agent: string, policy: Policy, thread: Thread) {
  return (tool: AnyTool | string, args: Record<string, unknown> = {}): NextAction => {
    const chosen = typeof tool === "string" ? policy.tools.get(tool) : tool;
    if (!chosen?.parameters) {
      throw new ConfigurationError(
        `The plan of agent "${agent}" calls ${JSON.stringify(tool)}, which is not a tool of the agent. Tools: ${[...policy.tools.keys()].join(", ")}; or pass a tool made by defineTool().`,
      );
    }
    if (!chosen.run || !chosen.idempotent) {
      throw new ConfigurationError(
        `The plan of agent "${agent}" calls "${chosen.intent}", which must have run and be idempotent (idempotent: true): a call your plan makes runs again if the process stops before its result is stored.`,
      );
    }
    const checked = chosen.checkArgs(args);
    if (!checked.ok) {
      throw new ConfigurationError(`The plan of agent "${agent}" calls "${chosen.intent}" with invalid arguments: ${checked.message}.`);
    }
    // Derived from the thread, so planning the same stored thread again gives the same key.
    return { type: "call", tool: chosen, args, callId: `plan_${thread.version}` };
  };
}

/**
 * The action to carry out next: the agent's own plan when it has one (after a handoff check),
 * otherwise the default `nextAction`.
 *
 * @example
 * const action = plannedAction({ name: agent.name, policy: agent.policy, plan: myPlan }, thread);
 */
export function plannedAction(runtime: { name: string; policy: Policy; plan?: PlanFunction | undefined }, thread: Thread): NextAction {
  const { plan } = runtime;
  const policy = policyAsOf(runtime.policy, thread);
  if (!plan) return nextAction(policy, thread);
  const other = handedOff(policy, thread);
  if (other) return other;
  const action = plan(thread, { next: () => nextAction(policy, thread), call: callHelper(runtime.name, policy, thread) });
  if (!action || typeof action !== "object" || !actionTypes.has((action as { type?: string }).type ?? "")) {
    throw new ConfigurationError(
      `The plan of agent "${runtime.name}" returned ${JSON.stringify(action)}; return a NextAction: next() for the default, or one of ${[...actionTypes].join(", ")}.`,
    );
  }
  return action;
}
