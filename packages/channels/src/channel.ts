/**
 * The `Channel` interface: how a pending approval or question reaches people, and how their click,
 * reply or signed request comes back as an action on the thread. Channels never write to a thread
 * themselves: they hand actions to the hub, which applies them through the server's runner, under
 * the thread's lease, exactly once.
 */
import type { Agent, JsonValue, PendingApproval, PendingQuestion, Thread } from "agentfold";
import type { DecisionRefusal, HumanAction } from "agentfold/runtime";
import type { ChannelStore } from "@agentfold/stores";

/** A pending item a channel can deliver. */
export type DeliverableItem = PendingApproval | PendingQuestion;

/** Who gets a request on one channel, and who may decide it. */
export interface Audience {
  /** The channel's name for people: Slack user ids, email addresses, webhook names. `"anyone"` lets anyone who can reach the channel decide. */
  readonly people: readonly string[] | "anyone";
  /** Where to post: a Slack channel id, a list name… Channels define their default. */
  readonly target?: string;
}

/** One pending item to send on one channel. */
export interface Delivery {
  readonly thread: Thread;
  readonly item: DeliverableItem;
  readonly audience: Audience;
  /** Where the thread came from, when a channel started it (the Slack thread, the first email). */
  readonly origin: Origin | undefined;
  /** Set when the item is sent again because its deadline passed undecided: say so in the message. */
  readonly notice?: DeliveryNotice;
}

/**
 * Why a pending item is sent again: its deadline (`by`) passed undecided, and its tool asked for a
 * reminder (to the same people) or an escalation (to the deadline's `to`). See hub/deadline-notices.ts.
 */
export type DeliveryNotice =
  | { readonly kind: "reminder"; readonly by: string }
  | { readonly kind: "escalation"; readonly by: string; readonly to: readonly string[] };

/** What a channel keeps about a thread it started, to answer on the same channel (factor 11). */
export interface Origin {
  readonly channel: string;
  /** The person who started it, in the channel's terms. */
  readonly person: string;
  /** Channel-specific: Slack channel and ts, email Message-ID and subject. */
  readonly data: Record<string, JsonValue>;
}

/** How a delivered item was resolved: the hub passes it to `resolved` so the channel can update its message. */
export interface Resolution {
  readonly thread: Thread;
  readonly callId: string;
  readonly outcome: "approved" | "rejected" | "answered" | "closed";
  /** Who decided (`slack:U123`, `email:a@b.c`, `http-key-name`…). */
  readonly actor: string | undefined;
  /** The rejection comment or the answer. */
  readonly text: string | undefined;
  /** What `deliver` returned for this item. */
  readonly record: JsonValue;
}

/**
 * What a person or system asked for through a channel: one of core's human actions (approve, reject,
 * respond, message) on a thread, with who did it, or a new thread.
 */
export type InboundAction =
  | (HumanAction & { threadId: string; actor: string })
  | { type: "start"; agent: string; actor: string; text: string; source: string; origin?: Origin; metadata?: Record<string, JsonValue> };

/** The result of applying an action: the thread right after it, or why it was refused. */
export type ActionOutcome = { ok: true; thread: Thread } | { ok: false; code: string; message: string };

/** What the hub gives a channel: bookkeeping, routing and a way to act on threads. */
export interface ChannelContext {
  readonly store: ChannelStore;
  readonly agents: ReadonlyMap<string, Agent>;
  /** Applies an action through the runner (approvals bound to the call, once; the actor recorded). */
  apply(action: InboundAction): Promise<ActionOutcome>;
  /** Who may decide `callId` of `threadId` on `channel`; `undefined` when it is not pending or not routed there. */
  audienceFor(
    threadId: string,
    callId: string,
    channel: string,
  ): Promise<{ thread: Thread; item: DeliverableItem; audience: Audience } | undefined>;
  /**
   * Records on the thread that `actor` tried to decide a call they may not (a `decision_refused`
   * audit event; status and pending items stay). Call it where a channel refuses someone outside the
   * audience; a failure to record is reported, not thrown, so the refusal itself still answers.
   */
  refuseDecision(threadId: string, refusal: DecisionRefusal): Promise<void>;
  /** The origin of a thread a channel started. */
  originOf(threadId: string): Promise<Origin | undefined>;
  /** Runs work after the HTTP answer has gone (Slack wants one within 3 s); `close()` waits for it. */
  background(task: () => Promise<unknown>): void;
  /** Reports an error that has no request to answer. */
  reportError(error: unknown, where: string): void;
}

/**
 * A human channel. `deliver` sends a pending item and returns a record kept for later updates;
 * `receive` answers the channel's inbound HTTP requests (verifying them) and turns them into actions.
 *
 * @example
 * const console: Channel = {
 *   name: "console",
 *   paths: [],
 *   configured: true,
 *   async deliver({ thread, item }) {
 *     console.log(`${thread.id}: ${item.kind} ${item.callId}`);
 *     return null;
 *   },
 * };
 */
export interface Channel {
  /** Names the channel in routing rules and bookkeeping keys: `slack`, `email`, `webhook`. */
  readonly name: string;
  /** The inbound paths it answers (Hono syntax), e.g. `/v1/slack/events`. */
  readonly paths: readonly string[];
  /** `false` when credentials are missing: its paths answer 404 and nothing is delivered. */
  readonly configured: boolean;
  deliver(delivery: Delivery, context: ChannelContext): Promise<JsonValue>;
  /** The item was decided (here or elsewhere): update what was sent ("Approved by @alex"). */
  resolved?(resolution: Resolution, context: ChannelContext): Promise<void>;
  /** A thread this channel started (or subscribed to) finished: tell the person. */
  finished?(thread: Thread, origin: Origin | undefined, context: ChannelContext): Promise<void>;
  /** Answers one inbound request on one of `paths`. Verifies it first: a forged request is a 401. */
  receive?(request: Request, params: Record<string, string>, context: ChannelContext): Promise<Response>;
  /**
   * Called by the hub's sweep (every `sweepIntervalMs`, and `channels.sweep()`): resume the
   * channel's own unfinished work from the store, e.g. webhook retries a restart interrupted.
   */
  sweep?(context: ChannelContext): Promise<void>;
  start?(context: ChannelContext): Promise<void>;
  close?(): Promise<void>;
}

/** A JSON error body like the rest of the API. */
export function errorJson(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
