/**
 * `HumanAction`: what a person does to a thread, as data — approve a call (perhaps with edited
 * arguments), reject it with a comment, answer a question, send a new message, or wake a waiting
 * thread early — and
 * `applyHumanAction`, the one place that turns it into the thread's next events.
 *
 * Every edge that lets a person act (the HTTP API, channels, the CLI's commands and its terminal
 * prompt) builds one of these and hands it here, so the rules — the call must be pending, and of the
 * kind the action decides; edited arguments must fit the tool; an answer must fit the question's
 * format — live in one code path. Who may decide is the edge's business (API keys, a channel's
 * audience): it checks before it applies.
 *
 * Like the event schemas, the schema is built on first use.
 */
import { z } from "zod";
import type { Agent } from "./agent.ts";
import type { Clock } from "./clock.ts";
import { InvalidInputError, formatIssues } from "./errors.ts";
import type { Thread } from "./thread.ts";
import { wakeThread } from "./timers.ts";

function buildHumanActionSchemas() {
  const callId = z.string().min(1).max(200);
  /** Who acted, recorded on the event (an API key's name, `slack:U123`, `cli:alice`). Default `anonymous`. */
  const actor = z.string().min(1).optional();
  /** The request behind the action (the HTTP API's `Idempotency-Key`), recorded on its event. */
  const requestKeys = {
    idempotencyKey: z.string().min(1).max(255).optional(),
    requestHash: z.string().min(1).max(200).optional(),
  };

  /** Approve a pending call; with `args`, approve these edited arguments instead (exactly these run). */
  const approveAction = z.object({
    type: z.literal("approve"),
    callId,
    actor,
    comment: z.string().optional(),
    /** Edited arguments, checked against the tool's schema. */
    args: z.record(z.string(), z.unknown()).optional(),
    /** The `argsHash` the person reviewed: another one is a conflict (the arguments changed under them). */
    argsHash: z.string().optional(),
    ...requestKeys,
  });

  /** Reject a pending call; the comment says why, and the model reads it. */
  const rejectAction = z.object({
    type: z.literal("reject"),
    callId,
    actor,
    comment: z.string().optional(),
    ...requestKeys,
  });

  /** Answer a `human_request` (a question, an escalation, an unknown outcome, an external result). */
  const respondAction = z.object({
    type: z.literal("respond"),
    callId,
    actor,
    text: z.string(),
    ...requestKeys,
  });

  /** A new user message on a waiting or finished thread. */
  const messageAction = z.object({
    type: z.literal("message"),
    actor,
    text: z.string(),
    /** Where it came from: `http`, `cli`, `slack`, `email`… */
    source: z.string().optional(),
    ...requestKeys,
  });

  /** Wake a waiting thread before its timers are due: they fire now, recorded as early, by `actor`. */
  const wakeAction = z.object({
    type: z.literal("wake"),
    actor,
  });

  const humanActionSchema = z.discriminatedUnion("type", [approveAction, rejectAction, respondAction, messageAction, wakeAction]);
  return { approveAction, rejectAction, respondAction, messageAction, wakeAction, humanActionSchema };
}

/** The fields that are set: zod types optional fields `T | undefined`, the agent's options leave them out. */
function given<T extends object>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

type HumanActionSchemas = ReturnType<typeof buildHumanActionSchemas>;
let built: HumanActionSchemas | undefined;

/**
 * The human action schemas, built the first time they are asked for.
 *
 * @example
 * const checked = humanActionSchemas().humanActionSchema.safeParse(body);
 */
export function humanActionSchemas(): HumanActionSchemas {
  return (built ??= buildHumanActionSchemas());
}

/** What a person does to a thread. */
export type HumanAction = z.infer<HumanActionSchemas["humanActionSchema"]>;
export type HumanActionType = HumanAction["type"];
/** The action of one type: `HumanActionOf<"approve">`. */
export type HumanActionOf<T extends HumanActionType> = Extract<HumanAction, { type: T }>;

/**
 * The thread with the person's action applied: an `approval_decision`, a `human_response` or a
 * `user_input` appended. Pure, like the agent's methods it dispatches to; the caller stores the result.
 *
 * @throws InvalidInputError when the action is malformed, edited arguments do not fit the tool, or an
 *   answer does not fit the question's format.
 * @throws StateConflictError when the call is not pending, waits for another kind of action (an
 *   answer, not an approval), or the arguments changed since the person saw them (`argsHash`).
 * @example
 * thread = applyHumanAction(agent, thread, { type: "approve", callId: "call_1_0", actor: "cli:alice" });
 * thread = applyHumanAction(agent, thread, { type: "reject", callId: "call_3_0", comment: "use 4 as the divisor" });
 */
export function applyHumanAction(agent: Agent, thread: Thread, action: HumanAction, options: { clock?: Clock } = {}): Thread {
  const checked = humanActionSchemas().humanActionSchema.safeParse(action);
  if (!checked.success) {
    throw new InvalidInputError(`Invalid human action for thread ${thread.id}: ${formatIssues(checked.error.issues)}.`);
  }
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  // The parsed action: fields the schema does not know (a channel's `threadId`) stay off the event.
  const parsed = checked.data;
  switch (parsed.type) {
    case "approve": {
      const { type: _type, callId, ...decision } = parsed;
      return agent.approve(thread, callId, { ...given(decision), ...clock });
    }
    case "reject": {
      const { type: _type, callId, ...decision } = parsed;
      return agent.reject(thread, callId, { ...given(decision), ...clock });
    }
    case "respond": {
      const { type: _type, callId, text, ...rest } = parsed;
      return agent.respond(thread, callId, text, { ...given(rest), ...clock });
    }
    case "message": {
      const { type: _type, text, ...rest } = parsed;
      return agent.message(thread, text, { ...given(rest), ...clock });
    }
    case "wake":
      return wakeThread(thread, { ...given({ actor: parsed.actor }), ...clock });
  }
}
