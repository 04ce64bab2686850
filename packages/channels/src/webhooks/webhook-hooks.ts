/** The hooks a webhook channel knows: their settings, checked when the channel is made. */
import { Webhook } from "standardwebhooks";
import { ConfigurationError } from "agentfold";
import type { WebhookDelivery } from "@agentfold/stores";

export type WebhookEventType = WebhookDelivery["type"];
export const allEvents: readonly WebhookEventType[] = ["approval.requested", "question.asked", "thread.finished"];

export interface WebhookHook {
  /** The shared secret, `whsec_<base64>` as Standard Webhooks defines it. */
  secret: string;
  /** Outbound: where this hook's events go. */
  url?: string;
  /**
   * Outbound: the events this hook gets. Default all of them. `approval.requested` and
   * `question.asked` are sent only for requests routed to the hook (see routing); `thread.finished`
   * for every finished thread of `agent` (of any agent when `agent` is not set). A routed request
   * whose event is not listed here is not sent to this hook.
   */
  events?: readonly WebhookEventType[];
  /** The agent an inbound `{ message }` starts, and the only agent whose finished threads are sent. */
  agent?: string;
  /** Turns an inbound payload that is not `{ message }` into a first message (e.g. a CI event). */
  toMessage?: (payload: unknown) => string | undefined;
}

export type WebhookHooks = Readonly<Record<string, WebhookHook>>;

const namePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/** Whether `hook` gets events of `type`. */
export const wants = (hook: WebhookHook, type: WebhookEventType) => (hook.events ?? allEvents).includes(type);

/**
 * Each hook's signer and verifier, by name. Throws a `ConfigurationError` for a bad name, an
 * unknown event or a secret that is not `whsec_` plus base64.
 */
export function webhookVerifiers(hooks: WebhookHooks | undefined): Map<string, Webhook> {
  const verifiers = new Map<string, Webhook>();
  for (const [name, hook] of Object.entries(hooks ?? {})) {
    if (!namePattern.test(name))
      throw new ConfigurationError(`Webhook name ${JSON.stringify(name)} is invalid: use letters, digits, "_" and "-".`);
    for (const type of hook.events ?? []) {
      if (!allEvents.includes(type))
        throw new ConfigurationError(
          `Webhook "${name}": unknown event ${JSON.stringify(type)} in "events". Events: ${allEvents.join(", ")}.`,
        );
    }
    try {
      verifiers.set(name, new Webhook(hook.secret));
    } catch (error) {
      throw new ConfigurationError(`Webhook "${name}": the secret must be "whsec_" plus base64 (${(error as Error).message}).`);
    }
  }
  return verifiers;
}
