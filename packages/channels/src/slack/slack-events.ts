/**
 * Inbound messages and mentions (verified and acknowledged by `receive`): a reply in a Slack thread
 * the agent posted answers its question or continues its thread; a mention or a direct message
 * starts a thread, whose Slack thread is then its origin (factor 11).
 */
import type { WebClient } from "@slack/web-api";
import { ConfigurationError } from "agentfold";
import type { ChannelLink } from "@agentfold/stores";
import type { ChannelContext, Origin } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import { escapeMrkdwn } from "./slack-blocks.ts";
import { ephemeral, reportOutcome } from "./slack-ephemeral.ts";
import type { SlackMessageEvent } from "./slack-payloads.ts";

/** How long a Slack message, interaction or event id is remembered, to drop its retries and replays. */
export const seenTtlMs = 60 * 60 * 1000;

export interface SlackEventSettings {
  readonly client: WebClient;
  /** The agent a mention or a direct message starts; needed when the server runs several. */
  readonly agent: string | undefined;
  /** Who may start threads and continue them: Slack user ids or `"anyone"`. */
  readonly starters: readonly string[] | "anyone";
}

function agentFor(settings: SlackEventSettings, context: ChannelContext): string {
  if (settings.agent) return settings.agent;
  if (context.agents.size === 1) return [...context.agents.keys()][0]!;
  throw new ConfigurationError(
    `slackChannel({ agent }) is needed: the server runs several agents (${[...context.agents.keys()].join(", ")}).`,
  );
}

/** The first question of the thread still pending on Slack: a reply in the thread's Slack thread answers it. */
async function firstQuestion(context: ChannelContext, threadId: string): Promise<string | undefined> {
  for (const { callId } of await context.store.listDeliveries({ channel: "slack", threadId })) {
    const found = await context.audienceFor(threadId, callId, "slack");
    if (found?.item.kind === "question") return callId;
  }
  return undefined;
}

/** A reply in the Slack thread of a known thread: an answer when a question is open there, else a message. */
async function onReply(
  settings: SlackEventSettings,
  context: ChannelContext,
  event: SlackMessageEvent,
  known: ChannelLink,
  text: string,
): Promise<void> {
  const { client, starters } = settings;
  const channel = event.channel;
  const user = event.user ?? "";
  const origin = await context.originOf(known.threadId);
  const target = known.callId ?? (await firstQuestion(context, known.threadId));
  if (target) {
    const found = await context.audienceFor(known.threadId, target, "slack");
    if (!found) return ephemeral(client, channel, user, "That question was already answered.", event.thread_ts);
    if (!allowedBy(found.audience, user)) {
      const reason = `slack:${user} is not in the audience of this question.`;
      await context.refuseDecision(known.threadId, {
        actor: `slack:${user}`,
        callId: target,
        intent: found.item.intent,
        action: "answer",
        source: "slack",
        reason,
      });
      return ephemeral(client, channel, user, "You are not allowed to answer this question.", event.thread_ts);
    }
    const outcome = await context.apply({ type: "respond", threadId: known.threadId, callId: target, actor: `slack:${user}`, text });
    return reportOutcome(client, outcome, channel, user, event.thread_ts);
  }
  if (origin?.person === user || (starters !== "anyone" ? starters.includes(user) : true)) {
    const outcome = await context.apply({ type: "message", threadId: known.threadId, actor: `slack:${user}`, text, source: "slack" });
    await reportOutcome(client, outcome, channel, user, event.thread_ts);
  }
}

export async function onSlackEvent(settings: SlackEventSettings, event: SlackMessageEvent, context: ChannelContext): Promise<void> {
  const { client, starters } = settings;
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
  if (known) return onReply(settings, context, event, known, text);
  if (!isMention && !isDirect) return;
  if (starters !== "anyone" && !starters.includes(user))
    return ephemeral(client, channel, user, "You are not allowed to start this agent.");
  const threadTs = event.thread_ts ?? event.ts;
  const origin: Origin = { channel: "slack", person: user, data: { channel, ts: threadTs } };
  const outcome = await context.apply({
    type: "start",
    agent: agentFor(settings, context),
    actor: `slack:${user}`,
    text,
    source: "slack",
    origin,
  });
  if (outcome.ok) await context.store.saveLink({ channel: "slack", externalId: `${channel}:${threadTs}`, threadId: outcome.thread.id });
  else await ephemeral(client, channel, user, `Could not start: ${escapeMrkdwn(outcome.message)}`);
}
