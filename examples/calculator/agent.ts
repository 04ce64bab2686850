/**
 * The 12-factor guide's calculator: add, subtract and multiply run at once; divide needs a human's
 * approval; the agent can ask for more information and says when it is done.
 */
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow } from "agentfold";

const operands = z.object({ a: z.number(), b: z.number() });

export const add = defineTool({ intent: "add", description: "add a and b", args: operands, run: ({ a, b }) => a + b });
export const subtract = defineTool({
  intent: "subtract",
  description: "subtract b from a",
  args: operands,
  run: ({ a, b }) => a - b,
});
export const multiply = defineTool({
  intent: "multiply",
  description: "multiply a by b",
  args: operands,
  run: ({ a, b }) => a * b,
});
export const divide = defineTool({
  intent: "divide",
  description: "divide a by b",
  args: operands,
  approval: "required",
  idempotent: true,
  run: ({ a, b }) => {
    if (b === 0) throw new Error("Cannot divide by zero; ask for a different divisor.");
    return a / b;
  },
});

export const calculator = defineAgent({
  name: "calculator",
  description: "a calculator that works step by step",
  instructions: "Use one operation per step. Ask for more information when the request is unclear.",
  tools: [
    add,
    subtract,
    multiply,
    divide,
    askHuman({ intent: "request_more_information", description: "ask the user to clarify or give missing numbers" }),
    doneForNow(),
  ],
  limits: { maxSteps: 20, maxConsecutiveErrors: 3 },
});

export default calculator;
