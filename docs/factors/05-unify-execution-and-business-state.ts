import { Thread } from "agentfold";

/** Everything about a thread's execution is computed from its events: nothing else is stored. */
export function summarize(thread: Thread) {
  return {
    status: thread.status, // "running" | "awaiting_approval" | "awaiting_human" | "done" | "failed" | "canceled"
    waitingFor: thread.pending.map((item) => `${item.kind} ${item.callId}`),
    errorsInARow: thread.consecutiveErrors,
    modelCalls: thread.stepCount,
    events: thread.version,
  };
}

/** A thread is plain JSON: store it anywhere, load it anywhere. */
export function roundTrip(thread: Thread): Thread {
  return Thread.fromJSON(JSON.stringify(thread));
}

/** Try a different path from any point: a new thread with the first `atEvent` events. */
export function retryFrom(thread: Thread, atEvent: number): Thread {
  return thread.fork(atEvent);
}
