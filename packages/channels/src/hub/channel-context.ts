/** The `ChannelContext` the hub gives every channel: bookkeeping, routing, and acting on threads. */
import { decisionRefusedEvent } from "agentfold/runtime";
import type { ChannelStore } from "@agentfold/stores";
import type { ActionOutcome, ChannelContext, InboundAction } from "../channel.ts";
import { routeFor, type RouteRule } from "../routing.ts";
import { decidingAudience } from "./deadline-notices.ts";
import { isDeliverable } from "./deliverable.ts";
import type { MountedServer } from "./hub-state.ts";

export interface ChannelContextSettings {
  readonly store: ChannelStore;
  readonly rules: readonly RouteRule[];
  /** The configured channels' names: an escalation's `slack:U_BOSS` names one of them. */
  readonly channelNames: readonly string[];
  readonly server: () => MountedServer;
  readonly apply: (action: InboundAction) => Promise<ActionOutcome>;
  readonly background: (task: () => Promise<unknown>) => void;
  readonly onError: (error: unknown, where: string) => void;
}

export function createChannelContext(settings: ChannelContextSettings): ChannelContext {
  const { store, rules, channelNames, server, apply, background, onError } = settings;
  const originOf = (threadId: string) => store.getOrigin(threadId);
  return {
    store,
    get agents() {
      return server().agents;
    },
    apply,
    async refuseDecision(threadId, refusal) {
      try {
        // Under the thread's lease like any append; the thread still waits, so the runner has nothing to do.
        const { settled } = await server().runner.change(threadId, (current) => current.append([decisionRefusedEvent(refusal)]));
        background(() => settled);
      } catch (error) {
        onError(error, `record a refused decision on ${threadId}`);
      }
    },
    async audienceFor(threadId, callId, channelName) {
      const thread = await server().store.load(threadId);
      const item = thread?.pending.find((pending) => pending.callId === callId);
      if (!thread || !item || !isDeliverable(item)) return undefined;
      // The routed people, and those an escalation after a passed deadline sent it to.
      const audience = decidingAudience(routeFor(rules, thread, item, await originOf(threadId)), item, channelName, channelNames);
      return audience ? { thread, item, audience } : undefined;
    },
    originOf,
    background,
    reportError: onError,
  };
}
