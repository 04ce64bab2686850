/** Agents and a model for the channel tests: a calculator whose divide needs approval, and an asker. */
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow, type Agent, type ModelRequest } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

export interface TestAgents {
  calculator: Agent;
  asker: Agent;
  /** Arguments divide ran with, in order. */
  divideRuns: { a: number; b: number }[];
}

export function createTestAgents(): TestAgents {
  const divideRuns: { a: number; b: number }[] = [];
  const divide = defineTool({
    intent: "divide",
    description: "divide a by b",
    args: z.object({ a: z.number(), b: z.number() }),
    approval: "required",
    idempotent: false,
    run: ({ a, b }) => {
      divideRuns.push({ a, b });
      return a / b;
    },
  });
  const calculator = defineAgent({ name: "calculator", tools: [divide, doneForNow()] });
  const asker = defineAgent({ name: "asker", tools: [askHuman(), doneForNow()] });
  return { calculator, asker, divideRuns };
}

/** Turn 0: divide 3 by 4 (calculator) or ask a yes/no question (asker); then done. */
export function createTestModel(): ScriptedModel {
  return new ScriptedModel(
    Array.from({ length: 6 }, (_, turn) => (request: ModelRequest) => {
      const asks = request.intents.some((intent) => intent.intent === "request_human_input");
      if (turn === 0) {
        return asks
          ? { intent: "request_human_input", question: "Ship it on Friday?", format: "yes_no" }
          : { intent: "divide", a: 3, b: 4 };
      }
      return { intent: "done_for_now", message: `finished after turn ${turn}` };
    }),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(20);
  }
}
