/**
 * Work the hub does after an answer has gone: tracked, so `idle()` (and `close()`) can wait for it,
 * and per thread in order, so a delivery comes before the update of the same message.
 */
export interface BackgroundWork {
  /** Runs `task` soon; an error goes to `onError`, never to the caller. */
  background(task: () => Promise<unknown>): void;
  /** Runs `task` after the thread's earlier tasks have finished (or failed). */
  inOrder(threadId: string, task: () => Promise<void>): void;
  /** Resolves when no task is in flight, including tasks started while waiting. */
  idle(): Promise<void>;
}

export function createBackgroundWork(onError: (error: unknown, where: string) => void): BackgroundWork {
  const inFlight = new Set<Promise<unknown>>();
  // The last task of each thread; dropped when it is still the last once it settles.
  const chains = new Map<string, Promise<void>>();

  function background(task: () => Promise<unknown>): void {
    const promise = Promise.resolve()
      .then(task)
      .catch((error: unknown) => onError(error, "background"));
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  }

  function inOrder(threadId: string, task: () => Promise<void>): void {
    const previous = chains.get(threadId) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => onError(error, `thread ${threadId}`));
    chains.set(threadId, next);
    background(async () => {
      await next;
      if (chains.get(threadId) === next) chains.delete(threadId);
    });
  }

  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  return { background, inOrder, idle };
}
