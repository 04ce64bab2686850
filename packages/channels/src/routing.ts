/**
 * Routing: which channel and which people get which request. Rules are tried in order; the first
 * whose `when` matches sends the request to every entry of its `send`. A thread a channel started
 * goes back to that channel and person when no rule matches (answer where you were asked).
 */
import { ConfigurationError, type Thread } from "agentfold";
import type { Audience, DeliverableItem, Origin } from "./channel.ts";

/** What a rule matches; every given field must match (a list matches any of its values). */
export interface RouteMatch {
  agent?: string | readonly string[];
  /** The tool (intent) of an approval or of the question's call. */
  intent?: string | readonly string[];
  kind?: "approval" | "question";
  /** For questions: `question`, `escalation` (factor 9: the error limit was reached), `outcome_unknown`, `external_result`. */
  reason?: string | readonly string[];
  urgency?: "low" | "medium" | "high" | readonly ("low" | "medium" | "high")[];
}

export interface RouteSend extends Audience {
  /** A channel's name: `slack`, `email`, `webhook`. */
  channel: string;
}

export interface RouteRule {
  when?: RouteMatch;
  send: readonly RouteSend[];
}

const oneOf = (value: string | undefined, wanted: string | readonly string[] | undefined) =>
  wanted === undefined || (value !== undefined && (typeof wanted === "string" ? wanted === value : wanted.includes(value)));

/** Whether `rule` applies to `item` of `thread`. */
export function routeMatches(rule: RouteRule, thread: Thread, item: DeliverableItem): boolean {
  const when = rule.when ?? {};
  return (
    oneOf(thread.agent, when.agent) &&
    oneOf(item.intent, when.intent) &&
    oneOf(item.kind, when.kind) &&
    oneOf(item.kind === "question" ? item.reason : undefined, when.reason) &&
    oneOf(item.kind === "question" ? item.urgency : undefined, when.urgency)
  );
}

/**
 * Where `item` goes: the first matching rule's sends, else the thread's origin.
 *
 * @example
 * const sends = routeFor(rules, thread, thread.pending[0], undefined);
 * // [{ channel: "slack", people: ["U_ALEX"], target: "C_DEPLOYS" }]
 */
export function routeFor(rules: readonly RouteRule[], thread: Thread, item: DeliverableItem, origin: Origin | undefined): RouteSend[] {
  for (const rule of rules) if (routeMatches(rule, thread, item)) return [...rule.send];
  return origin ? [{ channel: origin.channel, people: [origin.person] }] : [];
}

/** Checks rules when the hub is built, so a typo fails at start, not when a request is pending. */
export function validateRouting(rules: readonly RouteRule[], channelNames: readonly string[]): void {
  rules.forEach((rule, index) => {
    if (!rule || !Array.isArray(rule.send) || rule.send.length === 0) {
      throw new ConfigurationError(`routing[${index}] needs "send": a list of { channel, people, target? }.`);
    }
    for (const send of rule.send) {
      if (!channelNames.includes(send.channel)) {
        throw new ConfigurationError(
          `routing[${index}] sends to channel "${send.channel}", which is not configured. Channels: ${channelNames.join(", ") || "none"}.`,
        );
      }
      if (send.people !== "anyone" && (!Array.isArray(send.people) || send.people.length === 0)) {
        throw new ConfigurationError(
          `routing[${index}] → ${send.channel}: "people" must list who may decide (Slack user ids, email addresses, webhook names) or be "anyone".`,
        );
      }
    }
  });
}

/** Whether `person` may decide for `audience` (email addresses compare case-insensitively). */
export function allowedBy(audience: Audience, person: string): boolean {
  if (audience.people === "anyone") return true;
  const lower = person.toLowerCase();
  return audience.people.some((allowed) => allowed.toLowerCase() === lower);
}
