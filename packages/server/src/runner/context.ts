/**
 * What the runner's modules share: the settings `createRunner` resolved once, and the outcome and
 * change types of its public interface. Nothing here holds state of its own.
 */
import type { Agent, Model, ModelDelta, Thread, ThreadStore } from "agentfold";
import type { TimerClock } from "agentfold/runtime";
import type { ModelChooser } from "./thread-model.ts";

/** What one task did with a thread. */
export interface AdvanceOutcome {
  /** `settled`: the thread stopped running, waiting or terminal; `leased_elsewhere`: another runner has it; `stopped`: aborted or the lease was lost. */
  result: "settled" | "leased_elsewhere" | "stopped" | "not_found" | "unknown_agent";
  /** The thread as this runner last saw it. */
  thread: Thread | undefined;
}

/**
 * A change: a function from a thread to the new thread, made from a person's action (approve,
 * reject, answer, message). Pure, re-applied after a reload.
 */
export type ThreadChange = (thread: Thread, agent: Agent) => Thread;

/** The runner's resolved settings and the two callbacks every module may call. */
export interface RunnerContext {
  readonly store: ThreadStore;
  readonly model: Model;
  /** The model of each thread: its launch's, its agent's, or `model` (see thread-model.ts). */
  readonly models: ModelChooser;
  /** The agents this runner advances, by name. */
  readonly agents: ReadonlyMap<string, Agent>;
  readonly owner: string;
  readonly leaseTtlMs: number;
  readonly leaseWaitMs: number;
  readonly clock: TimerClock;
  /** Errors that stopped a thread's progress; `threadId` is `"*"` for a failed sweep. */
  onError(error: unknown, threadId: string): void;
  /** Tells this process's subscribers about a thread right after this process appended to it. */
  notify(thread: Thread): void;
  /** Tells this process's subscribers about a piece of a model reply for the thread (see thread-listeners.ts). */
  notifyDelta(threadId: string, delta: ModelDelta, after: number): void;
  /** Tells this process's subscribers that it took over a thread's expired lease (see `Lease.takenOverFrom`). */
  leaseTakenOver(takeover: LeaseTakeover): void;
}

/** This process took over another owner's lease on a thread after it expired unreleased. */
export interface LeaseTakeover {
  threadId: string;
  /** The thread's agent, `"unknown"` when it has none. */
  agent: string;
  /** The owner whose lease expired: a runner that stopped, hung or lost the store for longer than the lease lasts. */
  previousOwner: string;
  /** The fencing token of the new lease. */
  token: number;
}
