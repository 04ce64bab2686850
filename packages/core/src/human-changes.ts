/**
 * What a person's approval, rejection, answer, message or cancel appends to a thread, checked
 * against what the thread waits for: the methods `agent.approve`, `reject`, `respond`, `message` and
 * `cancel` (agent.ts). Pure: each takes a thread and returns a new one.
 */
import { z } from "zod";
import type { ApproveOptions, RequestKeys } from "./agent.ts";
import { systemClock, type Clock } from "./clock.ts";
import { InvalidInputError, StateConflictError } from "./errors.ts";
import type { JsonValue } from "./events.ts";
import { hashArgs } from "./hash.ts";
import { toJson } from "./model-output.ts";
import type { Thread } from "./thread.ts";
import { wakeForMessage } from "./timers.ts";
import type { AnyTool } from "./tools.ts";

/** The request keys as event fields, leaving out the ones not given. */
function requestFields(options: RequestKeys): RequestKeys {
  return {
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    ...(options.requestHash === undefined ? {} : { requestHash: options.requestHash }),
  };
}

/** The pending approval for a call, or a conflict that says what the call waits for instead. */
function pendingApproval(thread: Thread, callId: string) {
  const item = thread.pendingItem(callId);
  if (item.kind === "question") {
    throw new StateConflictError(`Call ${callId} on thread ${thread.id} waits for an answer, not an approval: respond to it instead.`);
  }
  if (item.kind === "child") {
    throw new StateConflictError(
      `Call ${callId} waits for child thread ${item.childThreadId}; approve or reject what is pending on that thread.`,
    );
  }
  return item;
}

function normalizeAnswer(text: string, format: "free_text" | "yes_no" | "multiple_choice", choices: readonly string[] | undefined): string {
  const answer = z.string().safeParse(text);
  if (!answer.success || answer.data.trim() === "") throw new InvalidInputError("An answer needs non-empty text.");
  const trimmed = answer.data.trim();
  if (format === "yes_no") {
    const lower = trimmed.toLowerCase();
    if (["yes", "y", "true"].includes(lower)) return "yes";
    if (["no", "n", "false"].includes(lower)) return "no";
    throw new InvalidInputError(`This question expects "yes" or "no", got ${JSON.stringify(trimmed)}.`);
  }
  if (format === "multiple_choice" && choices && choices.length > 0) {
    const match = choices.find((choice) => choice.toLowerCase() === trimmed.toLowerCase());
    if (!match) throw new InvalidInputError(`Answer with one of: ${choices.map((choice) => JSON.stringify(choice)).join(", ")}.`);
    return match;
  }
  return answer.data;
}

/** Edited arguments, checked strictly against the tool: a key the tool would drop must not be recorded as approved. */
function editedArgs(tools: ReadonlyMap<string, AnyTool>, intent: string, edited: Record<string, unknown>): Record<string, JsonValue> {
  const tool = tools.get(intent);
  const unknown = tool ? Object.keys(edited).filter((key) => !tool.argKeys.has(key)) : [];
  const parsed = tool && unknown.length === 0 ? tool.checkArgs(edited) : undefined;
  if (!tool || !parsed?.ok) {
    const why = !tool
      ? `unknown intent ${intent}`
      : unknown.length > 0
        ? `unknown key${unknown.length === 1 ? "" : "s"} ${unknown.map((key) => JSON.stringify(key)).join(", ")}`
        : (parsed as { message: string }).message;
    throw new InvalidInputError(
      `Edited arguments for "${intent}" are invalid: ${why}. Expected: ${JSON.stringify(tool?.parameters ?? {})}`,
    );
  }
  // Keep the input shape: the tool parses these again when it runs.
  return toJson(edited) as Record<string, JsonValue>;
}

