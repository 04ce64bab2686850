/**
 * Subscribers to the appends this process makes (the thread stream, server extensions), and to the
 * pieces of model replies (never stored, see `ModelDelta`): those go through the delta relay, so a
 * shared relay (Postgres) brings other processes' pieces too (see `DeltaRelay`).
 *
 * Invariants: a listener hears only appends made in this process, after they are stored; a listener
 * that throws is reported to `onError` and neither stops the others nor the runner; a thread's set of
 * listeners exists only while it has one.
 */
import type { ModelDelta, Thread } from "agentfold";
import type { DeltaListener, DeltaRelay } from "agentfold/runtime";

type Listener = (thread: Thread) => void;

export type { DeltaListener };

export interface ThreadListeners {
  notify(thread: Thread): void;
  subscribe(threadId: string, listener: Listener): () => void;
  subscribeAll(listener: Listener): () => void;
  notifyDelta(threadId: string, delta: ModelDelta, after: number): void;
  subscribeDeltas(threadId: string, listener: DeltaListener): () => void;
  /** Resolves once other processes' pieces for the thread reach this process (`DeltaRelay.listening`). */
  deltasListening(threadId: string): Promise<void>;
}

/**
 * @example
 * const listeners = createThreadListeners((error, threadId) => console.error(threadId, error), createLocalDeltaRelay());
 * const unsubscribe = listeners.subscribe(threadId, (thread) => send(thread));
 */
export function createThreadListeners(onError: (error: unknown, threadId: string) => void, relay: DeltaRelay): ThreadListeners {
  const byThread = new Map<string, Set<Listener>>();
  const all = new Set<Listener>();
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
    notifyDelta: (threadId, delta, after) => relay.publish(threadId, delta, after),
    subscribeDeltas: (threadId, listener) => relay.subscribe(threadId, listener),
    deltasListening: (threadId) => relay.listening(threadId),
  };
}
