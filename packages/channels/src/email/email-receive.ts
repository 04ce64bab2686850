/**
 * `receive` for `POST /v1/email/inbound`: the relay proves itself with the inbound secret (in the
 * Authorization header only), posts raw MIME, and each mail counts once by its Message-ID; a
 * refusal the relay may retry releases that id again.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { simpleParser } from "mailparser";
import { errorJson, type ChannelContext } from "../channel.ts";
import { describeIssue } from "../payload-errors.ts";
import { authenticationFailure, type AuthenticationRequirement } from "./email-authentication.ts";
import { handleMail, type EmailInboundSettings } from "./email-inbound.ts";
import { inboundMailSchema } from "./inbound-mail.ts";

const weekMs = 7 * 24 * 60 * 60 * 1000;

export interface EmailReceiveSettings extends EmailInboundSettings {
  readonly inboundSecret: string | undefined;
  readonly requireAuthenticationResults: AuthenticationRequirement | undefined;
}

function equalSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The refusal for a request that is not the relay's, or `undefined` when it is. */
function relayRefusal(settings: EmailReceiveSettings, request: Request): Response | undefined {
  if (!settings.inboundSecret)
    return errorJson(404, "not_configured", "Inbound email is off: set emailChannel({ inboundSecret }) and have your mail relay send it.");
  // A secret in the query string is refused even when it is right: URLs are written to access
  // logs and pass through proxies, so the relay must be set up to send the header instead.
  if (new URL(request.url).searchParams.has("secret")) {
    return errorJson(
      401,
      "unauthorized",
      'The inbound secret is not accepted in the query string (URLs end up in logs). Send it as "Authorization: Bearer <secret>" and remove ?secret= from the relay\'s URL.',
    );
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  if (!equalSecret(bearer, settings.inboundSecret))
    return errorJson(401, "unauthorized", 'Send the inbound secret as "Authorization: Bearer <secret>".');
  return undefined;
}

export async function receiveMail(settings: EmailReceiveSettings, request: Request, context: ChannelContext): Promise<Response> {
  const refusal = relayRefusal(settings, request);
  if (refusal) return refusal;
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length === 0) return errorJson(400, "invalid_request", "Post the raw MIME message as the body (Content-Type: message/rfc822).");
  const parsedMail = inboundMailSchema.safeParse(await simpleParser(raw));
  if (!parsedMail.success) return errorJson(400, "invalid_request", describeIssue(parsedMail.error, "message"));
  const mail = parsedMail.data;
  const sender = mail.from?.value[0]?.address?.toLowerCase();
  if (!sender) return errorJson(400, "invalid_request", "The message has no From address.");
  if (settings.requireAuthenticationResults) {
    const values = mail.headerLines
      .filter((header) => header.key === "authentication-results")
      .map((header) => header.line.replace(/^[^:]*:/, ""));
    const failure = authenticationFailure(values, sender, settings.requireAuthenticationResults);
    if (failure) return Response.json({ status: "ignored", reason: failure }, { status: 200 });
  }
  // Without a Message-ID, the same raw message posted twice must still count once.
  const messageId = mail.messageId ?? `<sha256.${createHash("sha256").update(raw).digest("hex")}@inbound.invalid>`;
  const seen = { source: "email", id: messageId };
  if (!(await context.store.markSeen({ ...seen, ttlMs: weekMs }))) return Response.json({ status: "duplicate" }, { status: 200 });
  try {
    const { response, retryable } = await handleMail(settings, mail, sender, messageId, context);
    // A refusal the relay may retry must not be taken for a duplicate when it comes back.
    if (retryable) await context.store.forgetSeen(seen);
    return response;
  } catch (error) {
    await context.store.forgetSeen(seen).catch(() => {});
    throw error;
  }
}
