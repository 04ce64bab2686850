/**
 * A pending request whose deadline passed undecided with `remind` or `escalate` (core's timers.ts
 * records `deadline_passed` and leaves it pending): people are told again. A reminder goes where the
 * request was routed, to the same people; an escalation goes to the deadline's `to`. Each entry of
 * `to` is a person in a channel's terms: `slack:U_BOSS` or `email:boss@example.com` picks the
 * channel, a bare entry goes on every channel the request is routed to. People it was escalated to
 * may decide it there, as well as those routing names.
 */
import type { Audience, DeliverableItem, DeliveryNotice } from "../channel.ts";
import type { RouteSend } from "../routing.ts";

/** What to tell people about `item` now, if its deadline passed with a reminder or an escalation. */
export function noticeOf(item: DeliverableItem): DeliveryNotice | undefined {
  const deadline = item.deadline;
  if (!deadline?.passed || deadline.action === "reject") return undefined;
  return deadline.action === "remind"
    ? { kind: "reminder", by: deadline.by }
    : { kind: "escalation", by: deadline.by, to: [...(deadline.to ?? [])] };
}

/**
 * Where a notice about `item` goes: a reminder on the request's routes, an escalation to its `to`
 * people (see the module comment) with the route's target on that channel.
 *
 * @example
 * noticeSends([{ channel: "slack", people: ["U_ALEX"], target: "C_DEPLOYS" }], item, ["slack", "email"]);
 * // escalated to ["U_BOSS", "email:boss@example.com"]:
 * // [{ channel: "slack", people: ["U_BOSS"], target: "C_DEPLOYS" }, { channel: "email", people: ["boss@example.com"] }]
 */
export function noticeSends(routes: readonly RouteSend[], item: DeliverableItem, channelNames: Iterable<string>): RouteSend[] {
  const notice = noticeOf(item);
  if (!notice) return [];
  if (notice.kind === "reminder") return [...routes];
  const names = new Set(channelNames);
  const people = new Map<string, string[]>();
  const add = (channel: string, person: string) => people.set(channel, [...(people.get(channel) ?? []), person]);
  for (const entry of notice.to) {
    const colon = entry.indexOf(":");
    const prefix = colon > 0 ? entry.slice(0, colon) : "";
    if (names.has(prefix)) add(prefix, entry.slice(colon + 1));
    else for (const channel of new Set(routes.map((route) => route.channel))) add(channel, entry);
  }
  return [...people].map(([channel, list]) => {
    const target = routes.find((route) => route.channel === channel)?.target;
    return { channel, people: list, ...(target === undefined ? {} : { target }) };
  });
}

/**
 * Who may decide `item` on `channel`: the route's audience, and, once the request was escalated,
 * the people it was escalated to there. `undefined` when neither sends it on `channel`.
 */
export function decidingAudience(
  routes: readonly RouteSend[],
  item: DeliverableItem,
  channel: string,
  channelNames: Iterable<string>,
): Audience | undefined {
  const routed = routes.find((route) => route.channel === channel);
  const escalated =
    noticeOf(item)?.kind === "escalation" ? noticeSends(routes, item, channelNames).find((send) => send.channel === channel) : undefined;
  if (!routed || !escalated) return routed ?? escalated;
  if (routed.people === "anyone") return routed;
  return { ...routed, people: [...routed.people, ...(escalated.people === "anyone" ? [] : escalated.people)] };
}

/**
 * The line a channel puts before a notice's message.
 *
 * @example
 * noticeLine({ kind: "reminder", by: "2026-12-01T09:00:00.000Z" });
 * // "Reminder: this was to be decided by 2026-12-01T09:00:00.000Z and still waits."
 */
export function noticeLine(notice: DeliveryNotice): string {
  return notice.kind === "reminder"
    ? `Reminder: this was to be decided by ${notice.by} and still waits.`
    : `Escalated to you: this was to be decided by ${notice.by} and still waits.`;
}
