/**
 * The Slack channel: approvals as Block Kit messages (Approve / Reject with a reason / Edit in a
 * modal), questions with answer buttons or thread replies, the message updated after a decision.
 * Inbound `/v1/slack/interactions` and `/v1/slack/events` are verified (v0 signatures), answered at
 * once (Slack wants an answer within 3 s) and processed afterwards; retries and replays are dropped.
 */
import { createHash } from "node:crypto";
import { WebClient } from "@slack/web-api";
import { ConfigurationError, type Thread } from "agentfold";
import { pendingItemOf } from "agentfold/runtime";
import { errorJson, type Channel, type ChannelContext, type DeliverableItem, type Origin } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import { describeIssue } from "../payload-errors.ts";
import { editModal, escapeMrkdwn, mention, pendingMessage, rejectModal, settledMessage } from "./slack-blocks.ts";
import {
  eventsBodySchema,
  handledEventBodies,
  handledInteractions,
  interactionSchema,
  messageEventSchema,
  messageEventTypes,
  parseButtonValue,
  slackOriginDataSchema,
  slackRecordSchema,
  type ParsedButtonValue,
  type SlackInteraction,
  type SlackMessageEvent,
  type SlackRecord,
} from "./slack-payloads.ts";
import { verifySlackRequest } from "./slack-signature.ts";

export interface SlackChannelOptions {
  /** Bot token (`xoxb-…`). Default: `SLACK_BOT_TOKEN`. */
  token?: string;
  /** Default: `SLACK_SIGNING_SECRET`. */
  signingSecret?: string;
  /** Where requests go when a routing rule gives no `target`. Default: `SLACK_CHANNEL`. */
  defaultTarget?: string;
  /** The agent a mention or a direct message starts. Needed when the server runs several agents. */
  agent?: string;
  /** Who may start threads by a mention or DM: Slack user ids or `"anyone"` (default). */
  starters?: readonly string[] | "anyone";
  /** The Web API base URL (a stand-in in tests). Default `https://slack.com/api/`. */
  apiUrl?: string;
  /** A client to use instead of a new WebClient. */
  client?: WebClient;
}

