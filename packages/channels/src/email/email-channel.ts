/**
 * The email channel: requests go out through SMTP (nodemailer) with Message-ID, In-Reply-To and
 * References so mail clients thread them; replies come back as raw MIME at `POST /v1/email/inbound`
 * (what mail forwarding services post), parsed with mailparser and matched to the thread and call by
 * those headers. Only the people a request was routed to count.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { simpleParser } from "mailparser";
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { ConfigurationError, type JsonValue, type Thread } from "agentfold";
import { describeIssue } from "../payload-errors.ts";
import { errorJson, type ActionOutcome, type Channel, type ChannelContext, type DeliverableItem, type Origin } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import { authenticationFailure, type AuthenticationRequirement } from "./email-authentication.ts";
import { replyCommand, stripReply } from "./email-reply.ts";
import { emailRecordSchema, inboundMailSchema, type EmailRecord, type InboundMail } from "./inbound-mail.ts";

export interface EmailChannelOptions {
  /** The agent's address: requests come from it, new mail to it starts a thread. */
  from: string;
  /** A nodemailer transport or its SMTP options (`{ host, port, auth }`). */
  transport: Transporter | SMTPTransport.Options;
  /**
   * A secret the mail relay sends as `Authorization: Bearer <secret>` when it posts inbound mail
   * (only in that header: a secret in the URL ends up in access logs and proxies, so `?secret=` is a
   * 401). Without it the inbound endpoint answers 404: a From header alone proves nothing.
   */
  inboundSecret?: string;
  /** The agent new mail starts; needed when the server runs several. Or map addresses: `{ "deploys@x.com": "deploybot" }`. */
  agent?: string;
  addresses?: Readonly<Record<string, string>>;
  /** Who may start threads by mail: addresses or `"anyone"`. Default: nobody. */
  starters?: readonly string[] | "anyone";
  /**
   * Counts a mail only when your receiving mail server vouches for its From address in an
   * `Authentication-Results` header (`dmarc=pass`, or `dkim=pass`, for the sender's domain).
   * Without it, the From header is taken at its word once the relay proved itself with
   * `inboundSecret`. See docs/channels.md, "Who sent this mail?".
   *
   * @example
   * requireAuthenticationResults: { authservId: "mx.example.com" }
   */
  requireAuthenticationResults?: AuthenticationRequirement;
}

const weekMs = 7 * 24 * 60 * 60 * 1000;
const json = (body: Record<string, JsonValue>, status = 200) => Response.json(body, { status });
/** Refusals a relay may retry (the seen-id is released for them): the thread was busy, or we failed. */
const transient = new Set(["thread_busy", "internal"]);
/**
 * SMTP timeouts when `transport` is given as options: bounded well under the hub's delivery claim
 * (5 min), so a hanging server fails the send (and the sweep retries) instead of outliving the claim.
 */
const smtpTimeouts = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

/** Message-IDs in `References` order (oldest first), without repeats. */
function messageIds(mail: { references?: string | string[] | undefined; inReplyTo?: string | undefined }): string[] {
  const references = Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : [];
  // RFC 5322: without References, In-Reply-To names the parent.
  const ids = references.length > 0 ? references : mail.inReplyTo ? [mail.inReplyTo] : [];
  return [...new Set(ids.filter((id) => typeof id === "string" && id !== ""))];
}

function equalSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function requestText(thread: Thread, item: DeliverableItem): { subject: string; text: string } {
  const agent = thread.agent ?? "agent";
  const footer = `\n\n-- \nagentfold thread ${thread.id}, call ${item.callId}`;
  if (item.kind === "approval") {
    return {
      subject: `[${agent}] Approval needed: ${item.intent}`,
      text: `${agent} wants to run ${item.intent} with:\n\n${JSON.stringify(item.args, null, 2)}\n\nReply "approve" to approve, or "reject: <reason>" to reject.${footer}`,
    };
  }
  const how = item.format === "yes_no" ? 'Reply "yes" or "no".' : item.format === "multiple_choice" ? `Reply with one of: ${(item.choices ?? []).join(", ")}.` : "Reply with your answer.";
  const heading = item.reason === "escalation" ? `${agent} needs help` : `${agent} asks`;
  return {
    subject: `[${agent}] ${item.reason === "escalation" ? "Needs help" : "Question"}: ${item.question.slice(0, 80)}`,
    text: `${heading}:\n\n${item.question}${item.context ? `\n\n${item.context}` : ""}\n\n${how}${footer}`,
  };
}

