/**
 * deploybot's own control flow (factor 8): after a production deploy (or rollback), saying "done"
 * first waits 10 minutes — a durable timer, a `timer_set` event, so the wait survives restarts and
 * any process wakes it — then checks production's health, run by code rather than chosen by the
 * model. Healthy: the
 * bot finishes. Unhealthy (or the check failed): the model reads why instead of finishing, and can
 * roll back or ask a person. Everything else is the default plan.
 *
 * It is plain data over the thread, so `agent.run`, `agentfold serve` and the CLI all run it the same
 * way, under the same leases, with the same events.
 */
import { waitUntil, type Event, type NextAction, type PlanHelpers, type Thread } from "agentfold";
import { timerSetEvent } from "agentfold/runtime";

/** How long production runs a new version before its health says anything. */
export const settleMs = 10 * 60_000;

/** What `check_health` returns. */
export interface Health {
  environment: string;
  tag: string | null;
  healthy: boolean;
  detail: string;
}

type Change = { index: number; tag: string; at: string };

/** The newest production deploy or rollback that took effect, by its result event. */
function lastProductionChange(events: readonly Event[]): Change | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    if (event.type !== "tool_result" || (event.intent !== "deploy_backend" && event.intent !== "rollback_backend")) continue;
    const result = event.result as { environment?: string; deployed?: string; rolled_back_to?: string } | null;
    if (result?.environment === "production") return { index, tag: result.deployed ?? result.rolled_back_to ?? "?", at: event.at };
  }
  return undefined;
}

/** The first production health check after `index`: a result, or the error it failed with. */
function healthAfter(events: readonly Event[], index: number): { healthy: boolean; detail: string } | undefined {
  for (let at = index + 1; at < events.length; at++) {
    const event = events[at]!;
    if (event.type === "tool_result" && event.intent === "check_health") {
      const health = event.result as unknown as Health;
      if (health.environment === "production") return { healthy: health.healthy, detail: health.detail };
    }
    if (event.type === "error" && event.intent === "check_health") return { healthy: false, detail: `the check failed: ${event.message}` };
  }
  return undefined;
}

/**
 * The plan: the default one, except that finishing after a production change first checks health.
 *
 * @example
 * defineAgent({ name: "deploybot", tools, plan: afterDeploy });
 */
export function afterDeploy(thread: Thread, { next, call }: PlanHelpers): NextAction {
  const action = next();
  if (action.type !== "append" || action.reason !== "finish") return action;
  const change = lastProductionChange(thread.events);
  if (!change) return action;
  const health = healthAfter(thread.events, change.index);
  if (!health) {
    // One timer per change, timed from the change's own event: the plan stays a pure function of the thread.
    const timerId = `settle_${change.index}`;
    if (thread.events.some((event) => event.type === "timer_fired" && event.timerId === timerId)) {
      return call("check_health", { environment: "production" });
    }
    const until = new Date(Date.parse(change.at) + settleMs);
    const wait = waitUntil(until, { reason: `production settles on ${change.tag} before its health check` });
    return { type: "append", reason: "timer", events: [timerSetEvent(wait, { timerId, now: new Date(change.at) })] };
  }
  if (health.healthy) return action;
  const done = action.events[0];
  const callId = done?.type === "done" ? done.callId : undefined;
  return {
    type: "append",
    reason: "invalid_call",
    events: [
      {
        type: "error",
        source: "tool",
        ...(callId === undefined ? {} : { callId }),
        intent: "done_for_now",
        message: `Not done: production is unhealthy after ${change.tag}: ${health.detail} Roll back, or ask a person.`,
      },
    ],
  };
}
