/**
 * Recovery: a pending item whose delivery was lost (a crash between the append and the send, a
 * channel that was down, a claim that expired) is found by a sweep of the stored waiting threads,
 * every `sweepIntervalMs` and on `channels.sweep()`. Each channel resumes its own unfinished work
 * first (webhook retries).
 */
import type { Thread } from "agentfold";
import type { Channel, ChannelContext } from "../channel.ts";
import type { HubState } from "./hub-state.ts";
import { mountedServer } from "./hub-state.ts";

export interface SweepSettings {
  readonly state: HubState;
  readonly channels: readonly Channel[];
  readonly context: ChannelContext;
  readonly deliverPending: (thread: Thread) => Promise<void>;
  readonly onError: (error: unknown, where: string) => void;
}

/** One sweep; it stops where it is once the hub is closed. */
export async function sweepDeliveries(settings: SweepSettings): Promise<void> {
  const { state, channels, context, deliverPending, onError } = settings;
  const { store: threads } = mountedServer(state);
  for (const channel of channels) {
    if (state.closed) return;
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
        if (state.closed) return;
        if (!mountedServer(state).agents.has(summary.agent ?? "")) continue;
        const thread = await threads.load(summary.id);
        if (thread) await deliverPending(thread);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
}

/**
 * Sweeps at once, then `intervalMs` after each sweep ends (never two at a time), until the hub is
 * closed. Returns the function that cancels the next sweep. The timer is unref'd: it keeps no
 * process alive.
 */
export function repeatSweeps(
  state: HubState,
  sweep: () => Promise<void>,
  intervalMs: number,
  onError: (error: unknown, where: string) => void,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    sweep()
      .catch((error: unknown) => onError(error, "sweep"))
      .finally(() => {
        if (!state.closed) timer = setTimeout(run, intervalMs).unref();
      });
  };
  timer = setTimeout(run, 0).unref();
  return () => clearTimeout(timer);
}