/**
 * @example
 * const email = emailChannel({
 *   from: "deploybot@example.com",
 *   transport: { host: "smtp.example.com", port: 587, auth: { user, pass } },
 *   inboundSecret: process.env.MAIL_INBOUND_SECRET,
 *   starters: ["alex@example.com"],
 * });
 */
export function emailChannel(options: EmailChannelOptions): Channel {
  if (!options?.from || !/@/.test(options.from)) throw new ConfigurationError('emailChannel needs "from": the agent\'s email address.');
  if (!options.transport) throw new ConfigurationError('emailChannel needs "transport": a nodemailer transport or SMTP options { host, port }.');
  const transporter: Transporter =
    "sendMail" in options.transport ? (options.transport as Transporter) : nodemailer.createTransport({ ...smtpTimeouts, ...(options.transport as SMTPTransport.Options) });
  const domain = options.from.split("@")[1]!.replace(/>.*$/, "");
  const starters = options.starters ?? [];
  const newMessageId = (threadId: string) => `<${threadId}.${randomBytes(6).toString("hex")}@${domain}>`;

  function agentFor(to: readonly string[], context: ChannelContext): string | undefined {
    for (const address of to) {
      const agent = Object.entries(options.addresses ?? {}).find(([candidate]) => candidate.toLowerCase() === address.toLowerCase())?.[1];
      if (agent) return agent;
    }
    if (options.agent) return options.agent;
    return context.agents.size === 1 ? [...context.agents.keys()][0] : undefined;
  }

  async function send(input: { to: readonly string[]; subject: string; text: string; inReplyTo?: EmailRecord }): Promise<EmailRecord> {
    const messageId = newMessageId("agentfold");
    const references = input.inReplyTo ? [...new Set([...input.inReplyTo.references, input.inReplyTo.messageId])] : [];
    const subject = input.inReplyTo ? `Re: ${input.inReplyTo.subject.replace(/^re:\s*/i, "")}` : input.subject;
    await transporter.sendMail({
      from: options.from,
      to: [...input.to],
      subject,
      text: input.text,
      messageId,
      ...(input.inReplyTo ? { inReplyTo: input.inReplyTo.messageId, references } : {}),
    });
    return { messageId, subject, references };
  }

  const channel: Channel = {
    name: "email",
    paths: ["/v1/email/inbound"],
    configured: true,

    async deliver({ thread, item, audience, origin }, context) {
      const to = audience.people === "anyone" ? (audience.target ? [audience.target] : []) : [...audience.people];
      if (to.length === 0) throw new ConfigurationError(`No recipients for ${thread.id}/${item.callId} by email: list "people" (addresses) in the routing rule.`);
      const { subject, text } = requestText(thread, item);
      const inReplyTo = origin?.channel === "email" ? emailRecordSchema.safeParse(origin.data).data : undefined;
      const record = await send({ to, subject, text, ...(inReplyTo ? { inReplyTo } : {}) });
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

    async receive(request, _params, context) {
      if (!options.inboundSecret) return errorJson(404, "not_configured", "Inbound email is off: set emailChannel({ inboundSecret }) and have your mail relay send it.");
      // A secret in the query string is refused even when it is right: URLs are written to access
      // logs and pass through proxies, so the relay must be set up to send the header instead.
      if (new URL(request.url).searchParams.has("secret")) {
        return errorJson(401, "unauthorized", 'The inbound secret is not accepted in the query string (URLs end up in logs). Send it as "Authorization: Bearer <secret>" and remove ?secret= from the relay\'s URL.');
      }
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
      if (!equalSecret(bearer, options.inboundSecret)) return errorJson(401, "unauthorized", 'Send the inbound secret as "Authorization: Bearer <secret>".');
      const raw = Buffer.from(await request.arrayBuffer());
      if (raw.length === 0) return errorJson(400, "invalid_request", "Post the raw MIME message as the body (Content-Type: message/rfc822).");
      const parsedMail = inboundMailSchema.safeParse(await simpleParser(raw));
      if (!parsedMail.success) return errorJson(400, "invalid_request", describeIssue(parsedMail.error, "message"));
      const mail = parsedMail.data;
      const sender = mail.from?.value[0]?.address?.toLowerCase();
      if (!sender) return errorJson(400, "invalid_request", "The message has no From address.");
      if (options.requireAuthenticationResults) {
        const values = mail.headerLines.filter((header) => header.key === "authentication-results").map((header) => header.line.replace(/^[^:]*:/, ""));
        const failure = authenticationFailure(values, sender, options.requireAuthenticationResults);
        if (failure) return json({ status: "ignored", reason: failure });
      }
      // Without a Message-ID, the same raw message posted twice must still count once.
      const messageId = mail.messageId ?? `<sha256.${createHash("sha256").update(raw).digest("hex")}@inbound.invalid>`;
      const seen = { source: "email", id: messageId };
      if (!(await context.store.markSeen({ ...seen, ttlMs: weekMs }))) return json({ status: "duplicate" });
      try {
        const { response, retryable } = await handle(mail, sender, messageId, context);
        // A refusal the relay may retry must not be taken for a duplicate when it comes back.
        if (retryable) await context.store.forgetSeen(seen);
        return response;
      } catch (error) {
        await context.store.forgetSeen(seen).catch(() => {});
        throw error;
      }
    },
  };

  /** What to answer the relay, and whether a retry of the same mail should be applied again. */
  type Answer = { response: Response; retryable: boolean };
  const answer = (body: Record<string, JsonValue>, status = 200): Answer => ({ response: json(body, status), retryable: false });
  function refused(outcome: Extract<ActionOutcome, { ok: false }>): Answer {
    const status = outcome.code === "internal" ? 500 : outcome.code === "invalid_input" ? 400 : 409;
    return { response: errorJson(status, outcome.code, outcome.message), retryable: transient.has(outcome.code) };
  }

  async function handle(mail: InboundMail, sender: string, messageId: string, context: ChannelContext): Promise<Answer> {
    const references = messageIds(mail);
    // The closest parent first: In-Reply-To, then References from the newest.
    const candidates = [...new Set([...(mail.inReplyTo ? [mail.inReplyTo] : []), ...references.toReversed()])];
    const text = stripReply(mail.text ?? "");
    const actor = `email:${sender}`;
    for (const reference of candidates) {
      const known = await context.store.getLink("email", reference);
      if (!known) continue;
      if (!known.callId) {
        const origin = await context.originOf(known.threadId);
        if (origin?.person !== sender) return answer({ status: "ignored", reason: `${sender} did not start this thread.` });
        const outcome = await context.apply({ type: "message", threadId: known.threadId, actor, text, source: "email" });
        return outcome.ok ? answer({ status: "applied", threadId: known.threadId }) : refused(outcome);
      }
      const found = await context.audienceFor(known.threadId, known.callId, "email");
      if (!found) return answer({ status: "ignored", reason: "That request is no longer pending." });
      const command = found.item.kind === "approval" ? replyCommand(text) : { type: "text" as const, text };
      if (!allowedBy(found.audience, sender)) {
        const reason = `${sender} may not decide this request.`;
        const action = command.type === "reject" ? "reject" : command.type === "approve" ? "approve" : "answer";
        await context.refuseDecision(known.threadId, { actor, callId: known.callId, intent: found.item.intent, action, source: "email", reason });
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
    // Not a reply to anything we sent: new mail to the agent starts a thread.
    const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((list) => list.value.map((entry) => entry.address ?? ""));
    if (starters !== "anyone" && !starters.some((starter) => starter.toLowerCase() === sender)) {
      return answer({ status: "ignored", reason: `${sender} may not start threads by email.` });
    }
    const agent = agentFor(to, context);
    if (!agent) return answer({ status: "ignored", reason: "No agent for this address: set emailChannel({ agent }) or { addresses }." });
    // Our replies carry References = these, then this mail's Message-ID (RFC 5322 §3.6.4).
    const record: EmailRecord = { messageId, subject: mail.subject ?? "", references };
    const origin: Origin = { channel: "email", person: sender, data: record };
    const body = [mail.subject, text].filter(Boolean).join("\n\n");
    const outcome = await context.apply({ type: "start", agent, actor, text: body, source: "email", origin });
    if (!outcome.ok) return refused(outcome);
    await context.store.saveLink({ channel: "email", externalId: messageId, threadId: outcome.thread.id });
    return answer({ status: "started", threadId: outcome.thread.id }, 201);
  }

  return channel;
}
