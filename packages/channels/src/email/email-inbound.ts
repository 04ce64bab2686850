/**
 * What an inbound mail (authenticated and deduplicated by `receive`) does: a reply to a request we
 * sent decides or answers it (only the people it was routed to count); a reply to the mail that
 * started a thread continues it; new mail to the agent starts a thread.
 */
import type { JsonValue } from "agentfold";
import type { ActionOutcome, ChannelContext, Origin } from "../channel.ts";
import { errorJson } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import { replyCommand, stripReply } from "./email-reply.ts";
import type { EmailRecord, InboundMail } from "./inbound-mail.ts";

export interface EmailInboundSettings {
  /** The agent new mail starts, when `addresses` names none for its recipients. */
  readonly agent: string | undefined;
  readonly addresses: Readonly<Record<string, string>> | undefined;
  /** Who may start threads by mail: addresses or `"anyone"`. */
  readonly starters: readonly string[] | "anyone";
}

/** What to answer the relay, and whether a retry of the same mail should be applied again. */
export type Answer = { response: Response; retryable: boolean };

/** Refusals a relay may retry (the seen-id is released for them): the thread was busy, or we failed. */
const transient = new Set(["thread_busy", "internal"]);
const answer = (body: Record<string, JsonValue>, status = 200): Answer => ({ response: Response.json(body, { status }), retryable: false });

function refused(outcome: Extract<ActionOutcome, { ok: false }>): Answer {
  const status = outcome.code === "internal" ? 500 : outcome.code === "invalid_input" ? 400 : 409;
  return { response: errorJson(status, outcome.code, outcome.message), retryable: transient.has(outcome.code) };
}

/** Message-IDs in `References` order (oldest first), without repeats. */
function messageIds(mail: { references?: string | string[] | undefined; inReplyTo?: string | undefined }): string[] {
  const references = Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : [];
  // RFC 5322: without References, In-Reply-To names the parent.
  const ids = references.length > 0 ? references : mail.inReplyTo ? [mail.inReplyTo] : [];
  return [...new Set(ids.filter((id) => typeof id === "string" && id !== ""))];
}

function agentFor(settings: EmailInboundSettings, to: readonly string[], context: ChannelContext): string | undefined {
  for (const address of to) {
    const agent = Object.entries(settings.addresses ?? {}).find(([candidate]) => candidate.toLowerCase() === address.toLowerCase())?.[1];
    if (agent) return agent;
  }
  if (settings.agent) return settings.agent;
  return context.agents.size === 1 ? [...context.agents.keys()][0] : undefined;
}

/** A reply to a request we sent: approve, reject or answer it, if `sender` is in its audience. */
async function decide(context: ChannelContext, known: { threadId: string; callId: string }, sender: string, text: string): Promise<Answer> {
  const actor = `email:${sender}`;
  const found = await context.audienceFor(known.threadId, known.callId, "email");
  if (!found) return answer({ status: "ignored", reason: "That request is no longer pending." });
  const command = found.item.kind === "approval" ? replyCommand(text) : { type: "text" as const, text };
  if (!allowedBy(found.audience, sender)) {
    const reason = `${sender} may not decide this request.`;
    const action = command.type === "reject" ? "reject" : command.type === "approve" ? "approve" : "answer";
    await context.refuseDecision(known.threadId, {
      actor,
      callId: known.callId,
      intent: found.item.intent,
      action,
      source: "email",
      reason,
    });
    return answer({ status: "ignored", reason });
  }
  const base = { threadId: known.threadId, callId: known.callId, actor };
  const outcome =
    command.type === "approve"
      ? await context.apply({ type: "approve", ...base, ...(found.item.kind === "approval" ? { argsHash: found.item.argsHash } : {}) })
      : command.type === "reject"
        ? await context.apply({ type: "reject", ...base, ...(command.reason ? { comment: command.reason } : {}) })
        : found.item.kind === "approval"
          ? ({ ok: false, code: "invalid_input", message: 'Reply "approve" or "reject: <reason>".' } as const)
          : await context.apply({ type: "respond", ...base, text: command.text });
  return outcome.ok ? answer({ status: "applied", threadId: known.threadId, callId: known.callId }) : refused(outcome);
}

/** Not a reply to anything we sent: new mail to the agent starts a thread, whose origin is this mail. */
async function start(
  settings: EmailInboundSettings,
  context: ChannelContext,
  mail: InboundMail,
  sender: string,
  messageId: string,
  text: string,
): Promise<Answer> {
  const { starters } = settings;
  const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((list) =>
    list.value.map((entry) => entry.address ?? ""),
  );
  if (starters !== "anyone" && !starters.some((starter) => starter.toLowerCase() === sender)) {
    return answer({ status: "ignored", reason: `${sender} may not start threads by email.` });
  }
  const agent = agentFor(settings, to, context);
  if (!agent) return answer({ status: "ignored", reason: "No agent for this address: set emailChannel({ agent }) or { addresses }." });
  // Our replies carry References = these, then this mail's Message-ID (RFC 5322 §3.6.4).
  const record: EmailRecord = { messageId, subject: mail.subject ?? "", references: messageIds(mail) };
  const origin: Origin = { channel: "email", person: sender, data: record };
  const body = [mail.subject, text].filter(Boolean).join("\n\n");
  const outcome = await context.apply({ type: "start", agent, actor: `email:${sender}`, text: body, source: "email", origin });
  if (!outcome.ok) return refused(outcome);
  await context.store.saveLink({ channel: "email", externalId: messageId, threadId: outcome.thread.id });
  return answer({ status: "started", threadId: outcome.thread.id }, 201);
}

export async function handleMail(
  settings: EmailInboundSettings,
  mail: InboundMail,
  sender: string,
  messageId: string,
  context: ChannelContext,
): Promise<Answer> {
  // The closest parent first: In-Reply-To, then References from the newest.
  const candidates = [...new Set([...(mail.inReplyTo ? [mail.inReplyTo] : []), ...messageIds(mail).toReversed()])];
  const text = stripReply(mail.text ?? "");
  for (const reference of candidates) {
    const known = await context.store.getLink("email", reference);
    if (!known) continue;
    if (known.callId) return decide(context, { threadId: known.threadId, callId: known.callId }, sender, text);
    const origin = await context.originOf(known.threadId);
    if (origin?.person !== sender) return answer({ status: "ignored", reason: `${sender} did not start this thread.` });
    const outcome = await context.apply({ type: "message", threadId: known.threadId, actor: `email:${sender}`, text, source: "email" });
    return outcome.ok ? answer({ status: "applied", threadId: known.threadId }) : refused(outcome);
  }
  return start(settings, context, mail, sender, messageId, text);
}
