/**
 * Outbound Slack messages: a pending item posted (in the thread's own Slack thread when it started
 * there), the message updated once the item is decided, and the person who started a thread told
 * how it ended.
 */
import type { WebClient } from "@slack/web-api";
import { ConfigurationError, type Thread } from "agentfold";
import { pendingItemOf } from "agentfold/runtime";
import type { Channel, DeliverableItem } from "../channel.ts";
import { noticeLine } from "../hub/deadline-notices.ts";
import { escapeMrkdwn, mention, pendingMessage, resolvedMessage } from "./slack-blocks.ts";
import { slackOriginDataSchema, slackRecordSchema, type SlackRecord } from "./slack-payloads.ts";

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

/** `defaultTarget`: where requests go when a routing rule gives no `target`. */
export function slackOutbound(
  client: WebClient,
  defaultTarget: string | undefined,
): Pick<Required<Channel>, "deliver" | "resolved" | "finished"> {
  return {
    async deliver({ thread, item, audience, origin, notice }, context) {
      const started = origin?.channel === "slack" ? slackOriginDataSchema.safeParse(origin.data).data : undefined;
      const target = audience.target ?? started?.channel ?? defaultTarget;
      if (!target)
        throw new ConfigurationError(
          `No Slack channel for ${thread.id}/${item.callId}: give the routing rule a "target" or set SLACK_CHANNEL.`,
        );
      const inOrigin = started?.channel === target ? started.ts : undefined;
      const message = pendingMessage(thread, item, audience.people);
      if (notice) {
        // A reminder or an escalation after a passed deadline: said first, the buttons work as before.
        message.text = `${noticeLine(notice)} ${message.text}`;
        message.blocks.unshift({ type: "context", elements: [{ type: "mrkdwn", text: escapeMrkdwn(noticeLine(notice)) }] });
      }
      const posted = await client.chat.postMessage({
        channel: target,
        text: message.text,
        blocks: message.blocks as never,
        ...(inOrigin ? { thread_ts: inOrigin } : {}),
      });
      const record: SlackRecord = { channel: String(posted.channel ?? target), ts: String(posted.ts) };
      // Replies in the question's Slack thread answer it.
      if (item.kind === "question")
        await context.store.saveLink({
          channel: "slack",
          externalId: `${record.channel}:${record.ts}`,
          threadId: thread.id,
          callId: item.callId,
        });
      return record;
    },

    async resolved(resolution) {
      const record = slackRecordSchema.safeParse(resolution.record).data;
      const item = requestedItem(resolution.thread, resolution.callId);
      if (!item || !record?.ts) return;
      const message = resolvedMessage(resolution.thread, item, resolution);
      await client.chat.update({ channel: record.channel, ts: record.ts, text: message.text, blocks: message.blocks as never });
    },

    async finished(thread, origin) {
      const started = origin?.channel === "slack" ? slackOriginDataSchema.safeParse(origin.data).data : undefined;
      if (!origin || !started) return;
      const last = thread.events.at(-1);
      const text =
        last?.type === "done"
          ? escapeMrkdwn(last.message)
          : last?.type === "failed"
            ? `:warning: Stopped: ${escapeMrkdwn(last.reason)}`
            : "Canceled.";
      await client.chat.postMessage({
        channel: started.channel,
        thread_ts: started.ts,
        text: `${mention(`slack:${origin.person}`)} ${text}`,
      });
    },
  };
}
