import { z } from "zod";
import {
  defineAgent,
  defineTool,
  doneForNow,
  waitUntil,
  type Agent,
  type Model,
  type NextAction,
  type PlanHelpers,
  type Thread,
} from "agentfold";
import { timerSetEvent } from "agentfold/runtime";

/**
 * Your own loop from the same building blocks `agent.run` uses:
 * `nextAction` says what comes next (pure), `execute` does everything that needs no model
 * (approval gates, tool runs, limits), `decide` makes one model call.
 */
export async function runWithBudget(agent: Agent, thread: Thread, model: Model, maxModelCalls: number, log: string[]) {
  let modelCalls = 0;
  for (;;) {
    thread = await agent.execute(thread, { model });
    const action = agent.nextAction(thread);
    if (action.type !== "decide") return thread; // waiting for a person, done, failed or canceled

    // Anything you like between decisions: budgets, tracing, summarizing, an LLM judge, a durable sleep.
    if (modelCalls === maxModelCalls) return agent.cancel(thread, { reason: `model budget of ${maxModelCalls} calls spent` });
    log.push(`decision ${++modelCalls}: ${agent.render(thread).tokens} tokens of input`);

    thread = await agent.decide(thread, { model });
  }
}

const deploy = defineTool({
  intent: "deploy",
  description: "deploy a version",
  args: z.object({ version: z.string() }),
  approval: "required",
  idempotent: true,
  run: ({ version }) => ({ deployed: version }),
});

const checkHealth = defineTool({
  intent: "check_health",
  description: "check production's health",
  args: z.object({}),
  idempotent: true, // your plan may run it again after a crash
  run: () => ({ healthy: true }),
});

/**
 * Your own control flow, served: `plan` decides what happens next from the thread and returns the
 * same plan data as the default (`next()`), so `agentfold serve` and the CLI run it like the default,
 * with the same leases, commits and events. Here: after a deploy, "done" waits 10 minutes on a
 * durable timer, then a health check chosen by code, and only then finishes.
 */
export function settleThenCheck(thread: Thread, { next, call }: PlanHelpers): NextAction {
  const action = next();
  const deployed = thread.events.findLast((event) => event.type === "tool_result" && event.intent === "deploy");
  if (action.type !== "append" || action.reason !== "finish" || !deployed) return action;
  const checked = thread.events.some((event) => event.type === "tool_result" && event.intent === "check_health");
  if (checked) return action;
  const timerId = "settle";
  if (thread.events.some((event) => event.type === "timer_fired" && event.timerId === timerId)) return call(checkHealth);
  // Timed from the deploy's own event, so the plan stays a pure function of the thread.
  const wait = waitUntil(new Date(Date.parse(deployed.at) + 10 * 60_000), { reason: "let the deploy settle" });
  return { type: "append", reason: "timer", events: [timerSetEvent(wait, { timerId, now: new Date(deployed.at) })] };
}

export const deployer = defineAgent({
  name: "deployer",
  tools: [deploy, doneForNow()],
  model: "anthropic:claude-sonnet-4-5", // its default; --model or a launch's "model" may name another
  plan: settleThenCheck,
});
