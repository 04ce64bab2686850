/**
 * `createChannels`: the hub that plugs channels, routing and schedules into a server as one
 * extension. It watches the runner's appends: a new pending approval or question is routed and
 * delivered (once, by a claim in the channel store), a decision updates what was sent, a finished
 * thread is reported. Inbound requests become actions applied through the runner.
 *
 * This file checks the options and composes the pieces in hub/: background work, outbound delivery
 * (deliver-pending.ts), updates on appends (thread-updates.ts), inbound actions (inbound-actions.ts),
 * the context channels get (channel-context.ts), recovery sweeps (delivery-sweep.ts) and routes
 * (hub-routes.ts).
 */
import { ConfigurationError, type Agent } from "agentfold";
import { describeError } from "agentfold/runtime";
import type { ServerExtension, ServerExtensionContext } from "@agentfold/server";
import type { Channel, InboundAction } from "./channel.ts";
import { createMemoryChannelStore, type ChannelStore } from "@agentfold/stores";
import { createBackgroundWork } from "./hub/background-work.ts";
import { createChannelContext } from "./hub/channel-context.ts";
import { createDeliverPending } from "./hub/deliver-pending.ts";
import { repeatSweeps, sweepDeliveries } from "./hub/delivery-sweep.ts";
import { mountedServer, type HubState } from "./hub/hub-state.ts";
import { mountChannelRoutes } from "./hub/hub-routes.ts";
import { applyInboundAction } from "./hub/inbound-actions.ts";
import { createThreadUpdates } from "./hub/thread-updates.ts";
import { validateRouting, type RouteRule } from "./routing.ts";
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

/** Channels by name; two with one name is a `ConfigurationError`. */
function channelsByName(channels: readonly Channel[]): Map<string, Channel> {
  const byName = new Map<string, Channel>();
  for (const channel of channels) {
    if (byName.has(channel.name)) throw new ConfigurationError(`Two channels are named "${channel.name}"; give each a distinct name.`);
    byName.set(channel.name, channel);
  }
  return byName;
}

/** Schedules may name only agents the server runs; checked when the hub is mounted. */
function checkScheduledAgents(schedules: readonly Schedule[], agents: ReadonlyMap<string, Agent>): void {
  for (const schedule of schedules) {
    if (!agents.has(schedule.agent)) {
      throw new ConfigurationError(
        `Schedule "${schedule.cron}" names agent "${schedule.agent}", which the server does not run. Agents: ${[...agents.keys()].join(", ")}.`,
      );
    }
  }
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
  const byName = channelsByName(list);
  const rules = options.routing ?? [];
  validateRouting(rules, [...byName.keys()]);
  validateSchedules(options.schedules ?? []);
  const store = options.store ?? createMemoryChannelStore();
  const onError = options.onError ?? ((error, where) => console.error(`agentfold channels (${where}): ${describeError(error)}`));
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  const deliveryClaimTtlMs = options.deliveryClaimTtlMs ?? 5 * 60_000;
  if (!(deliveryClaimTtlMs > 0))
    throw new ConfigurationError(
      `deliveryClaimTtlMs must be a positive number of milliseconds (got ${String(options.deliveryClaimTtlMs)}).`,
    );

  const state: HubState = { server: undefined, closed: false };
  const server = () => mountedServer(state);
  const { background, inOrder, idle } = createBackgroundWork(onError);
  const apply = (action: InboundAction) => applyInboundAction({ store, server, background, onError }, action);
  const context = createChannelContext({ store, rules, channelNames: [...byName.keys()], server, apply, background, onError });
  const deliverPending = createDeliverPending({ store, rules, byName, deliveryClaimTtlMs, context, onError });
  const onAppended = createThreadUpdates({ store, channels: list, context, deliverPending, onError });
  const sweep = () => sweepDeliveries({ state, channels: list, context, deliverPending, onError });
  let stopSchedules: (() => void) | undefined;
  let stopSweeps: (() => void) | undefined;

  const hub: Channels = {
    name: "channels",
    store,
    mount({ app, runner, store: threads, agents }: ServerExtensionContext) {
      if (state.server) throw new ConfigurationError("These channels are already mounted on a server; create one hub per server.");
      state.server = { runner, store: threads, agents };
      checkScheduledAgents(options.schedules ?? [], agents);
      mountChannelRoutes(app, list, context);
      runner.subscribeAll((thread) => {
        if (!state.closed) inOrder(thread.id, () => onAppended(thread));
      });
    },
    async start() {
      server();
      for (const channel of list) await channel.start?.(context);
      stopSchedules = startSchedules(options.schedules ?? [], { store, apply, onError });
      if (sweepIntervalMs > 0) stopSweeps = repeatSweeps(state, sweep, sweepIntervalMs, onError);
    },
    async close() {
      state.closed = true;
      stopSchedules?.();
      stopSweeps?.();
      await hub.idle();
      for (const channel of list) await channel.close?.();
    },
    idle,
    sweep,
  };
  return hub;
}
