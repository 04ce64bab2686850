/**
 * Subscribers to the appends this process makes (the thread stream, server extensions), and to the
 * pieces of model replies streaming in this process (never stored, see `ModelDelta`).
 *
 * Invariants: a listener hears only appends made in this process, after they are stored; a listener
 * that throws is reported to `onError` and neither stops the others nor the runner; a thread's set of
 * listeners exists only while it has one.
 */
import type { ModelDelta, Thread } from "agentfold";

type Listener = (thread: Thread) => void;

/**
 * A piece of a model reply for a thread: `after` is the thread's version the model saw, so a piece
 * belongs after the event with that sequence (retries recorded during the call come later).
 */
export type DeltaListener = (delta: ModelDelta, after: number) => void;

export interface ThreadListeners {
  notify(thread: Thread): void;
  subscribe(threadId: string, listener: Listener): () => void;
  subscribeAll(listener: Listener): () => void;
  notifyDelta(threadId: string, delta: ModelDelta, after: number): void;
  subscribeDeltas(threadId: string, listener: DeltaListener): () => void;
}

/**
 * @example
 * const listeners = createThreadListeners((error, threadId) => console.error(threadId, error));
 * const unsubscribe = listeners.subscribe(threadId, (thread) => send(thread));
 */
export function createThreadListeners(onError: (error: unknown, threadId: string) => void): ThreadListeners {
  const byThread = new Map<string, Set<Listener>>();
  const all = new Set<Listener>();
  const deltas = new Map<string, Set<DeltaListener>>();
  return {
    notify(thread) {
      for (const listener of [...(byThread.get(thread.id) ?? []), ...all]) {
        try {
          listener(thread);
        } catch (error) {
          onError(error, thread.id);
        }
      }
    },
    subscribe(threadId, listener) {
      let set = byThread.get(threadId);
      if (!set) byThread.set(threadId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && byThread.get(threadId) === set) byThread.delete(threadId);
      };
    },
    subscribeAll(listener) {
      all.add(listener);
      return () => {
        all.delete(listener);
      };
    },
    notifyDelta(threadId, delta, after) {
      for (const listener of deltas.get(threadId) ?? []) {
        try {
          listener(delta, after);
        } catch (error) {
          onError(error, threadId);
        }
      }
    },
    subscribeDeltas(threadId, listener) {
      let set = deltas.get(threadId);
      if (!set) deltas.set(threadId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && deltas.get(threadId) === set) deltas.delete(threadId);
      };
    },
  };
}
