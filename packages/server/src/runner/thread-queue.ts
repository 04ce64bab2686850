/**
 * The per-thread queue: in one process, one task at a time touches a thread.
 *
 * Invariants: a thread's tasks run in the order they were queued, each once the one before it settled
 * (fulfilled or rejected); an entry exists only while a task of its thread is queued or running, so
 * an idle runner holds nothing for a paused thread; `controller` is set only while a task holds the
 * thread's lease, and aborting it stops that task; `queuedAdvance` is a plain advance that is queued
 * and has not started, which later advance calls share instead of queuing another.
 */
import type { AdvanceOutcome } from "./context.ts";

export interface QueueEntry {
  tail: Promise<unknown>;
  tasks: number;
  /** Aborts the task running now. */
  controller: AbortController | undefined;
  /** A plain advance queued and not started yet: later advance calls share it. */
  queuedAdvance: Promise<AdvanceOutcome> | undefined;
}

export interface ThreadQueue {
  /** Runs `task` after every earlier task of the same thread; drops the entry when the queue drains. */
  enqueue<T>(threadId: string, task: (entry: QueueEntry) => Promise<T>): Promise<T>;
  /** The thread's entry while it has a task queued or running. */
  get(threadId: string): QueueEntry | undefined;
  /** Threads with a task queued or running. */
  readonly size: number;
  /** The ids of the threads with a task queued or running. */
  ids(): string[];
  /** Aborts the task running on every thread, then resolves once every task queued so far settled. */
  abortAll(reason: unknown): Promise<void>;
  /** Resolves once no thread has a task queued or running (at once when none has). */
  whenIdle(): Promise<void>;
}

/**
 * @example
 * const queue = createThreadQueue();
 * await queue.enqueue(threadId, async (entry) => work(entry));
 */
export function createThreadQueue(): ThreadQueue {
  const entries = new Map<string, QueueEntry>();
  let idle: Array<() => void> = [];
  return {
    enqueue(threadId, task) {
      let entry = entries.get(threadId);
      if (!entry) {
        entry = { tail: Promise.resolve(), tasks: 0, controller: undefined, queuedAdvance: undefined };
        entries.set(threadId, entry);
      }
      const current = entry;
      current.tasks += 1;
      const result = current.tail.then(() => task(current));
      current.tail = result.then(
        () => undefined,
        () => undefined,
      );
      void current.tail.then(() => {
        current.tasks -= 1;
        if (current.tasks === 0 && entries.get(threadId) === current) entries.delete(threadId);
        if (entries.size === 0) {
          for (const resolve of idle) resolve();
          idle = [];
        }
      });
      return result;
    },
    get: (threadId) => entries.get(threadId),
    get size() {
      return entries.size;
    },
    ids: () => [...entries.keys()],
    async abortAll(reason) {
      for (const entry of entries.values()) entry.controller?.abort(reason);
      await Promise.all([...entries.values()].map((entry) => entry.tail));
    },
    whenIdle() {
      return entries.size === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
  };
}
