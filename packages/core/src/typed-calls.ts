/**
 * Types of the calls an agent's tools allow: `defineAgent({ tools, plan })` gives its plan calls
 * whose `intent` is the union of the tools' intents, so switching on `call.intent` narrows
 * `call.args` to that tool's arguments. Types only; nothing here runs.
 *
 * The narrowing holds at run time because the plan (plan.ts) returns `run_tool` and `recover` only
 * for calls of the agent's tools whose arguments passed the tool's schema (an edited approval is
 * checked the same way); any other call becomes an `invalid_call` error first.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { OpenCall } from "./thread-state.ts";
import type { AnyTool, Tool } from "./tools.ts";

/**
 * The arguments as stored on the thread: the schema's input type (what the model sends, before
 * defaults and transforms), without `undefined` values, which JSON cannot hold.
 */
export type StoredArgs<Args> = Args extends StandardSchemaV1
  ? { [Key in keyof StandardSchemaV1.InferInput<Args>]: Exclude<StandardSchemaV1.InferInput<Args>[Key], undefined> }
  : Record<string, unknown>;

/**
 * The intents of a list of tools.
 *
 * @example
 * type Intents = IntentOf<typeof tools>; // "add" | "divide" | "done_for_now"
 */
export type IntentOf<Tools extends readonly AnyTool[]> = Tools[number]["intent"];

/**
 * One call of one of `Tools`: a union discriminated by `intent`, each with that tool's arguments.
 * A tool whose intent is only known as `string` (an agent as a tool, a handoff) adds a member that
 * every intent narrows to as well.
 *
 * @example
 * type Call = CallOf<[typeof add, typeof divide]>; // { intent: "add"; args: {...} } | { intent: "divide"; args: {...} }
 */
export type CallOf<Tools extends readonly AnyTool[]> = Tools[number] extends infer Each
  ? Each extends Tool<infer Intent, infer Args>
    ? { intent: Intent; args: StoredArgs<Args> }
    : never
  : never;

/**
 * An open call (see `OpenCall`) of one of `Tools`: what an own plan's `next()` hands it in
 * `run_tool` and `recover`. `args` and `runArgs` narrow with `intent`.
 *
 * @example
 * if (action.type === "run_tool" && action.call.intent === "divide") action.call.args.b; // number
 */
export type OpenCallOf<Tools extends readonly AnyTool[]> =
  CallOf<Tools> extends infer Call
    ? Call extends { intent: string; args: unknown }
      ? Omit<OpenCall, "intent" | "args" | "runArgs"> & {
          readonly intent: Call["intent"];
          readonly args: Call["args"];
          /** The arguments that will run: the edited ones when a person approved an edit. */
          readonly runArgs: Call["args"];
        }
      : never
    : never;
