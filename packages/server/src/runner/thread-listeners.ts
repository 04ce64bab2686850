/**
 * Subscribers to the appends this process makes (the thread stream, server extensions).
 *
 * Invariants: a listener hears only appends made in this process, after they are stored; a listener
 * that throws is reported to `onError` and neither stops the others nor the runner; a thread's set of
 * listeners exists only while it has one.
 */
import type { Thread } from "agentfold";

type Listener = (thread: Thread) => void;

export interface ThreadListeners {
  notify(thread: Thread): void;
  subscribe(threadId: string, listener: Listener): () => void;
  subscribeAll(listener: Listener): () => void;
}

/**
 * @example
 * const listeners = createThreadListeners((error, threadId) => console.error(threadId, error));
 * const unsubscribe = listeners.subscribe(threadId, (thread) => send(thread));
 */
export function createThreadListeners(onError: (error: unknown, threadId: string) => void): ThreadListeners {
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
  };
}
