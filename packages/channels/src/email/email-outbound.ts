/**
 * Outbound mail: a pending request to the people it was routed to (in reply to the mail that started
 * the thread, when one did), and how a thread ended to the person who started it. Each mail gets a
 * Message-ID, In-Reply-To and References, so mail clients thread them and replies find their call.
 */
import { randomBytes } from "node:crypto";
import type { Transporter } from "nodemailer";
import { ConfigurationError, type Thread } from "agentfold";
import type { Channel, DeliverableItem } from "../channel.ts";
import { noticeLine } from "../hub/deadline-notices.ts";
import { emailRecordSchema, type EmailRecord } from "./inbound-mail.ts";

export type SendMail = (input: { to: readonly string[]; subject: string; text: string; inReplyTo?: EmailRecord }) => Promise<EmailRecord>;

function requestText(thread: Thread, item: DeliverableItem): { subject: string; text: string } {
  const agent = thread.agent ?? "agent";
  const footer = `\n\n-- \nagentfold thread ${thread.id}, call ${item.callId}`;
  if (item.kind === "approval") {
    return {
      subject: `[${agent}] Approval needed: ${item.intent}`,
      text: `${agent} wants to run ${item.intent} with:\n\n${JSON.stringify(item.args, null, 2)}\n\nReply "approve" to approve, or "reject: <reason>" to reject.${footer}`,
    };
  }
  const how =
    item.format === "yes_no"
      ? 'Reply "yes" or "no".'
      : item.format === "multiple_choice"
        ? `Reply with one of: ${(item.choices ?? []).join(", ")}.`
        : "Reply with your answer.";
  const heading = item.reason === "escalation" ? `${agent} needs help` : `${agent} asks`;
  return {
    subject: `[${agent}] ${item.reason === "escalation" ? "Needs help" : "Question"}: ${item.question.slice(0, 80)}`,
    text: `${heading}:\n\n${item.question}${item.context ? `\n\n${item.context}` : ""}\n\n${how}${footer}`,
  };
}

/** Sends from `from`; a reply keeps the subject ("Re: …") and extends the References of what it answers. */
export function emailSender(transporter: Transporter, from: string): SendMail {
  const domain = from.split("@")[1]!.replace(/>.*$/, "");
  const newMessageId = (threadId: string) => `<${threadId}.${randomBytes(6).toString("hex")}@${domain}>`;
  return async (input) => {
    const messageId = newMessageId("agentfold");
    const references = input.inReplyTo ? [...new Set([...input.inReplyTo.references, input.inReplyTo.messageId])] : [];
    const subject = input.inReplyTo ? `Re: ${input.inReplyTo.subject.replace(/^re:\s*/i, "")}` : input.subject;
    await transporter.sendMail({
      from,
      to: [...input.to],
      subject,
      text: input.text,
      messageId,
      ...(input.inReplyTo ? { inReplyTo: input.inReplyTo.messageId, references } : {}),
    });
    return { messageId, subject, references };
  };
}

export function emailOutbound(send: SendMail): Pick<Required<Channel>, "deliver" | "finished"> {
  return {
    async deliver({ thread, item, audience, origin, notice }, context) {
      const to = audience.people === "anyone" ? (audience.target ? [audience.target] : []) : [...audience.people];
      if (to.length === 0)
        throw new ConfigurationError(
          `No recipients for ${thread.id}/${item.callId} by email: list "people" (addresses) in the routing rule.`,
        );
      const request = requestText(thread, item);
      // A reminder or an escalation after a passed deadline says so first; replies work as before.
      const subject = notice ? `${notice.kind === "reminder" ? "Reminder" : "Escalated"}: ${request.subject}` : request.subject;
      const text = notice ? `${noticeLine(notice)}\n\n${request.text}` : request.text;
      const inReplyTo = origin?.channel === "email" ? emailRecordSchema.safeParse(origin.data).data : undefined;
      const record = await send({ to, subject, text, ...(inReplyTo ? { inReplyTo } : {}) });
      // A reply to this mail is about this call.
      await context.store.saveLink({ channel: "email", externalId: record.messageId, threadId: thread.id, callId: item.callId });
      return record;
    },

    async finished(thread, origin) {
      const started = origin?.channel === "email" ? emailRecordSchema.safeParse(origin.data).data : undefined;
      if (!origin || !started) return;
      const last = thread.events.at(-1);
      const text = last?.type === "done" ? last.message : last?.type === "failed" ? `Stopped: ${last.reason}` : "Canceled.";
      await send({ to: [origin.person], subject: "", text, inReplyTo: started });
    },
  };
}
