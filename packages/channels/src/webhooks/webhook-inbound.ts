/**
 * What a verified inbound payload asks for: a decision or an answer on a pending call (if the hook
 * is in its audience), a message on a thread the hook started, or a new thread. Refusals are
 * answers (status, code, message), never throws.
 */
import type { JsonValue } from "agentfold";
import type { ChannelContext, InboundAction } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import type { WebhookHook } from "./webhook-hooks.ts";
import {
  decisionPayloadSchema,
  invalidPayload,
  looseMessagePayloadSchema,
  messagePayloadSchema,
  payloadShapes,
} from "./webhook-payloads.ts";

export type InboundResult = { action: InboundAction } | { status: number; code: string; message: string };

/** `{ threadId, callId, approved | text }`: approve, reject or answer. */
async function decisionAction(name: string, payload: Record<string, unknown>, context: ChannelContext): Promise<InboundResult> {
  const actor = `webhook:${name}`;
  const parsed = decisionPayloadSchema.safeParse(payload);
  if (!parsed.success) return invalidPayload(parsed.error);
  const { threadId, callId, approved, comment, args, text } = parsed.data;
  const found = await context.audienceFor(threadId, callId, "webhook");
  if (!found) return { status: 409, code: "conflict", message: `Call ${callId} of ${threadId} is not pending, or not routed to webhooks.` };
  if (!allowedBy(found.audience, name)) {
    const message = `Webhook "${name}" may not decide this request: list it in the routing rule's people.`;
    const action = approved === true ? "approve" : approved === false ? "reject" : "answer";
    await context.refuseDecision(threadId, { actor, callId, intent: found.item.intent, action, source: "webhook", reason: message });
    return { status: 403, code: "forbidden", message };
  }
  if (approved !== undefined) {
    const withComment = comment === undefined ? {} : { comment };
    if (!approved) return { action: { type: "reject", threadId, callId, actor, ...withComment } };
    return { action: { type: "approve", threadId, callId, actor, ...withComment, ...(args === undefined ? {} : { args }) } };
  }
  if (text !== undefined) return { action: { type: "respond", threadId, callId, actor, text } };
  return { status: 400, code: "invalid_request", message: 'With "callId", send "approved" (true/false) or "text".' };
}

/** `{ message }` (or what the hook's `toMessage` makes of the payload): a new thread, or a message on one this hook started. */
async function messageAction(
  name: string,
  hook: WebhookHook,
  payload: Record<string, unknown>,
  context: ChannelContext,
): Promise<InboundResult> {
  const actor = `webhook:${name}`;
  let start: { message: string | undefined; threadId: string | undefined; metadata: Record<string, JsonValue> | undefined };
  if ("message" in payload || !hook.toMessage) {
    const parsed = messagePayloadSchema.safeParse(payload);
    if (!parsed.success) return invalidPayload(parsed.error);
    start = { message: parsed.data.message, threadId: parsed.data.threadId, metadata: parsed.data.metadata };
  } else {
    const loose = looseMessagePayloadSchema.parse(payload);
    start = { message: hook.toMessage(payload), threadId: loose.threadId, metadata: loose.metadata };
  }
  const { message, threadId } = start;
  if (!message) return { status: 400, code: "invalid_request", message: payloadShapes };
  if (threadId) {
    const origin = await context.originOf(threadId);
    if (origin?.person !== name) return { status: 403, code: "forbidden", message: `Webhook "${name}" did not start thread ${threadId}.` };
    return { action: { type: "message", threadId, actor, text: message, source: "webhook" } };
  }
  const agent = hook.agent ?? (context.agents.size === 1 ? [...context.agents.keys()][0] : undefined);
  if (!agent) return { status: 400, code: "invalid_request", message: `Webhook "${name}" has no agent: set hooks.${name}.agent.` };
  const metadata = start.metadata === undefined ? {} : { metadata: start.metadata };
  return {
    action: {
      type: "start",
      agent,
      actor,
      text: message,
      source: "webhook",
      origin: { channel: "webhook", person: name, data: {} },
      ...metadata,
    },
  };
}

export function inboundAction(
  name: string,
  hook: WebhookHook,
  payload: Record<string, unknown>,
  context: ChannelContext,
): Promise<InboundResult> {
  return "callId" in payload ? decisionAction(name, payload, context) : messageAction(name, hook, payload, context);
}
