/**
 * Server-sent events of a thread: every event as it is appended, with its sequence (1-based) as the
 * SSE id, so a client that reconnects with `Last-Event-ID` misses nothing and gets nothing twice.
 * Appends by this process arrive at once; appends by other processes are found by polling the store.
 */
import type { Thread, ThreadStore } from "agentfold";
import type { SSEStreamingApi } from "hono/streaming";
import type { Runner } from "./runner.ts";

export interface ThreadStreamOptions {
  store: ThreadStore;
  runner: Runner;
  threadId: string;
  /** Send events with a sequence above this. */
  after: number;
  /** How often to look for appends by other processes. */
  pollIntervalMs: number;
  /** How often to send a comment line so proxies keep the connection open. */
  keepAliveMs: number;
}

/** Writes events to `stream` until the client goes away. */
export async function streamThread(stream: SSEStreamingApi, options: ThreadStreamOptions): Promise<void> {
  const { store, runner, threadId } = options;
  let sent = options.after;
  let latest: Thread | undefined;
  let wake: (() => void) | undefined;
  const unsubscribe = runner.subscribe(threadId, (thread) => {
    latest = thread;
    wake?.();
  });
  let aborted = false;
  stream.onAbort(() => {
    aborted = true;
    wake?.();
  });
  let lastWrite = Date.now();
  try {
    let thread = await store.load(threadId);
    while (!aborted) {
      if (latest && (!thread || latest.version > thread.version)) thread = latest;
      const events = thread?.events ?? [];
      for (let index = sent; index < events.length && !aborted; index++) {
        const event = events[index]!;
        await stream.writeSSE({ id: String(index + 1), event: event.type, data: JSON.stringify({ sequence: index + 1, ...event }) });
        sent = index + 1;
        lastWrite = Date.now();
      }
      if (aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if (aborted) break;
      if (!latest || latest.version <= sent) thread = await store.load(threadId);
      if (Date.now() - lastWrite >= options.keepAliveMs) {
        await stream.write(": keep-alive\n\n");
        lastWrite = Date.now();
      }
    }
  } finally {
    unsubscribe();
  }
}
