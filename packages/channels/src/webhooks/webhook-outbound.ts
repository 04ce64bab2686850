/**
 * Outbound webhooks: a pending request routed to a hook (`approval.requested`, `question.asked`) and
 * a finished thread (`thread.finished`), each logged in the channel store as pending, then sent; a
 * failed send is retried (webhook-retries.ts).
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { JsonValue, Thread } from "agentfold";
import { jsonValueSchema } from "@agentfold/stores";
import type { Channel, ChannelContext, DeliverableItem } from "../channel.ts";
import { allowedBy } from "../routing.ts";
import { wants, type WebhookEventType, type WebhookHooks } from "./webhook-hooks.ts";
import type { WebhookRetries } from "./webhook-retries.ts";

function itemData(thread: Thread, item: DeliverableItem): Record<string, JsonValue> {
  return {
    threadId: thread.id,
    agent: thread.agent ?? null,
    ...z.record(z.string(), jsonValueSchema).parse(JSON.parse(JSON.stringify(item))),
  };
}

export function webhookOutbound(hooks: WebhookHooks, retries: WebhookRetries): Pick<Required<Channel>, "deliver" | "finished"> {
  /** Logs and sends one event; retries go on in the background. Returns the webhook id. */
  async function send(context: ChannelContext, hookName: string, type: WebhookEventType, data: Record<string, JsonValue>): Promise<string> {
    const hook = hooks[hookName]!;
    const id = `msg_${randomUUID().replaceAll("-", "")}`;
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    // Pending until delivered or failed: the sweep of any process finds it by that state.
    await context.store.saveWebhookDelivery({ id, hook: hookName, url: hook.url!, type, state: "pending", attempts: [], body });
    await retries.attempt(context, id);
    return id;
  }

  return {
    async deliver({ thread, item, audience, notice }, context) {
      const type = item.kind === "approval" ? "approval.requested" : "question.asked";
      const names = Object.keys(hooks).filter((name) => hooks[name]!.url && wants(hooks[name]!, type) && allowedBy(audience, name));
      // Sent again after a passed deadline: the same event, with `notice: { kind, by, to? }`.
      const data = { ...itemData(thread, item), ...(notice ? { notice: JSON.parse(JSON.stringify(notice)) as JsonValue } : {}) };
      const ids: string[] = [];
      for (const name of names) ids.push(await send(context, name, type, data));
      return ids;
    },

    async finished(thread, _origin, context) {
      const last = thread.events.at(-1);
      for (const [name, hook] of Object.entries(hooks)) {
        if (!hook.url || !wants(hook, "thread.finished")) continue;
        if (hook.agent && hook.agent !== thread.agent) continue;
        await send(context, name, "thread.finished", {
          threadId: thread.id,
          agent: thread.agent ?? null,
          status: thread.status,
          message: last?.type === "done" ? last.message : last?.type === "failed" ? last.reason : null,
        });
      }
    },
  };
}
