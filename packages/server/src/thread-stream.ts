/**
 * Server-sent events of a thread: every event as it is appended, with its sequence (1-based) as the
 * SSE id, so a client that reconnects with `Last-Event-ID` misses nothing and gets nothing twice.
 * Appends by this process arrive at once; appends by other processes are found by polling the store.
 *
 * Between them, `model_delta` messages carry the pieces of a model reply as it streams, in this
 * process or — through a shared delta relay (Postgres) — in another, the thread's own and its child
 * agents' (marked with `childThreadId`). They have no id (a reconnect resumes after the last stored event: a piece missed is
 * missed, the decision that follows is not) and are written only once the events before them are
 * (`after`), so a client never sees a piece before the events the model saw.
 */
import type { ModelDelta, Thread, ThreadStore } from "agentfold";
import { StoreUnavailableError } from "agentfold/runtime";
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
  /** Ends the stream as if the client went away (the server is draining); the client reconnects with `Last-Event-ID`. */
  end?: AbortSignal;
}

/** Whether only a new message can change the thread (done, failed, canceled). */
const terminalStatuses = new Set(["done", "failed", "canceled"]);

/**
 * How long to wait before looking at the store again, after `idle` looks that found nothing new.
 * Appends by this process arrive at once through the runner; polling only catches other processes'.
 * So it backs off: a running thread up to 4 intervals, a waiting one up to 8 (a person acts, possibly
 * through another server), a finished one up to 40 (10 s by default): only a message reopens it, and
 * it is still seen.
 */
export function pollDelay(status: string | undefined, idle: number, intervalMs: number): number {
  const cap = status === "running" ? 4 : status !== undefined && terminalStatuses.has(status) ? 40 : 8;
  return intervalMs * Math.min(cap, 2 ** idle);
}

/**
 * The stored thread, or — while the database is away — the one already sent: the stream stays open
 * through an outage and goes on from where it was once the store answers again.
 */
async function loadThrough(store: ThreadStore, threadId: string, current: Thread | undefined): Promise<Thread | undefined> {
  try {
    return await store.load(threadId);
  } catch (error) {
    if (error instanceof StoreUnavailableError) return current;
    throw error;
  }
}

/**
 * The SSE frame of a model delta. Without an `id:` line, so the client's last event id stays the
 * last stored event's. `type` is `model_delta` as every frame's `type` is its event's; `kind` says
 * which piece it is.
 *
 * @example
 * deltaFrame({ type: "text", attempt: 1, text: "Hel" }, 4);
 * // 'event: model_delta\ndata: {"type":"model_delta","after":4,"kind":"text","attempt":1,"text":"Hel"}\n\n'
 */
export function deltaFrame(delta: ModelDelta, after: number): string {
  const { type: kind, ...rest } = delta;
  return `event: model_delta\ndata: ${JSON.stringify({ type: "model_delta", after, kind, ...rest })}\n\n`;
}

/** Writes events to `stream` until the client goes away. */
export async function streamThread(stream: SSEStreamingApi, options: ThreadStreamOptions): Promise<void> {
  const { store, runner, threadId } = options;
  let sent = options.after;
  let latest: Thread | undefined;
  let wake: (() => void) | undefined;
  let aborted = false;
  const stop = () => {
    aborted = true;
    wake?.();
  };
  stream.onAbort(stop);
  if (options.end?.aborted) stop();
  options.end?.addEventListener("abort", stop, { once: true });
  const unsubscribe = runner.subscribe(threadId, (thread) => {
    latest = thread;
    wake?.();
  });
  // Pieces arrive synchronously from the model call; `stream.write` queues in call order, so a piece
  // written here precedes the decision that the loop writes once the call is over.
  const heldDeltas: Array<{ delta: ModelDelta; after: number }> = [];
  // The last event written that ends a model call (anything but a retry or a warning, which the call
  // records while it goes on). A piece from before it comes late — from another process, after the
  // poll already found the decision — and is dropped: it must never follow its own decision.
  let callsEndedThrough = 0;
  const writeDeltas = () => {
    while (heldDeltas.length > 0 && heldDeltas[0]!.after <= sent) {
      const { delta, after } = heldDeltas.shift()!;
      if (after < callsEndedThrough) continue;
      void stream.write(deltaFrame(delta, after));
    }
  };
  const unsubscribeDeltas = runner.subscribeDeltas(threadId, (delta, after) => {
    if (aborted) return;
    heldDeltas.push({ delta, after });
    writeDeltas();
    // Held until the loop has written the events the model saw: wake it.
    if (heldDeltas.length > 0) wake?.();
  });
  let lastWrite = Date.now();
  let idle = 0;
  try {
    // Listening first: a piece published after the events loaded below is never missed.
    await runner.deltasListening(threadId);
    let thread = await store.load(threadId);
    while (!aborted) {
      if (latest && (!thread || latest.version > thread.version)) thread = latest;
      const events = thread?.events ?? [];
      for (let index = sent; index < events.length && !aborted; index++) {
        const event = events[index]!;
        const frame = `id: ${index + 1}\nevent: ${event.type}\ndata: ${JSON.stringify({ sequence: index + 1, ...event })}\n\n`;
        sent = index + 1;
        if (event.type !== "model_call_retried" && event.type !== "model_warning") callsEndedThrough = sent;
        await stream.write(frame);
        lastWrite = Date.now();
        // Pieces held for this event go right after it, before the next (their decision).
        writeDeltas();
      }
      writeDeltas();
      if (aborted) break;
      let woken = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollDelay(thread?.status, idle, options.pollIntervalMs));
        wake = () => {
          woken = true;
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if (aborted) break;
      if (woken && latest && latest.version > sent) {
        idle = 0;
      } else {
        const loaded = await loadThrough(store, threadId, thread);
        idle = loaded && thread && loaded.version > thread.version ? 0 : idle + 1;
        thread = loaded;
      }
      if (Date.now() - lastWrite >= options.keepAliveMs) {
        await stream.write(": keep-alive\n\n");
        lastWrite = Date.now();
      }
    }
  } finally {
    options.end?.removeEventListener("abort", stop);
    unsubscribe();
    unsubscribeDeltas();
  }
}
