/**
 * Agents for the tests of per-agent models, an agent's own plan and handoffs, each with its own
 * model spec (`defineAgent({ model })`): a script file per agent in `dir`, written by the test.
 * - `modeled`: finishes with what its model says (which model answered shows in the message);
 * - `releaser`: `release` to production needs approval; its own plan runs `verify` (chosen by code)
 *   after a release and before it says it is done;
 * - `triage` hands the conversation to `billing`, whose `refund` needs approval.
 */
import { join } from "node:path";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Agent } from "agentfold";

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
      if (action.type === "append" && action.reason === "finish" && released >= 0 && verified < released) return call(verify);
      return action;
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
