/**
 * The delta relay: how pieces of a model reply (`ModelDelta`, never stored) reach the people watching
 * a thread. The process that runs a step publishes each piece; every process with a subscriber for
 * the thread delivers it. In one process that is a map of listeners (`createLocalDeltaRelay`); with
 * several processes on one database a shared relay carries the pieces between them (Postgres:
 * `createPostgresDeltaRelay` in `@agentfold/stores`).
 *
 * Invariants every relay keeps: a subscriber of this process hears this process's pieces at once,
 * synchronously, in publish order, and exactly once; pieces of one thread from one publisher arrive in
 * the order published; a listener that throws is reported to `onError` and stops neither the other
 * listeners nor the publisher. A piece may be lost (a relay is best effort: the stored decision that
 * follows is what counts), never duplicated.
 */
import type { ModelDelta } from "./model.ts";

/**
 * A piece of a model reply for a thread: `after` is the thread's version the model saw, so a piece
 * belongs after the event with that sequence (retries recorded during the call come later).
 */
export type DeltaListener = (delta: ModelDelta, after: number) => void;

export interface DeltaRelay {
  /** Hands a piece to every subscriber of the thread, in this process and, for a shared relay, in others. */
  publish(threadId: string, delta: ModelDelta, after: number): void;
  /** Calls `listener` with each piece published for the thread. Returns an unsubscribe function. */
  subscribe(threadId: string, listener: DeltaListener): () => void;
  /**
   * Resolves once pieces that other processes publish for the thread reach this process's
   * subscribers (at once for a local relay; once the database listens for a shared one, or after a
   * short wait while it cannot). Call it after `subscribe`, before reading what the thread already holds.
   */
  listening(threadId: string): Promise<void>;
  /** Stops relaying; subscribers hear nothing more. */
  close(): Promise<void>;
}

/**
 * Listeners by thread, for one process: what a shared relay uses to deliver, too.
 *
 * @example
 * const local = createDeltaListeners((error, threadId) => console.error(threadId, error));
 * const unsubscribe = local.subscribe(threadId, (delta) => write(delta));
 * local.deliver(threadId, { type: "text", attempt: 1, text: "Hel" }, 3);
 * local.has(threadId); // true
 */
export function createDeltaListeners(onError: (error: unknown, threadId: string) => void) {
  const byThread = new Map<string, Set<DeltaListener>>();
  return {
    deliver(threadId: string, delta: ModelDelta, after: number): void {
      for (const listener of byThread.get(threadId) ?? []) {
        try {
          listener(delta, after);
        } catch (error) {
          onError(error, threadId);
        }
      }
    },
    /** `onFirst`/`onLast` run when the thread gains its first listener and loses its last. */
    subscribe(threadId: string, listener: DeltaListener, hooks: { onFirst?: () => void; onLast?: () => void } = {}): () => void {
      let set = byThread.get(threadId);
      if (!set) {
        byThread.set(threadId, (set = new Set()));
        hooks.onFirst?.();
      }
      // A function subscribed twice is two subscriptions: wrap it so each unsubscribe removes its own.
      const own: DeltaListener = (delta, after) => listener(delta, after);
      set.add(own);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        set.delete(own);
        if (set.size === 0 && byThread.get(threadId) === set) {
          byThread.delete(threadId);
          hooks.onLast?.();
        }
      };
    },
    has: (threadId: string) => byThread.has(threadId),
    threads: () => [...byThread.keys()],
    clear: () => byThread.clear(),
  };
}

/**
 * The relay of one process: pieces reach this process's subscribers only. The default; right for
 * SQLite and the memory store, where one process runs the steps and serves the streams.
 *
 * @example
 * const relay = createLocalDeltaRelay();
 * relay.subscribe(threadId, (delta, after) => console.log(after, delta));
 * relay.publish(threadId, { type: "text", attempt: 1, text: "Hel" }, 3);
 */
export function createLocalDeltaRelay(options: { onError?: (error: unknown, threadId: string) => void } = {}): DeltaRelay {
  const listeners = createDeltaListeners(options.onError ?? ((error, threadId) => console.error(threadId, error)));
  return {
    publish: listeners.deliver,
    subscribe: (threadId, listener) => listeners.subscribe(threadId, listener),
    listening: async () => {},
    close: async () => listeners.clear(),
  };
}
