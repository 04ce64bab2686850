/**
 * Outbound: each pending approval or question of a thread goes, as routing says, to each configured
 * channel, once across processes. A claim in the channel store (which expires) comes before the
 * send, `markDelivered` after it; a failed send releases the claim, so the next sweep tries again.
 * A reminder or an escalation after a passed deadline (deadline-notices.ts) is one more delivery
 * of the item, under its own key (`<callId>#reminder`, `<callId>#escalation`), so it is sent once too.
 */
import type { Thread } from "agentfold";
import type { ChannelStore, DeliveryKey } from "@agentfold/stores";
import type { Channel, ChannelContext, Delivery } from "../channel.ts";
import { routeFor, type RouteRule } from "../routing.ts";
import { noticeOf, noticeSends } from "./deadline-notices.ts";
import { isDeliverable } from "./deliverable.ts";

export interface DeliverySettings {
  readonly store: ChannelStore;
  readonly rules: readonly RouteRule[];
  readonly byName: ReadonlyMap<string, Channel>;
  readonly deliveryClaimTtlMs: number;
  readonly context: ChannelContext;
  readonly onError: (error: unknown, where: string) => void;
}

/** Returns `deliverPending(thread)`, which remembers the deliveries this process has seen through. */
export function createDeliverPending(settings: DeliverySettings): (thread: Thread) => Promise<void> {
  const { store, rules, byName, deliveryClaimTtlMs, context, onError } = settings;
  /** Deliveries this process sent or is sending, or saw sent: no store round trip for them again. */
  const claimedHere = new Set<string>();

  async function deliverOne(thread: Thread, channel: Channel, send: Delivery): Promise<void> {
    const { item } = send;
    const callId = send.notice ? `${item.callId}#${send.notice.kind}` : item.callId;
    const delivery: DeliveryKey = { channel: channel.name, threadId: thread.id, callId };
    const key = JSON.stringify([channel.name, thread.id, callId]);
    if (claimedHere.has(key)) return;
    // The claim expires: if this process dies before `markDelivered` below, another one sends it later.
    if (!(await store.claimDelivery(delivery, { ttlMs: deliveryClaimTtlMs }))) {
      // Sending elsewhere may still fail or die, so only a finished delivery is remembered.
      if ((await store.getDelivery(delivery))?.state === "sent") claimedHere.add(key);
      return;
    }
    if (claimedHere.size >= 10_000) claimedHere.clear();
    claimedHere.add(key);
    try {
      const record = await channel.deliver(send, context);
      // Kept for good, with what the channel needs to update the message later.
      await store.markDelivered(delivery, record);
    } catch (error) {
      // Unclaimed, so the next sweep tries again.
      claimedHere.delete(key);
      await store.releaseDelivery(delivery).catch(() => {});
      onError(error, `deliver ${thread.id}/${item.callId} on ${channel.name}`);
    }
  }

  return async function deliverPending(thread: Thread): Promise<void> {
    const items = thread.pending.filter(isDeliverable);
    if (items.length === 0) return;
    const origin = await store.getOrigin(thread.id);
    for (const item of items) {
      const routes = routeFor(rules, thread, item, origin);
      for (const send of routes) {
        const channel = byName.get(send.channel);
        if (!channel?.configured) continue;
        await deliverOne(thread, channel, { thread, item, audience: send, origin });
      }
      const notice = noticeOf(item);
      if (!notice) continue;
      for (const send of noticeSends(routes, item, byName.keys())) {
        const channel = byName.get(send.channel);
        if (!channel?.configured) continue;
        await deliverOne(thread, channel, { thread, item, audience: send, origin, notice });
      }
    }
  };
}
