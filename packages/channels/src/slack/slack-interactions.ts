/**
 * Inbound clicks and modal submissions (verified and acknowledged by `receive`): Approve applies at
 * once, Reject and Edit open a modal whose submission applies, an answer button answers. Each checks
 * first that the user is in the request's audience.
 */
import type { WebClient } from "@slack/web-api";
import type { ChannelContext } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import { editModal, rejectModal } from "./slack-blocks.ts";
import { ephemeral, reportOutcome } from "./slack-ephemeral.ts";
import { editedArgs } from "./slack-json.ts";
import { parseButtonValue, type ParsedButtonValue, type SlackInteraction } from "./slack-payloads.ts";

type BlockActions = Extract<SlackInteraction, { type: "block_actions" }>;
type ViewSubmission = Exclude<SlackInteraction, BlockActions>;

/** Checks that `user` may decide; tells them when not, and records the refusal on the thread. */
async function authorize(
  client: WebClient,
  context: ChannelContext,
  value: ParsedButtonValue,
  user: string,
  channel: string | undefined,
  action: "approve" | "reject" | "answer",
) {
  const found = await context.audienceFor(value.t, value.c, "slack");
  if (!found) {
    await ephemeral(client, channel, user, "This request is no longer pending: it was already decided.");
    return undefined;
  }
  if (!allowedBy(found.audience, user)) {
    await context.refuseDecision(value.t, {
      actor: `slack:${user}`,
      callId: value.c,
      intent: found.item.intent,
      action,
      source: "slack",
      reason: `slack:${user} is not in the audience of this request.`,
    });
    await ephemeral(
      client,
      channel,
      user,
      `You are not allowed to decide this request. Ask ${found.audience.people === "anyone" ? "someone" : found.audience.people.map((person) => `<@${person}>`).join(", ")}.`,
    );
    return undefined;
  }
  return found;
}

async function onBlockActions(client: WebClient, payload: BlockActions, context: ChannelContext): Promise<void> {
  const user = payload.user.id;
  const actor = `slack:${user}`;
  const action = payload.actions[0];
  const value = parseButtonValue(action?.value);
  const channel = payload.channel?.id;
  if (!action || !value) return;
  const id = action.action_id;
  const found = await authorize(
    client,
    context,
    value,
    user,
    channel,
    id === "agentfold_reject" ? "reject" : id.startsWith("agentfold_answer_") ? "answer" : "approve",
  );
  if (!found) return;
  const metadata = JSON.stringify({ ...value, channel, ts: payload.message?.ts });
  const trigger = payload.trigger_id ?? "";
  if (id === "agentfold_approve") {
    await reportOutcome(
      client,
      await context.apply({ type: "approve", threadId: value.t, callId: value.c, actor, ...(value.h ? { argsHash: value.h } : {}) }),
      channel,
      user,
    );
  } else if (id === "agentfold_reject") {
    await client.views.open({ trigger_id: trigger, view: rejectModal(metadata) as never });
  } else if (id === "agentfold_edit" && found.item.kind === "approval") {
    await client.views.open({ trigger_id: trigger, view: editModal(metadata, found.item.intent, found.item.args) as never });
  } else if (id.startsWith("agentfold_answer_") && value.a !== undefined) {
    await reportOutcome(
      client,
      await context.apply({ type: "respond", threadId: value.t, callId: value.c, actor, text: value.a }),
      channel,
      user,
    );
  }
}

async function onViewSubmission(client: WebClient, payload: ViewSubmission, context: ChannelContext): Promise<void> {
  const user = payload.user.id;
  const actor = `slack:${user}`;
  const view = payload.view;
  const value = parseButtonValue(view.private_metadata);
  if (!value) return;
  const found = await authorize(
    client,
    context,
    value,
    user,
    value.channel,
    view.callback_id === "agentfold_reject" ? "reject" : "approve",
  );
  if (!found) return;
  const values = view.state?.values ?? {};
  if (view.callback_id === "agentfold_reject") {
    const reason = (values.reason?.reason?.value ?? "").trim();
    await reportOutcome(
      client,
      await context.apply({ type: "reject", threadId: value.t, callId: value.c, actor, ...(reason ? { comment: reason } : {}) }),
      value.channel,
      user,
    );
  } else if (view.callback_id === "agentfold_edit") {
    // Checked to be a JSON object before the modal closed (see `receive`).
    const args = editedArgs(values.args?.args?.value);
    if (!("args" in args)) return;
    await reportOutcome(
      client,
      await context.apply({
        type: "approve",
        threadId: value.t,
        callId: value.c,
        actor,
        args: args.args,
        comment: "edited in Slack",
        ...(value.h ? { argsHash: value.h } : {}),
      }),
      value.channel,
      user,
    );
  }
}

export function onInteraction(client: WebClient, payload: SlackInteraction, context: ChannelContext): Promise<void> {
  return payload.type === "block_actions" ? onBlockActions(client, payload, context) : onViewSubmission(client, payload, context);
}
