/** Type tests: checked by `tsc` in the test command; the runtime part only makes sure they load. */
import { describe, test } from "node:test";
import { expectTypeOf } from "expect-type";
import { z } from "zod";
import {
  askHuman,
  defineAgent,
  defineTool,
  doneForNow,
  type AgentDefinition,
  type CallOf,
  type EventOf,
  type IntentOf,
  type NextAction,
  type OpenCall,
  type PlanFunction,
  type Thread,
  type ThreadStatus,
} from "agentfold";

test("run's arguments are typed from the Zod schema", () => {
  defineTool({
    intent: "divide",
    description: "divide a by b",
    args: z.object({ a: z.number(), b: z.number(), note: z.string().optional() }),
    approval: (args, thread) => {
      expectTypeOf(args).toEqualTypeOf<{ a: number; b: number; note?: string | undefined }>();
      expectTypeOf(thread).toEqualTypeOf<Thread>();
      return args.b === 0;
    },
    run: (args, context) => {
      expectTypeOf(args.a).toBeNumber();
      expectTypeOf(args.note).toEqualTypeOf<string | undefined>();
      expectTypeOf(context.idempotencyKey).toBeString();
      // @ts-expect-error: no such argument
      void args.c;
      return args.a / args.b;
    },
  });
});

test("events and statuses are discriminated unions", () => {
  expectTypeOf<EventOf<"tool_result">["result"]>().not.toBeAny();
  expectTypeOf<ThreadStatus>().toEqualTypeOf<
    "running" | "awaiting_approval" | "awaiting_human" | "waiting" | "done" | "failed" | "canceled"
  >();
});

describe("defineAgent infers the calls its tools allow", () => {
  const add = defineTool({
    intent: "add",
    description: "add a and b",
    args: z.object({ a: z.number(), b: z.number() }),
    idempotent: true,
    run: ({ a, b }) => a + b,
  });
  const divide = defineTool({
    intent: "divide",
    description: "divide a by b",
    args: z.object({ a: z.number(), b: z.number(), note: z.string().optional() }),
    approval: "required",
    run: ({ a, b }) => a / b,
  });
  const tools = [add, divide, askHuman(), doneForNow()] as const;

  test("the intents are a union, and each call's args are its tool's", () => {
    expectTypeOf<IntentOf<typeof tools>>().toEqualTypeOf<"add" | "divide" | "request_human_input" | "done_for_now">();
    type Divide = Extract<CallOf<typeof tools>, { intent: "divide" }>;
    expectTypeOf<Divide["args"]>().toEqualTypeOf<{ a: number; b: number; note?: string }>();
    expectTypeOf<Extract<CallOf<typeof tools>, { intent: "done_for_now" }>["args"]>().toEqualTypeOf<{ message: string }>();
    expectTypeOf(doneForNow({ intent: "finish" }).intent).toEqualTypeOf<"finish">();
  });

  test("an own plan switches on call.intent and gets narrowed args", () => {
    const agent = defineAgent({
      name: "calculator",
      tools: [add, divide, doneForNow()],
      plan: (_thread, { next }) => {
        const action = next();
        if (action.type !== "run_tool") return action;
        const call = action.call;
        switch (call.intent) {
          case "add":
            expectTypeOf(call.args).toEqualTypeOf<{ a: number; b: number }>();
            // @ts-expect-error: add has no note
            void call.args.note;
            return action;
          case "divide":
            expectTypeOf(call.args.note).toEqualTypeOf<string | undefined>();
            expectTypeOf(call.runArgs.b).toBeNumber();
            return action;
          case "done_for_now":
            expectTypeOf(call.args.message).toBeString();
            return action;
          default:
            expectTypeOf(call).toBeNever();
            return action;
        }
      },
    });
    expectTypeOf(agent.run).toBeFunction();
    defineAgent({
      name: "adder",
      tools: [add, doneForNow()],
      plan: (_thread, { next }) => {
        const action = next();
        // @ts-expect-error: "multiply" is not an intent of the agent's tools
        if (action.type === "run_tool" && action.call.intent === "multiply") return { type: "decide" };
        return action;
      },
    });
  });

  test("code written for the untyped plan still compiles", () => {
    const plan: PlanFunction = (_thread, { next }) => next();
    defineAgent({ name: "calculator", tools: [add, divide, askHuman(), doneForNow()], plan });
    const definition: AgentDefinition = { name: "calculator", tools: [add, doneForNow()], plan: (_thread, { next }) => next() };
    defineAgent(definition);
    const action: NextAction = { type: "decide" };
    expectTypeOf(action).toMatchTypeOf<NextAction<OpenCall>>();
  });
});

test("askHuman and doneForNow keep accepting an intent that may be undefined", () => {
  const intent: string | undefined = process.env.AGENTFOLD_TYPE_TEST_INTENT;
  expectTypeOf(doneForNow({ intent }).intent).toBeString();
  expectTypeOf(askHuman({ intent }).intent).toBeString();
  expectTypeOf(askHuman().intent).toEqualTypeOf<"request_human_input">();
});
