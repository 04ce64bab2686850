import type { Agent, Model, Thread } from "agentfold";

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
