/**
 * What the hub does with the runner's appends to a thread, in order per thread: deliver new pending
 * items, let channels update what they sent once a call is decided or answered, and tell channels
 * that a thread finished. Each update and each finish is claimed in the channel store, so only one
 * process sends it.
 */
import type { Thread } from "agentfold";
import type { ChannelStore } from "@agentfold/stores";
import type { Channel, ChannelContext, Resolution } from "../channel.ts";

export interface ThreadUpdateSettings {
  readonly store: ChannelStore;
  readonly channels: readonly Channel[];
  readonly context: ChannelContext;
  readonly deliverPending: (thread: Thread) => Promise<void>;
  readonly onError: (error: unknown, where: string) => void;
}

/** Returns `onAppended(thread)`; it looks at the events since the last version it saw of the thread. */
export function createThreadUpdates(settings: ThreadUpdateSettings): (thread: Thread) => Promise<void> {
  const { store, channels, context, deliverPending, onError } = settings;
  // The version each thread was at when last seen; a thread not seen yet is looked at from 20 events back.
  const lastVersion = new Map<string, number>();

  async function resolveDelivered(
    thread: Thread,
    callId: string,
    outcome: Resolution["outcome"],
    actor: string | undefined,
    text: string | undefined,
  ) {
    for (const channel of channels) {
      if (!channel.resolved || !channel.configured) continue;
      const delivery = await store.getDelivery({ channel: channel.name, threadId: thread.id, callId });
      if (delivery?.state !== "sent") continue;
      if (!(await store.claim({ kind: "resolved", key: `${channel.name}:${thread.id}:${callId}` }))) continue;
      try {
        await channel.resolved({ thread, callId, outcome, actor, text, record: delivery.record }, context);
      } catch (error) {
        onError(error, `update ${thread.id}/${callId} on ${channel.name}`);
      }
    }
  }

  async function reportFinished(thread: Thread): Promise<void> {
    const origin = await store.getOrigin(thread.id);
    for (const channel of channels) {
      if (!channel.finished || !channel.configured) continue;
      if (!(await store.claim({ kind: "finished", key: `${channel.name}:${thread.id}:${thread.version}` }))) continue;
      try {
        await channel.finished(thread, origin, context);
      } catch (error) {
        onError(error, `finished ${thread.id} on ${channel.name}`);
      }
    }
  }

  return async function onAppended(thread: Thread): Promise<void> {
    const from = Math.max(lastVersion.get(thread.id) ?? thread.version - 20, 0);
    lastVersion.set(thread.id, thread.version);
    if (lastVersion.size > 10_000) lastVersion.clear();
    const events = thread.events.slice(from, thread.version);
    await deliverPending(thread);
    for (const event of events) {
      if (event.type === "approval_decision") {
        await resolveDelivered(thread, event.callId, event.approved ? "approved" : "rejected", event.actor, event.comment);
      } else if (event.type === "human_response") {
        await resolveDelivered(thread, event.callId, "answered", event.actor, event.text);
      }
    }
    const last = events.at(-1);
    if (last && (last.type === "done" || last.type === "failed" || last.type === "cancel") && thread.state.terminal)
      await reportFinished(thread);
  };
}
