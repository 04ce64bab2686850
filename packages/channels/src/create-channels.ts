/**
 * `createChannels`: the hub that plugs channels, routing and schedules into a server as one
 * extension. It watches the runner's appends: a new pending approval or question is routed and
 * delivered (once, by a claim in the channel store), a decision updates what was sent, a finished
 * thread is reported. Inbound requests become actions applied through the runner.
 */
import { AgentfoldError, ConfigurationError, type Agent, type Thread, type ThreadStore } from "agentfold";
import { applyHumanAction, decisionRefusedEvent, describeError } from "agentfold/runtime";
import type { Runner, ServerExtension, ServerExtensionContext } from "@agentfold/server";
import type { ActionOutcome, Channel, ChannelContext, DeliverableItem, InboundAction, Origin } from "./channel.ts";
import { errorJson } from "./channel.ts";
import { createMemoryChannelStore, type ChannelStore, type DeliveryKey } from "@agentfold/stores";
import { routeFor, validateRouting, type RouteRule } from "./routing.ts";
import { startSchedules, validateSchedules, type Schedule } from "./schedules.ts";

export interface ChannelsOptions {
  channels?: readonly Channel[];
  /** Which channel and people get which request; first matching rule wins. See `RouteRule`. */
  routing?: readonly RouteRule[];
  /** Cron triggers: `{ agent, cron, message }`; each tick launches at most once across processes sharing `store`. */
  schedules?: readonly Schedule[];
  /** Delivery bookkeeping. Default: in memory (one process; forgets on restart). Use the SQLite or Postgres one in production. */
  store?: ChannelStore;
  /**
   * How often to look for pending requests not delivered yet (a crash between the append and the
   * send, or a channel that was down). Default 60 s; 0 turns it off.
   */
  sweepIntervalMs?: number;
  /**
   * How long a delivery claim (`{ state: "sending" }`) holds before another process may send the
   * item again. A process that dies between the claim and the send leaves the claim behind; once it
   * expires, a sweep delivers. Default 5 min: longer than the built-in channels' own timeouts (Slack
   * 15 s per request with two retries, webhooks 10 s per attempt, SMTP 30 s to connect and 60 s of
   * silence), so a slow send is not duplicated. Raise it if you pass a transport or client with
   * longer timeouts.
   */
  deliveryClaimTtlMs?: number;
  onError?: (error: unknown, where: string) => void;
}

/** The hub: a server extension, plus what tests and tools need. */
export interface Channels extends ServerExtension {
  readonly store: ChannelStore;
  /** Starts channels, schedules and the delivery sweep (`startServer` calls it). */
  start(): Promise<void>;
  /** Stops schedules and the sweep, and waits for work in flight. */
  close(): Promise<void>;
  /** Resolves when no delivery or inbound work is in flight. */
  idle(): Promise<void>;
  /**
   * Delivers every pending request of stored waiting threads that was not delivered yet (or whose
   * delivery claim expired), and lets each channel resume its own unfinished work (webhook retries).
   */
  sweep(): Promise<void>;
}

const notConfigured: Record<string, string> = {
  slack: "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or pass slackChannel({ token, signingSecret })).",
  email: "Email is not configured: pass emailChannel({ from, transport, inboundSecret }) to createChannels.",
  webhook: "No inbound webhooks are configured: pass webhookChannel({ hooks: { name: { secret } } }) to createChannels.",
};
const knownPaths: Record<string, string> = { slack: "/v1/slack/*", email: "/v1/email/*", webhook: "/v1/hooks/*" };

function isDeliverable(item: Thread["pending"][number]): item is DeliverableItem {
  return item.kind === "approval" || item.kind === "question";
}

/**
 * @example
 * const channels = createChannels({
 *   channels: [slackChannel(), emailChannel({ from: "bot@example.com", transport, inboundSecret })],
 *   routing: [
 *     { when: { reason: "escalation" }, send: [{ channel: "email", people: ["oncall@example.com"] }] },
 *     { when: { agent: "deploybot" }, send: [{ channel: "slack", people: ["U_ALEX"], target: "C_DEPLOYS" }] },
 *   ],
 *   schedules: [{ agent: "deploybot", cron: "0 9 * * 1-5", message: "check for stuck deploys" }],
 *   store: createSqliteChannelStore({ path: "./agentfold.db" }),
 * });
 * await startServer({ store: "./agentfold.db", agents: [deploybot], model, extensions: [channels] });
 */
