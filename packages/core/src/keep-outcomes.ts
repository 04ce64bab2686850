/**
 * Keeping what a tool did when its thread was written without the lease meanwhile (a cancel): the
 * batch with the tool's outcome is refused with a version conflict, but the tool ran, so its outcome
 * must still be stored.
 */
import type { ThreadStore } from "./store.ts";
import { VersionConflictError } from "./store.ts";
import type { Thread } from "./thread.ts";

/** How many version conflicts in a row `keepOutcomes` reloads after before it gives up. */
const CONFLICT_RELOADS = 5;

/**
 * Stores the outcomes among `next`'s unstored events (a tool's result or error, a child's pause) of
 * calls that the stored thread still has started. Anything else in the batch was made by pure code
 * and is dropped; the caller goes on from what is stored. Returns the stored thread when it appended
 * something, else `undefined`.
 *
 * @example
 * try { await store.append(next, { expectedVersion: previous.version, fence }); }
 * catch (error) { if (error instanceof VersionConflictError) await keepOutcomes(store, next, previous, fence); throw error; }
 */
export async function keepOutcomes(store: ThreadStore, next: Thread, previous: Thread, fence: number): Promise<Thread | undefined> {
  const made = next.events.slice(previous.version);
  for (let attempt = 0; attempt < CONFLICT_RELOADS; attempt++) {
    const stored = await store.load(next.id);
    if (!stored) return undefined;
    const started = new Set(stored.state.openCalls.filter((call) => call.phase === "started").map((call) => call.callId));
    const outcomes = made.filter(
      (event) =>
        (event.type === "tool_result" || event.type === "child_paused" || (event.type === "error" && event.source === "tool")) &&
        event.callId !== undefined &&
        started.has(event.callId),
    );
    if (outcomes.length === 0) return undefined;
    const kept = stored.appendEvents(outcomes);
    try {
      await store.append(kept, { expectedVersion: stored.version, fence });
    } catch (error) {
      if (error instanceof VersionConflictError) continue;
      throw error;
    }
    return kept;
  }
  return undefined;
}
