/**
 * What a `useChat` request asks of a thread. The AI SDK's `DefaultChatTransport` posts the whole
 * conversation (`{ id, messages, trigger }`); only its last message is new: a user's text starts the
 * thread, answers the question it waits on, or is a new message; an assistant message whose tool
 * parts carry approval responses decides those calls.
 */
import { InvalidInputError, type Thread } from "agentfold";
import type { HumanAction } from "agentfold/runtime";
import { parseApprovalId } from "./ui-message-chunks.ts";

interface UiPart {
  type: string;
  text?: unknown;
  state?: unknown;
  approval?: { id?: unknown; approved?: unknown; reason?: unknown };
}

export interface ChatRequest {
  /** The chat's id: the same chat of the same caller is always the same thread. */
  chatId: string;
  last:
    | { role: "user"; text: string }
    | { role: "assistant"; approvals: Array<{ callId: string; argsHash: string; approved: boolean; reason?: string }> };
}

const fix = 'Send what the AI SDK\'s DefaultChatTransport sends: { "id": "<chat id>", "messages": [{ "id", "role", "parts": [...] }] }.';

/**
 * Checks the body and reads its last message.
 *
 * @example
 * parseChatRequest({ id: "chat-1", messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "hi" }] }] });
 */
export function parseChatRequest(body: unknown): ChatRequest {
  const record = (body && typeof body === "object" ? body : {}) as { id?: unknown; messages?: unknown };
  if (typeof record.id !== "string" || record.id === "" || record.id.length > 200) {
    throw new InvalidInputError(`"id" must be the chat's id, a string of 1 to 200 characters. ${fix}`);
  }
  const last = Array.isArray(record.messages) ? (record.messages.at(-1) as { role?: unknown; parts?: unknown } | undefined) : undefined;
  if (!last || !Array.isArray(last.parts)) throw new InvalidInputError(`"messages" must hold at least one message with "parts". ${fix}`);
  const parts = last.parts as UiPart[];
  if (last.role === "user") {
    const text = parts.flatMap((part) => (part.type === "text" && typeof part.text === "string" ? [part.text] : [])).join("\n");
    if (text.trim() === "") throw new InvalidInputError("The last message is a user message without text: give it a text part.");
    return { chatId: record.id, last: { role: "user", text } };
  }
  if (last.role === "assistant") {
    const approvals = parts.flatMap((part) => {
      if (part.state !== "approval-responded" || typeof part.approval?.id !== "string") return [];
      const bound = parseApprovalId(part.approval.id);
      if (!bound) throw new InvalidInputError(`Approval id "${part.approval.id}" is not one this server sent (callId.argsHash).`);
      const reason = typeof part.approval.reason === "string" ? { reason: part.approval.reason } : {};
      return [{ ...bound, approved: part.approval.approved === true, ...reason }];
    });
    if (approvals.length === 0) {
      throw new InvalidInputError(
        "The last message is the assistant's but answers no approval: send a user message, or approve or reject a call.",
      );
    }
    return { chatId: record.id, last: { role: "assistant", approvals } };
  }
  throw new InvalidInputError(`The last message's role must be "user" or "assistant", got ${JSON.stringify(last.role)}. ${fix}`);
}

/**
 * The person's actions the request makes on an existing thread: the user's text answers the question
 * the thread waits on (or is a new message); each approval response approves or rejects its call.
 */
export function actionsFor(request: ChatRequest, thread: Thread, actor: string): HumanAction[] {
  if (request.last.role === "user") {
    const question = thread.pending.find((item) => item.kind === "question");
    if (question) return [{ type: "respond", callId: question.callId, actor, text: request.last.text }];
    return [{ type: "message", actor, text: request.last.text, source: "ui-chat" }];
  }
  return request.last.approvals.map((approval) =>
    approval.approved
      ? {
          type: "approve",
          callId: approval.callId,
          actor,
          argsHash: approval.argsHash,
          ...(approval.reason ? { comment: approval.reason } : {}),
        }
      : { type: "reject", callId: approval.callId, actor, ...(approval.reason ? { comment: approval.reason } : {}) },
  );
}
