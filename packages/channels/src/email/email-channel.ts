/**
 * The email channel: requests go out through SMTP (nodemailer) with Message-ID, In-Reply-To and
 * References so mail clients thread them; replies come back as raw MIME at `POST /v1/email/inbound`
 * (what mail forwarding services post), parsed with mailparser and matched to the thread and call by
 * those headers. Only the people a request was routed to count.
 *
 * Outbound mail is in email-outbound.ts; inbound requests in email-receive.ts, and what a mail does
 * in email-inbound.ts.
 */
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { ConfigurationError } from "agentfold";
import type { Channel } from "../channel.ts";
import type { AuthenticationRequirement } from "./email-authentication.ts";
import { emailOutbound, emailSender } from "./email-outbound.ts";
import { receiveMail } from "./email-receive.ts";

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

/**
 * SMTP timeouts when `transport` is given as options: bounded well under the hub's delivery claim
 * (5 min), so a hanging server fails the send (and the sweep retries) instead of outliving the claim.
 */
const smtpTimeouts = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

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
  if (!options.transport)
    throw new ConfigurationError('emailChannel needs "transport": a nodemailer transport or SMTP options { host, port }.');
  const transporter: Transporter =
    "sendMail" in options.transport
      ? (options.transport as Transporter)
      : nodemailer.createTransport({ ...smtpTimeouts, ...(options.transport as SMTPTransport.Options) });
  const settings = {
    agent: options.agent,
    addresses: options.addresses,
    starters: options.starters ?? [],
    inboundSecret: options.inboundSecret,
    requireAuthenticationResults: options.requireAuthenticationResults,
  };
  return {
    name: "email",
    paths: ["/v1/email/inbound"],
    configured: true,
    ...emailOutbound(emailSender(transporter, options.from)),
    receive: (request, _params, context) => receiveMail(settings, request, context),
  };
}
