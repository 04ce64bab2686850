/**
 * `receive` for `/v1/slack/interactions` and `/v1/slack/events`: verify the v0 signature, check the
 * payload (a malformed one is a 400 naming the field), drop retries and replays, answer at once
 * (Slack wants an answer within 3 s) and act afterwards, in the hub's background.
 */
import { createHash } from "node:crypto";
import { errorJson, type ChannelContext } from "../channel.ts";
import { describeIssue } from "../payload-errors.ts";
import { onSlackEvent, seenTtlMs, type SlackEventSettings } from "./slack-events.ts";
import { onInteraction } from "./slack-interactions.ts";
import { editedArgs, isObject, parseJson, typeOf } from "./slack-json.ts";
import {
  eventsBodySchema,
  handledEventBodies,
  handledInteractions,
  interactionSchema,
  messageEventSchema,
  messageEventTypes,
} from "./slack-payloads.ts";
import { verifySlackRequest } from "./slack-signature.ts";

const ok = () => new Response(null, { status: 200 });
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface SlackReceiveSettings extends SlackEventSettings {
  readonly signingSecret: string;
}

async function verified(signingSecret: string, request: Request): Promise<{ body: string } | Response> {
  const body = await request.text();
  const result = verifySlackRequest({
    signingSecret,
    rawBody: body,
    timestamp: request.headers.get("x-slack-request-timestamp"),
    signature: request.headers.get("x-slack-signature"),
  });
  return result.ok ? { body } : errorJson(401, "unauthorized", result.reason);
}

async function receiveInteraction(settings: SlackReceiveSettings, body: string, context: ChannelContext): Promise<Response> {
  const payloadText = new URLSearchParams(body).get("payload");
  if (!payloadText) return errorJson(400, "invalid_request", 'Expected a form body with a "payload" field.');
  const json = parseJson(payloadText);
  if (!json || !isObject(json.value))
    return errorJson(400, "invalid_request", 'The "payload" field is not a JSON object; send what Slack sends to the Interactivity URL.');
  // Shortcuts, closed modals and the like: acknowledged, nothing to do.
  if (!handledInteractions.includes(typeOf(json.value) ?? "")) return ok();
  const parsed = interactionSchema.safeParse(json.value);
  if (!parsed.success) return errorJson(400, "invalid_request", describeIssue(parsed.error, "Slack interaction payload"));
  const payload = parsed.data;
  // An edit with invalid JSON is refused in the modal itself, before anything is applied.
  if (payload.type === "view_submission" && payload.view.callback_id === "agentfold_edit") {
    const args = editedArgs(payload.view.state?.values.args?.args?.value);
    if ("error" in args) return Response.json({ response_action: "errors", errors: { args: `Not a JSON object: ${args.error}` } });
  }
  if (!(await context.store.markSeen({ source: "slack-interaction", id: sha256(body), ttlMs: seenTtlMs }))) return ok();
  context.background(() => onInteraction(settings.client, payload, context));
  return ok();
}

async function receiveEvent(settings: SlackReceiveSettings, body: string, context: ChannelContext): Promise<Response> {
  const json = parseJson(body);
  if (!json || !isObject(json.value))
    return errorJson(
      400,
      "invalid_request",
      "The body is not a JSON object; send what Slack sends to the Events URL (Content-Type: application/json).",
    );
  if (!handledEventBodies.includes(typeOf(json.value) ?? "")) return ok();
  const parsed = eventsBodySchema.safeParse(json.value);
  if (!parsed.success) return errorJson(400, "invalid_request", describeIssue(parsed.error, "Slack Events API body"));
  const events = parsed.data;
  if (events.type === "url_verification") return Response.json({ challenge: events.challenge });
  // Other events (reactions, channel changes…) are acknowledged: only messages and mentions act.
  if (!messageEventTypes.includes(events.event.type)) return ok();
  const event = messageEventSchema.safeParse(events.event);
  if (!event.success) return errorJson(400, "invalid_request", describeIssue(event.error, "Slack message event", ["event"]));
  // Slack retries (X-Slack-Retry-Num) carry the same event_id: the first one wins.
  const eventId = events.event_id ?? sha256(body);
  if (!(await context.store.markSeen({ source: "slack-event", id: eventId, ttlMs: seenTtlMs }))) return ok();
  context.background(() => onSlackEvent(settings, event.data, context));
  return ok();
}

export async function receiveSlackRequest(settings: SlackReceiveSettings, request: Request, context: ChannelContext): Promise<Response> {
  const checked = await verified(settings.signingSecret, request);
  if (checked instanceof Response) return checked;
  const path = new URL(request.url).pathname;
  if (path.endsWith("/interactions")) return receiveInteraction(settings, checked.body, context);
  return receiveEvent(settings, checked.body, context);
}
