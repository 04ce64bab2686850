/**
 * The retry queue of outbound webhooks: a failed attempt is made again after its delay, by a timer
 * of this process; the hub's sweep resumes due retries that no timer here holds (a restart or
 * another process left them behind). The log in the channel store is the truth; timers only pace it.
 */
import type { ChannelContext } from "../channel.ts";
import { attemptDelivery, type AttemptSettings } from "./webhook-attempt.ts";

export interface WebhookRetries {
  /** Makes the next attempt of `id` now; schedules the one after if it fails. */
  attempt(context: ChannelContext, id: string): Promise<void>;
  /** Starts due retries without a timer here. They run at the sweep's pace, not to the millisecond. */
  sweep(context: ChannelContext): Promise<void>;
  /** Cancels the timers; nothing is scheduled after. */
  close(): void;
}

export function createWebhookRetries(settings: AttemptSettings): WebhookRetries {
  /** Retry timers of this process, by webhook id. */
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let closed = false;

  function retryLater(context: ChannelContext, id: string, delayMs: number): void {
    if (closed || timers.has(id)) return;
    const timer = setTimeout(
      () => {
        timers.delete(id);
        context.background(() => attempt(context, id));
      },
      Math.max(delayMs, 0),
    );
    timer.unref?.();
    timers.set(id, timer);
  }

  async function attempt(context: ChannelContext, id: string): Promise<void> {
    const delayMs = await attemptDelivery(settings, context, id);
    if (delayMs !== undefined) retryLater(context, id, delayMs);
  }

  async function sweep(context: ChannelContext): Promise<void> {
    for (const { id } of await context.store.listWebhookDeliveries({ state: "pending", dueBy: new Date().toISOString(), limit: 1000 })) {
      if (closed) return;
      if (timers.has(id)) continue;
      context.background(() => attempt(context, id));
    }
  }

  function close(): void {
    closed = true;
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  }

  return { attempt, sweep, close };
}
