import type { WebClient } from "@slack/web-api";
import type { ActionOutcome } from "../channel.ts";
import { escapeMrkdwn } from "./slack-blocks.ts";

/** A message only `user` sees. `text` is mrkdwn: escape anything from the thread or an error message in it. */
export async function ephemeral(
  client: WebClient,
  channel: string | undefined,
  user: string,
  text: string,
  threadTs?: string,
): Promise<void> {
  if (!channel) return;
  await client.chat.postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
}

/** Tells `user` when their action did not go through; says nothing when it did (the message updates). */
export async function reportOutcome(
  client: WebClient,
  outcome: ActionOutcome,
  channel: string | undefined,
  user: string,
  threadTs?: string,
): Promise<void> {
  if (!outcome.ok) await ephemeral(client, channel, user, `That did not go through: ${escapeMrkdwn(outcome.message)}`, threadTs);
}
