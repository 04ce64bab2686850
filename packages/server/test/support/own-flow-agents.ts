/**
 * Agents for the tests of per-agent models, an agent's own plan and handoffs, each with its own
 * model spec (`defineAgent({ model })`): a script file per agent in `dir`, written by the test.
 * - `modeled`: finishes with what its model says (which model answered shows in the message);
 * - `releaser`: `release` to production needs approval; its own plan, after a release and before it
 *   says it is done, waits 10 minutes on a durable timer and then runs `verify` (chosen by code);
 * - `triage` hands the conversation to `billing`, whose `refund` needs approval.
 */
import { join } from "node:path";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, waitUntil, type Agent } from "agentfold";
import { timerSetEvent } from "agentfold/runtime";

/** How long the releaser lets a release settle before it verifies. */
export const settleMs = 10 * 60_000;

export function createOwnFlowAgents(dir: string): Agent[] {
  const spec = (name: string) => `script:${join(dir, `${name}.json`)}`;
  const modeled = defineAgent({ name: "modeled", tools: [doneForNow()], model: spec("modeled") });

  const release = defineTool({
    intent: "release",
    description: "release a version to production",
    args: z.object({ version: z.string() }),
    approval: "required",
    idempotent: true,
    run: ({ version }) => ({ released: version }),
  });
  const verify = defineTool({
    intent: "verify",
    description: "verify production",
    args: z.object({}),
    idempotent: true,
    run: () => ({ healthy: true }),
  });
  const releaser = defineAgent({
    name: "releaser",
    tools: [release, doneForNow()],
    model: spec("releaser"),
    plan: (thread, { next, call }) => {
      const action = next();
      const released = thread.events.findLastIndex((event) => event.type === "tool_result" && event.intent === "release");
      const verified = thread.events.findLastIndex((event) => event.type === "tool_result" && event.intent === "verify");
      if (action.type !== "append" || action.reason !== "finish" || released < 0 || verified > released) return action;
      const timerId = `settle_${released}`;
      if (thread.events.some((event) => event.type === "timer_fired" && event.timerId === timerId)) return call(verify);
      const at = thread.eventAt(released)!.at;
      const wait = waitUntil(new Date(Date.parse(at) + settleMs), { reason: "the release settles" });
      return { type: "append", reason: "timer", events: [timerSetEvent(wait, { timerId, now: new Date(at) })] };
    },
  });

  const refund = defineTool({
    intent: "refund",
    description: "refund an amount",
    args: z.object({ amount: z.number() }),
    approval: "required",
    idempotent: true,
    run: ({ amount }) => ({ refunded: amount }),
  });
  const billing = defineAgent({ name: "billing", description: "refunds", tools: [refund, doneForNow()], model: spec("handoff") });
  const triage = defineAgent({ name: "triage", tools: [billing.asHandoff(), doneForNow()], model: spec("handoff") });
  return [modeled, releaser, triage, billing];
}
