/**
 * Agents that wait, for the timer tests: `napper` naps (a durable sleep) then says it is done;
 * `deployer` asks to deploy, and its approval is rejected by the deadline when nobody decides.
 */
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, sleep, type Agent } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

export interface TimerAgents {
  napper: Agent;
  deployer: Agent;
}

export function createTimerAgents(options: { napMs: number; deadlineMs: number }): TimerAgents {
  const nap = defineTool({
    intent: "nap",
    description: "wait before checking the deploy's health",
    args: z.object({}),
    run: () => sleep(options.napMs, { reason: "let the deploy settle" }),
  });
  const deploy = defineTool({
    intent: "deploy",
    description: "deploy a tag to production",
    args: z.object({ tag: z.string() }),
    approval: "required",
    deadline: { afterMs: options.deadlineMs, action: "reject" },
    run: ({ tag }) => `deployed ${tag}`,
  });
  return {
    napper: defineAgent({ name: "napper", tools: [nap, doneForNow()] }),
    deployer: defineAgent({ name: "deployer", tools: [deploy, doneForNow()] }),
  };
}

/** Per thread: the napper naps, then is done; the deployer asks to deploy, then is done. */
export function createTimerModel(): ScriptedModel {
  return new ScriptedModel(
    Array.from({ length: 2 }, (_, turn) => (request: { intents: readonly { intent: string }[] }) => {
      const napper = request.intents.some((intent) => intent.intent === "nap");
      if (turn === 0) return napper ? { intent: "nap" } : { intent: "deploy", tag: "v1" };
      return { intent: "done_for_now", message: napper ? "rested, the deploy is healthy" : "not deployed" };
    }),
  );
}
