/**
 * `receive` for `POST /v1/hooks/:name`: a bad signature or a timestamp more than 5 minutes away is a
 * 401, a repeated webhook id a 200 with no effect; otherwise the payload's action is applied and the
 * answer says how it went.
 */
import { type Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import { errorJson, type ChannelContext } from "../channel.ts";
import type { WebhookHooks } from "./webhook-hooks.ts";
import { inboundAction } from "./webhook-inbound.ts";

/** The verified body as an object, or the error answer. */
function verifiedPayload(verifier: Webhook, body: string, headers: Record<string, string>): Record<string, unknown> | Response {
  let verified: unknown;
  try {
    verified = verifier.verify(body, headers);
  } catch (error) {
    // `verify` parses the body only after the signature matched: a parse error is a signed, malformed body.
    if (!(error instanceof WebhookVerificationError))
      return errorJson(400, "invalid_request", `The body is not valid JSON (${(error as Error).message}); send a JSON object.`);
    return errorJson(
      401,
      "unauthorized",
      `Webhook verification failed: ${error.message}. Sign with the hook's secret per Standard Webhooks; timestamps must be within 5 minutes.`,
    );
  }
  const object = z.record(z.string(), z.unknown()).safeParse(verified);
  return object.success ? object.data : errorJson(400, "invalid_request", "The body must be a JSON object.");
}

export async function receiveWebhook(
  hooks: WebhookHooks,
  verifiers: ReadonlyMap<string, Webhook>,
  request: Request,
  params: Record<string, string>,
  context: ChannelContext,
): Promise<Response> {
  const name = params.name ?? "";
  const verifier = verifiers.get(name);
  if (!verifier)
    return errorJson(404, "not_found", `No inbound webhook named "${name}". Configured: ${[...verifiers.keys()].join(", ") || "none"}.`);
  const body = await request.text();
  const headers = Object.fromEntries(
    ["webhook-id", "webhook-timestamp", "webhook-signature"].map((header) => [header, request.headers.get(header) ?? ""]),
  );
  const payload = verifiedPayload(verifier, body, headers);
  if (payload instanceof Response) return payload;
  const seen = { source: `webhook:${name}`, id: headers["webhook-id"] ?? "" };
  // Kept well past the 5-minute signature window, so a replay is always recognized.
  if (!(await context.store.markSeen({ ...seen, ttlMs: 24 * 60 * 60 * 1000 }))) return Response.json({ status: "duplicate" });
  const result = await inboundAction(name, hooks[name]!, payload, context);
  if (!("action" in result)) {
    await context.store.forgetSeen(seen);
    return errorJson(result.status, result.code, result.message);
  }
  const outcome = await context.apply(result.action);
  if (!outcome.ok) {
    // Let the sender retry after a transient failure; a conflict stays a conflict.
    if (outcome.code === "internal" || outcome.code === "thread_busy") await context.store.forgetSeen(seen);
    return errorJson(outcome.code === "internal" ? 500 : 409, outcome.code, outcome.message);
  }
  return Response.json({ status: "applied", threadId: outcome.thread.id }, { status: result.action.type === "start" ? 201 : 200 });
}