const seenTtlMs = 60 * 60 * 1000;
const ok = () => new Response(null, { status: 200 });
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** JSON text as a value, or `undefined` when it is not JSON (a signed but malformed body is the sender's fault: 400). */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is object => value !== null && typeof value === "object" && !Array.isArray(value);
/** The `type` of a JSON object, if it has a string one. */
const typeOf = (value: object): string | undefined => ("type" in value && typeof value.type === "string" ? value.type : undefined);

/** The edit modal's arguments: a JSON object, or why they are not one. */
function editedArgs(text: string | null | undefined): { args: Record<string, unknown> } | { error: string } {
  const json = parseJson(text ?? "");
  if (!json) return { error: `${JSON.stringify((text ?? "").slice(0, 40))} is not valid JSON` };
  return isObject(json.value) ? { args: { ...json.value } } : { error: "expected a JSON object" };
}

/** The item as it was requested, even after it was decided (for updating its message). */
function requestedItem(thread: Thread, callId: string): DeliverableItem | undefined {
  const pending = thread.pending.find((item) => item.callId === callId);
  if (pending && pending.kind !== "child") return pending;
  for (let index = thread.events.length - 1; index >= 0; index--) {
    const event = thread.events[index]!;
    if ((event.type === "approval_requested" || event.type === "human_request") && event.callId === callId) return pendingItemOf(event);
  }
  return undefined;
}

/**
 * @example
 * const slack = slackChannel({ agent: "deploybot", defaultTarget: "C_DEPLOYS" }); // token and secret from the environment
 * createChannels({ channels: [slack], routing: [{ send: [{ channel: "slack", people: ["U_ALEX"] }] }] });
 */
export function slackChannel(options: SlackChannelOptions = {}): Channel {
  const token = options.token ?? process.env.SLACK_BOT_TOKEN;
  const signingSecret = options.signingSecret ?? process.env.SLACK_SIGNING_SECRET;
  const defaultTarget = options.defaultTarget ?? process.env.SLACK_CHANNEL;
  const starters = options.starters ?? "anyone";
  const configured = Boolean((token || options.client) && signingSecret);
  const client =
    options.client ??
    new WebClient(token, {
      ...(options.apiUrl === undefined ? {} : { slackApiUrl: options.apiUrl }),
      // A few quick retries and a per-request timeout: a slow Slack must not hold a delivery for
      // minutes (the hub's delivery claim expires after `deliveryClaimTtlMs`, 5 min by default).
      retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2000 },
      timeout: 15_000,
    });

  function agentFor(context: ChannelContext): string {
    if (options.agent) return options.agent;
    if (context.agents.size === 1) return [...context.agents.keys()][0]!;
    throw new ConfigurationError(`slackChannel({ agent }) is needed: the server runs several agents (${[...context.agents.keys()].join(", ")}).`);
  }

  /** `text` is mrkdwn: escape anything from the thread or an error message in it. */
  async function ephemeral(channel: string | undefined, user: string, text: string, threadTs?: string) {
    if (!channel) return;
    await client.chat.postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
  }

  /** Checks that `user` may decide; tells them when not, and records the refusal on the thread. */
  async function authorize(context: ChannelContext, value: ParsedButtonValue, user: string, channel: string | undefined, action: "approve" | "reject" | "answer") {
    const found = await context.audienceFor(value.t, value.c, "slack");
    if (!found) {
      await ephemeral(channel, user, "This request is no longer pending: it was already decided.");
      return undefined;
    }
    if (!allowedBy(found.audience, user)) {
      await context.refuseDecision(value.t, { actor: `slack:${user}`, callId: value.c, intent: found.item.intent, action, source: "slack", reason: `slack:${user} is not in the audience of this request.` });
      await ephemeral(channel, user, `You are not allowed to decide this request. Ask ${found.audience.people === "anyone" ? "someone" : found.audience.people.map((person) => `<@${person}>`).join(", ")}.`);
      return undefined;
    }
    return found;
  }

  async function report(context: ChannelContext, outcome: Awaited<ReturnType<ChannelContext["apply"]>>, channel: string | undefined, user: string) {
    if (!outcome.ok) await ephemeral(channel, user, `That did not go through: ${escapeMrkdwn(outcome.message)}`);
  }

  async function onInteraction(payload: SlackInteraction, context: ChannelContext): Promise<void> {
    const user = payload.user.id;
    const actor = `slack:${user}`;
    if (payload.type === "block_actions") {
      const action = payload.actions[0];
      const value = parseButtonValue(action?.value);
      const channel = payload.channel?.id;
      if (!action || !value) return;
      const id = action.action_id;
      const found = await authorize(context, value, user, channel, id === "agentfold_reject" ? "reject" : id.startsWith("agentfold_answer_") ? "answer" : "approve");
      if (!found) return;
      const metadata = JSON.stringify({ ...value, channel, ts: payload.message?.ts });
      const trigger = payload.trigger_id ?? "";
      if (id === "agentfold_approve") {
        await report(context, await context.apply({ type: "approve", threadId: value.t, callId: value.c, actor, ...(value.h ? { argsHash: value.h } : {}) }), channel, user);
      } else if (id === "agentfold_reject") {
        await client.views.open({ trigger_id: trigger, view: rejectModal(metadata) as never });
      } else if (id === "agentfold_edit" && found.item.kind === "approval") {
        await client.views.open({ trigger_id: trigger, view: editModal(metadata, found.item.intent, found.item.args) as never });
      } else if (id.startsWith("agentfold_answer_") && value.a !== undefined) {
        await report(context, await context.apply({ type: "respond", threadId: value.t, callId: value.c, actor, text: value.a }), channel, user);
      }
      return;
    }
    const view = payload.view;
    const value = parseButtonValue(view.private_metadata);
    if (!value) return;
    const found = await authorize(context, value, user, value.channel, view.callback_id === "agentfold_reject" ? "reject" : "approve");
    if (!found) return;
    const values = view.state?.values ?? {};
    if (view.callback_id === "agentfold_reject") {
      const reason = (values.reason?.reason?.value ?? "").trim();
      await report(context, await context.apply({ type: "reject", threadId: value.t, callId: value.c, actor, ...(reason ? { comment: reason } : {}) }), value.channel, user);
    } else if (view.callback_id === "agentfold_edit") {
      // Checked to be a JSON object before the modal closed (see `receive`).
      const args = editedArgs(values.args?.args?.value);
      if (!("args" in args)) return;
      await report(
        context,
        await context.apply({ type: "approve", threadId: value.t, callId: value.c, actor, args: args.args, comment: "edited in Slack", ...(value.h ? { argsHash: value.h } : {}) }),
        value.channel,
        user,
      );
    }
  }

  async function onEvent(event: SlackMessageEvent, context: ChannelContext): Promise<void> {
    if (event.bot_id || (event.subtype !== undefined && event.subtype !== "thread_broadcast")) return;
    const isMention = event.type === "app_mention";
    const isDirect = event.type === "message" && event.channel_type === "im";
    const isReply = event.type === "message" && event.thread_ts !== undefined;
    if (!isMention && !isDirect && !isReply) return;
    const channel = event.channel;
    const user = event.user ?? "";
    // A reply that mentions the bot arrives twice (app_mention and message): act once per Slack message.
    if (!(await context.store.markSeen({ source: "slack-message", id: `${channel}:${event.ts}`, ttlMs: seenTtlMs }))) return;
    const text = (event.text ?? "").replace(/<@[A-Z0-9]+>/g, "").trim();
    if (text === "") return;
    const known = event.thread_ts === undefined ? undefined : await context.store.getLink("slack", `${channel}:${event.thread_ts}`);
    if (known) {
      const origin = await context.originOf(known.threadId);
      const target = known.callId ?? (await firstQuestion(context, known.threadId));
      if (target) {
        const found = await context.audienceFor(known.threadId, target, "slack");
        if (!found) return ephemeral(channel, user, "That question was already answered.", event.thread_ts);
        if (!allowedBy(found.audience, user)) {
          const reason = `slack:${user} is not in the audience of this question.`;
          await context.refuseDecision(known.threadId, { actor: `slack:${user}`, callId: target, intent: found.item.intent, action: "answer", source: "slack", reason });
          return ephemeral(channel, user, "You are not allowed to answer this question.", event.thread_ts);
        }
        const outcome = await context.apply({ type: "respond", threadId: known.threadId, callId: target, actor: `slack:${user}`, text });
        if (!outcome.ok) await ephemeral(channel, user, `That did not go through: ${escapeMrkdwn(outcome.message)}`, event.thread_ts);
        return;
      }
      if (origin?.person === user || (starters !== "anyone" ? starters.includes(user) : true)) {
        const outcome = await context.apply({ type: "message", threadId: known.threadId, actor: `slack:${user}`, text, source: "slack" });
        if (!outcome.ok) await ephemeral(channel, user, `That did not go through: ${escapeMrkdwn(outcome.message)}`, event.thread_ts);
      }
      return;
    }
    if (!isMention && !isDirect) return;
    if (starters !== "anyone" && !starters.includes(user)) return ephemeral(channel, user, "You are not allowed to start this agent.");
    const threadTs = event.thread_ts ?? event.ts;
    const origin: Origin = { channel: "slack", person: user, data: { channel, ts: threadTs } };
    const outcome = await context.apply({ type: "start", agent: agentFor(context), actor: `slack:${user}`, text, source: "slack", origin });
    if (outcome.ok) await context.store.saveLink({ channel: "slack", externalId: `${channel}:${threadTs}`, threadId: outcome.thread.id });
    else await ephemeral(channel, user, `Could not start: ${escapeMrkdwn(outcome.message)}`);
  }

  async function firstQuestion(context: ChannelContext, threadId: string): Promise<string | undefined> {
    for (const { callId } of await context.store.listDeliveries({ channel: "slack", threadId })) {
      const found = await context.audienceFor(threadId, callId, "slack");
      if (found?.item.kind === "question") return callId;
    }
    return undefined;
  }

  async function verified(request: Request): Promise<{ body: string } | Response> {
    const body = await request.text();
    const result = verifySlackRequest({
      signingSecret: signingSecret!,
      rawBody: body,
      timestamp: request.headers.get("x-slack-request-timestamp"),
      signature: request.headers.get("x-slack-signature"),
    });
    return result.ok ? { body } : errorJson(401, "unauthorized", result.reason);
  }

  return {
    name: "slack",
    paths: ["/v1/slack/interactions", "/v1/slack/events"],
    configured,

    async deliver({ thread, item, audience, origin }, context) {
      const started = origin?.channel === "slack" ? slackOriginDataSchema.safeParse(origin.data).data : undefined;
      const target = audience.target ?? started?.channel ?? defaultTarget;
      if (!target) throw new ConfigurationError(`No Slack channel for ${thread.id}/${item.callId}: give the routing rule a "target" or set SLACK_CHANNEL.`);
      const inOrigin = started?.channel === target ? started.ts : undefined;
      const message = pendingMessage(thread, item, audience.people);
      const posted = await client.chat.postMessage({ channel: target, text: message.text, blocks: message.blocks as never, ...(inOrigin ? { thread_ts: inOrigin } : {}) });
      const record: SlackRecord = { channel: String(posted.channel ?? target), ts: String(posted.ts) };
      // Replies in the question's Slack thread answer it.
      if (item.kind === "question") await context.store.saveLink({ channel: "slack", externalId: `${record.channel}:${record.ts}`, threadId: thread.id, callId: item.callId });
      return record;
    },

    async resolved(resolution) {
      const record = slackRecordSchema.safeParse(resolution.record).data;
      const item = requestedItem(resolution.thread, resolution.callId);
      if (!item || !record?.ts) return;
      const message = settledMessage(resolution.thread, item, resolution);
      await client.chat.update({ channel: record.channel, ts: record.ts, text: message.text, blocks: message.blocks as never });
    },

    async finished(thread, origin) {
      const started = origin?.channel === "slack" ? slackOriginDataSchema.safeParse(origin.data).data : undefined;
      if (!origin || !started) return;
      const last = thread.events.at(-1);
      const text = last?.type === "done" ? escapeMrkdwn(last.message) : last?.type === "failed" ? `:warning: Stopped: ${escapeMrkdwn(last.reason)}` : "Canceled.";
      await client.chat.postMessage({ channel: started.channel, thread_ts: started.ts, text: `${mention(`slack:${origin.person}`)} ${text}` });
    },

    async receive(request, _params, context) {
      const checked = await verified(request);
      if (checked instanceof Response) return checked;
      const path = new URL(request.url).pathname;
      if (path.endsWith("/interactions")) {
        const payloadText = new URLSearchParams(checked.body).get("payload");
        if (!payloadText) return errorJson(400, "invalid_request", 'Expected a form body with a "payload" field.');
        const json = parseJson(payloadText);
        if (!json || !isObject(json.value)) return errorJson(400, "invalid_request", 'The "payload" field is not a JSON object; send what Slack sends to the Interactivity URL.');
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
        if (!(await context.store.markSeen({ source: "slack-interaction", id: sha256(checked.body), ttlMs: seenTtlMs }))) return ok();
        context.background(() => onInteraction(payload, context));
        return ok();
      }
      const json = parseJson(checked.body);
      if (!json || !isObject(json.value)) return errorJson(400, "invalid_request", "The body is not a JSON object; send what Slack sends to the Events URL (Content-Type: application/json).");
      if (!handledEventBodies.includes(typeOf(json.value) ?? "")) return ok();
      const parsed = eventsBodySchema.safeParse(json.value);
      if (!parsed.success) return errorJson(400, "invalid_request", describeIssue(parsed.error, "Slack Events API body"));
      const body = parsed.data;
      if (body.type === "url_verification") return Response.json({ challenge: body.challenge });
      // Other events (reactions, channel changes…) are acknowledged: only messages and mentions act.
      if (!messageEventTypes.includes(body.event.type)) return ok();
      const event = messageEventSchema.safeParse(body.event);
      if (!event.success) return errorJson(400, "invalid_request", describeIssue(event.error, "Slack message event", ["event"]));
      // Slack retries (X-Slack-Retry-Num) carry the same event_id: the first one wins.
      const eventId = body.event_id ?? sha256(checked.body);
      if (!(await context.store.markSeen({ source: "slack-event", id: eventId, ttlMs: seenTtlMs }))) return ok();
      context.background(() => onEvent(event.data, context));
      return ok();
    },
  };
}
