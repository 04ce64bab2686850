/** Type tests: checked by `tsc` in the test command; the runtime part only makes sure they load. */
import { test } from "node:test";
import { expectTypeOf } from "expect-type";
import { z } from "zod";
import { defineTool, type EventOf, type Thread, type ThreadStatus } from "agentfold";

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
  expectTypeOf<ThreadStatus>().toEqualTypeOf<"running" | "awaiting_approval" | "awaiting_human" | "waiting" | "done" | "failed" | "canceled">();
});