export function approveCall(tools: ReadonlyMap<string, AnyTool>, thread: Thread, callId: string, decision: ApproveOptions): Thread {
  const item = pendingApproval(thread, callId);
  if (decision.argsHash !== undefined && decision.argsHash !== item.argsHash) {
    throw new StateConflictError(
      `The arguments of call ${callId} are not the ones you saw (hash mismatch); reload the thread and decide again.`,
    );
  }
  const args = decision.args === undefined ? undefined : editedArgs(tools, item.intent, decision.args);
  return thread.append(
    [
      {
        type: "approval_decision",
        callId,
        approved: true,
        // Unedited, the arguments are the requested ones, whose hash the request already holds: hashing
        // them again would give the same value (and load node:crypto in a process that needs nothing else of it).
        argsHash: args === undefined ? item.argsHash : hashArgs(args),
        actor: decision.actor ?? "anonymous",
        ...(decision.comment === undefined ? {} : { comment: decision.comment }),
        ...(args === undefined ? {} : { args }),
        ...requestFields(decision),
      },
    ],
    decision.clock,
  );
}

export function rejectCall(
  thread: Thread,
  callId: string,
  decision: { comment?: string; actor?: string; clock?: Clock } & RequestKeys,
): Thread {
  const item = pendingApproval(thread, callId);
  return thread.append(
    [
      {
        type: "approval_decision",
        callId,
        approved: false,
        argsHash: item.argsHash,
        actor: decision.actor ?? "anonymous",
        ...(decision.comment === undefined ? {} : { comment: decision.comment }),
        ...requestFields(decision),
      },
    ],
    decision.clock,
  );
}

export function answerQuestion(
  thread: Thread,
  callId: string,
  text: string,
  options: { actor?: string; clock?: Clock } & RequestKeys,
): Thread {
  const item = thread.pendingItem(callId);
  if (item.kind === "approval") {
    throw new StateConflictError(`Call ${callId} on thread ${thread.id} waits for an approval: approve or reject it.`);
  }
  if (item.kind === "child") {
    throw new StateConflictError(`Call ${callId} waits for child thread ${item.childThreadId}; answer what is pending on that thread.`);
  }
  const answer = normalizeAnswer(text, item.format, item.choices);
  return thread.append(
    [{ type: "human_response", callId, text: answer, actor: options.actor ?? "anonymous", ...requestFields(options) }],
    options.clock,
  );
}

export function addMessage(
  thread: Thread,
  text: string,
  options: { actor?: string; source?: string; clock?: Clock } & RequestKeys,
): Thread {
  if (typeof text !== "string" || text.trim() === "") throw new InvalidInputError("A message needs non-empty text.");
  if (thread.status === "running" && thread.state.openCalls.length > 0) {
    throw new StateConflictError(`Thread ${thread.id} is in the middle of a step; send the message once it pauses or finishes.`);
  }
  // A message wakes a waiting thread: its timers fire early, recorded with who sent it.
  const woken = wakeForMessage(thread, options.actor, (options.clock ?? systemClock).now());
  return thread.append(
    [
      ...woken,
      {
        type: "user_input",
        text,
        ...(options.actor ? { actor: options.actor } : {}),
        ...(options.source ? { source: options.source } : {}),
        ...requestFields(options),
      },
    ],
    options.clock,
  );
}

export function cancelThread(thread: Thread, options: { reason?: string; actor?: string; clock?: Clock }): Thread {
  if (thread.state.terminal) throw new StateConflictError(`Thread ${thread.id} is already ${thread.status}; nothing to cancel.`);
  return thread.append(
    [{ type: "cancel", ...(options.reason ? { reason: options.reason } : {}), ...(options.actor ? { actor: options.actor } : {}) }],
    options.clock ?? systemClock,
  );
}

/**
 * Resumes a thread that failed because of its model's provider (a `failed` event with a `code`),
 * once the key, the model or the provider is fixed: the model decides again, and the thread's
 * events stay as they were, with a `resumed` event the model does not see.
 */
export function resumeThread(thread: Thread, options: { actor?: string; clock?: Clock }): Thread {
  if (thread.status !== "failed" || thread.state.failureCode === null) {
    const instead =
      thread.status === "failed"
        ? "it failed for a reason the agent must hear about: send a message instead"
        : "only a thread that failed because of its model can be resumed";
    throw new StateConflictError(`Thread ${thread.id} is ${thread.status}; ${instead}.`);
  }
  return thread.append([{ type: "resumed", ...(options.actor ? { actor: options.actor } : {}) }], options.clock ?? systemClock);
}