export function createChannels(options: ChannelsOptions = {}): Channels {
  const list = [...(options.channels ?? [])];
  const byName = new Map<string, Channel>();
  for (const channel of list) {
    if (byName.has(channel.name)) throw new ConfigurationError(`Two channels are named "${channel.name}"; give each a distinct name.`);
    byName.set(channel.name, channel);
  }
  const rules = options.routing ?? [];
  validateRouting(rules, [...byName.keys()]);
  validateSchedules(options.schedules ?? []);
  const store = options.store ?? createMemoryChannelStore();
  const onError = options.onError ?? ((error, where) => console.error(`agentfold channels (${where}): ${describeError(error)}`));
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  const deliveryClaimTtlMs = options.deliveryClaimTtlMs ?? 5 * 60_000;
  if (!(deliveryClaimTtlMs > 0)) throw new ConfigurationError(`deliveryClaimTtlMs must be a positive number of milliseconds (got ${String(options.deliveryClaimTtlMs)}).`);

  let server: { runner: Runner; store: ThreadStore; agents: ReadonlyMap<string, Agent> } | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const chains = new Map<string, Promise<void>>();
  const lastVersion = new Map<string, number>();
  /** Deliveries this process sent or is sending, or saw sent: no store round trip for them again. */
  const claimedHere = new Set<string>();
  let stopSchedules: (() => void) | undefined;
  let sweepTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const mounted = () => {
    if (!server) throw new ConfigurationError("The channels are not mounted: pass them to createServer({ extensions: [channels] }).");
    return server;
  };

  function background(task: () => Promise<unknown>): void {
    const promise = Promise.resolve()
      .then(task)
      .catch((error: unknown) => onError(error, "background"));
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  }

  /** Runs per-thread work in order (a delivery before the update of the same message). */
  function inOrder(threadId: string, task: () => Promise<void>): void {
    const previous = chains.get(threadId) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => onError(error, `thread ${threadId}`));
    chains.set(threadId, next);
    background(async () => {
      await next;
      if (chains.get(threadId) === next) chains.delete(threadId);
    });
  }

  async function originOf(threadId: string): Promise<Origin | undefined> {
    return store.getOrigin(threadId);
  }

  async function deliverPending(thread: Thread): Promise<void> {
    const items = thread.pending.filter(isDeliverable);
    if (items.length === 0) return;
    const origin = await originOf(thread.id);
    for (const item of items) {
      for (const send of routeFor(rules, thread, item, origin)) {
        const channel = byName.get(send.channel);
        if (!channel?.configured) continue;
        const delivery: DeliveryKey = { channel: channel.name, threadId: thread.id, callId: item.callId };
        const key = JSON.stringify([channel.name, thread.id, item.callId]);
        if (claimedHere.has(key)) continue;
        // The claim expires: if this process dies before `markDelivered` below, another one sends it later.
        if (!(await store.claimDelivery(delivery, { ttlMs: deliveryClaimTtlMs }))) {
          // Sending elsewhere may still fail or die, so only a finished delivery is remembered.
          if ((await store.getDelivery(delivery))?.state === "sent") claimedHere.add(key);
          continue;
        }
        if (claimedHere.size >= 10_000) claimedHere.clear();
        claimedHere.add(key);
        try {
          const record = await channel.deliver({ thread, item, audience: send, origin }, context);
          // Kept for good, with what the channel needs to update the message later.
          await store.markDelivered(delivery, record);
        } catch (error) {
          // Unclaimed, so the next sweep tries again.
          claimedHere.delete(key);
          await store.releaseDelivery(delivery).catch(() => {});
          onError(error, `deliver ${thread.id}/${item.callId} on ${channel.name}`);
        }
      }
    }
  }

  async function resolveDelivered(thread: Thread, callId: string, outcome: "approved" | "rejected" | "answered" | "closed", actor: string | undefined, text: string | undefined) {
    for (const channel of list) {
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

  async function onAppended(thread: Thread): Promise<void> {
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
    if (last && (last.type === "done" || last.type === "failed" || last.type === "cancel") && thread.state.terminal) {
      const origin = await originOf(thread.id);
      for (const channel of list) {
        if (!channel.finished || !channel.configured) continue;
        if (!(await store.claim({ kind: "finished", key: `${channel.name}:${thread.id}:${thread.version}` }))) continue;
        try {
          await channel.finished(thread, origin, context);
        } catch (error) {
          onError(error, `finished ${thread.id} on ${channel.name}`);
        }
      }
    }
  }

  async function apply(action: InboundAction): Promise<ActionOutcome> {
    const { runner, store: threads, agents } = mounted();
    try {
      if (action.type === "start") {
        const agent = agents.get(action.agent);
        if (!agent) return { ok: false, code: "unknown_agent", message: `Unknown agent "${action.agent}". Agents here: ${[...agents.keys()].join(", ")}.` };
        const thread = agent.start({ text: action.text, actor: action.actor, source: action.source }, action.metadata ? { metadata: action.metadata } : {});
        await threads.create(thread);
        if (action.origin) await store.saveOrigin(thread.id, action.origin);
        background(() => runner.advance(thread.id));
        return { ok: true, thread };
      }
      const { applied, settled } = await runner.change(action.threadId, (current, agent) => applyHumanAction(agent, current, action));
      background(() => settled);
      return { ok: true, thread: applied };
    } catch (error) {
      const code = error instanceof AgentfoldError ? error.code : "internal";
      if (code === "internal") onError(error, `apply ${action.type}`);
      return { ok: false, code, message: describeError(error) };
    }
  }

  const context: ChannelContext = {
    store,
    get agents() {
      return mounted().agents;
    },
    apply,
    async refuseDecision(threadId, refusal) {
      try {
        // Under the thread's lease like any append; the thread still waits, so the runner has nothing to do.
        const { settled } = await mounted().runner.change(threadId, (current) => current.append([decisionRefusedEvent(refusal)]));
        background(() => settled);
      } catch (error) {
        onError(error, `record a refused decision on ${threadId}`);
      }
    },
    async audienceFor(threadId, callId, channelName) {
      const thread = await mounted().store.load(threadId);
      const item = thread?.pending.find((pending) => pending.callId === callId);
      if (!thread || !item || !isDeliverable(item)) return undefined;
      const send = routeFor(rules, thread, item, await originOf(threadId)).find((candidate) => candidate.channel === channelName);
      return send ? { thread, item, audience: send } : undefined;
    },
    originOf,
    background,
    reportError: onError,
  };

  async function sweep(): Promise<void> {
    const { store: threads } = mounted();
    for (const channel of list) {
      if (closed) return;
      if (!channel.sweep || !channel.configured) continue;
      try {
        await channel.sweep(context);
      } catch (error) {
        onError(error, `sweep ${channel.name}`);
      }
    }
    for (const status of ["awaiting_approval", "awaiting_human"] as const) {
      let cursor: string | undefined;
      do {
        const page = await threads.list({ status, limit: 200, ...(cursor === undefined ? {} : { cursor }) });
        for (const summary of page.threads) {
          if (closed) return;
          if (!mounted().agents.has(summary.agent ?? "")) continue;
          const thread = await threads.load(summary.id);
          if (thread) await deliverPending(thread);
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
  }

  const hub: Channels = {
    name: "channels",
    store,
    mount({ app, runner, store: threads, agents }: ServerExtensionContext) {
      if (server) throw new ConfigurationError("These channels are already mounted on a server; create one hub per server.");
      server = { runner, store: threads, agents };
      for (const schedule of options.schedules ?? []) {
        if (!agents.has(schedule.agent)) {
          throw new ConfigurationError(`Schedule "${schedule.cron}" names agent "${schedule.agent}", which the server does not run. Agents: ${[...agents.keys()].join(", ")}.`);
        }
      }
      for (const channel of list) {
        for (const path of channel.paths) {
          app.all(path, async (c) => {
            if (!channel.configured || !channel.receive) return errorJson(404, "not_configured", notConfigured[channel.name] ?? `Channel "${channel.name}" is not configured.`);
            return channel.receive(c.req.raw, c.req.param() as Record<string, string>, context);
          });
        }
      }
      for (const [name, path] of Object.entries(knownPaths)) {
        app.all(path, () => errorJson(404, "not_configured", byName.has(name) ? `No such ${name} route.` : notConfigured[name]!));
      }
      runner.subscribeAll((thread) => {
        if (!closed) inOrder(thread.id, () => onAppended(thread));
      });
    },
    async start() {
      mounted();
      for (const channel of list) await channel.start?.(context);
      stopSchedules = startSchedules(options.schedules ?? [], { store, apply, onError });
      if (sweepIntervalMs > 0) {
        const run = () => {
          sweep()
            .catch((error: unknown) => onError(error, "sweep"))
            .finally(() => {
              if (!closed) sweepTimer = setTimeout(run, sweepIntervalMs).unref();
            });
        };
        sweepTimer = setTimeout(run, 0).unref();
      }
    },
    async close() {
      closed = true;
      stopSchedules?.();
      clearTimeout(sweepTimer);
      await hub.idle();
      for (const channel of list) await channel.close?.();
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    sweep,
  };
  return hub;
}
