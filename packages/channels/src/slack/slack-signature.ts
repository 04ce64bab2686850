/**
 * Slack request signing (v0): `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<ts>:<raw body>")>`
 * with the time in `X-Slack-Request-Timestamp`. Requests more than 5 minutes away are refused, so a
 * captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type SlackVerification = { ok: true } | { ok: false; reason: string };

/** Signs like Slack does; for tests and tools that call your endpoints. */
export function signSlackRequest(signingSecret: string, timestamp: number | string, rawBody: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
}

/**
 * Verifies a Slack request's signature in constant time.
 *
 * @example
 * const result = verifySlackRequest({ signingSecret, rawBody, timestamp: headers["x-slack-request-timestamp"], signature: headers["x-slack-signature"] });
 * if (!result.ok) return new Response(result.reason, { status: 401 });
 */
export function verifySlackRequest(input: {
  signingSecret: string;
  rawBody: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  /** Seconds since the epoch; default now. */
  now?: number;
  /** Default 300. */
  toleranceSeconds?: number;
}): SlackVerification {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: "Missing X-Slack-Request-Timestamp or X-Slack-Signature." };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "X-Slack-Request-Timestamp is not a Unix time in seconds." };
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (input.toleranceSeconds ?? 300)) {
    return {
      ok: false,
      reason: "X-Slack-Request-Timestamp is more than 5 minutes away from now: check the server clock, or this is a replay.",
    };
  }
  const expected = Buffer.from(signSlackRequest(input.signingSecret, timestamp, input.rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "X-Slack-Signature does not match." };
  return { ok: true };
}
