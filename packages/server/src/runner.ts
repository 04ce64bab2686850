/**
 * The runner: takes the next steps of runnable threads, one runner per thread at a time.
 *
 * In a process, every write to a thread goes through a per-thread queue, so one task at a time
 * touches it. Across processes, a task first takes the thread's lease in the store and appends with
 * the lease's fencing token, so a runner that lost its lease cannot write. A queue entry exists only
 * while a task is queued or running: an idle runner holds nothing for a paused thread.
 *
 * This file composes the runner's modules (in `runner/`), each stating its own invariants:
 * `thread-queue.ts` (one task at a time per thread), `thread-task.ts` (a task under the lease),
 * `run-thread.ts` (the run loop), `person-change.ts` (approvals, answers and messages),
 * `cancel-thread.ts`, `recovery.ts` (sweeps) and `thread-listeners.ts` (subscribers).
 */
import { hostname } from "node:os";
import { ConfigurationError, type Agent, type Model, type Thread, type ThreadStore } from "agentfold";
import {
  createLocalDeltaRelay,
  DEFAULT_LEASE_TTL_MS,
  describeError,
  systemClock,
  type DeltaRelay,
  type TimerClock,
  type TimerHandle,
} from "agentfold/runtime";
import { childAgentNames, finishCancelCascades } from "./runner/cancel-cascade.ts";
import { cancelThread } from "./runner/cancel-thread.ts";
import type { AdvanceOutcome, LeaseTakeover, RunnerContext, ThreadChange } from "./runner/context.ts";
import { requestChange } from "./runner/person-change.ts";
import { createRecovery } from "./runner/recovery.ts";
import { createModelChooser, type ModelChooser } from "./runner/thread-model.ts";
import { advanceTask, queueAdvance, type TaskContext } from "./runner/thread-task.ts";
import { createThreadListeners, type DeltaListener } from "./runner/thread-listeners.ts";
import { createThreadQueue, type ThreadQueue } from "./runner/thread-queue.ts";
import { createWakeTimers } from "./runner/wake-timers.ts";
import { createRunnerWork } from "./runner/work-queue.ts";
import type { WorkQueue } from "agentfold/runtime";

export type { AdvanceOutcome, LeaseTakeover, ThreadChange } from "./runner/context.ts";

export interface RunnerOptions {
  store: ThreadStore;
  /** The agents this runner can advance, by name. Threads of other agents are left alone. */
  agents: readonly Agent[] | Readonly<Record<string, Agent>>;
  /** The model for agents that name none (`defineAgent({ model })`), and for all when `modelOverridesAgents`. */
  model: Model;
  /**
   * Turns a model spec (`"anthropic:claude-sonnet-4-5"`) into a model: for agents that name one and
   * for launches that do. `startServer` passes one; without it such an agent is refused.
   */
  resolveModel?: (spec: string) => Model | Promise<Model>;
  /** `model` wins over the agents' own specs, as `agentfold serve --model` asks. Default false. */
  modelOverridesAgents?: boolean;
  /** Names this runner in leases. Default: `<host>:<pid>:<random>`. */
  owner?: string;
  /**
   * How long a lease lasts without renewal. Default 5 s (`DEFAULT_LEASE_TTL_MS`); it is renewed every
   * third of that while a step runs, so a killed process's threads are taken over within 10 s.
   */
  leaseTtlMs?: number;
  /**
   * How long a human action waits for a thread that another runner is advancing. Default 10 s:
   * longer than a typical step, shorter than an HTTP client's patience.
   */
  leaseWaitMs?: number;
  /**
   * How often `start()` re-checks for threads left `running` (by a crashed process). Default: a third
   * of `leaseTtlMs`, so a lapsed lease is noticed within a third of a ttl (the worst case from a kill
   * to a takeover is ttl + its 10% margin + this).
   */
  sweepIntervalMs?: number;
  /** Called with errors that stopped a thread's progress (the thread records them too when it can). */
  onError?: (error: unknown, threadId: string) => void;
  /**
   * Time and timers for sweeps, lease renewals and deadlines, and a change's wait (default
   * `systemClock`). Tests pass `createFakeClock()` from `agentfold/testing` and advance it.
   */
  clock?: TimerClock;
  /**
   * How pieces of model replies reach the people watching a thread. Default: this process only
   * (`createLocalDeltaRelay`). With several processes on one Postgres, pass
   * `createPostgresDeltaRelay` from `@agentfold/stores` so a stream on any process gets them
   * (`startServer` does for a `postgres://` store). The runner never closes it: its maker does.
   */
  deltaRelay?: DeltaRelay;
  /**
   * Requests any process may take: timers and deadlines falling due, threads a closing process let
   * go of (see runner/work-queue.ts). With several processes on one Postgres, pass
   * `createPostgresWorkQueue` from `@agentfold/stores` (`startServer` does for a `postgres://`
   * store). Without one, this process's timers and the recovery sweep do it. The runner starts it
   * in `start()` and closes it in `close()`.
   */
  workQueue?: WorkQueue;
}

export interface Runner {
  readonly owner: string;
  /** The model of each thread (its launch's, its agent's, the runner's); resolves and checks specs. */
  readonly models: ModelChooser;
  /** How long its leases last without renewal, in milliseconds (`leaseTtlMs`, default 5 s). */
  readonly leaseTtlMs: number;
  /** Runs the thread until it waits or finishes. Resolves when this runner is done with it. */
  advance(threadId: string): Promise<AdvanceOutcome>;
  /**
   * Applies a person's change under the thread's lease, then advances the thread. `applied` is the
   * thread right after the change (or the change's error: a conflict, invalid input); `settled`
   * resolves when the runner is done with the thread.
   */
  change(threadId: string, change: ThreadChange): Promise<{ applied: Thread; settled: Promise<AdvanceOutcome> }>;
  /** Appends a cancel without waiting for the lease, and stops this process's work on the thread. */
  cancel(threadId: string, options?: { actor?: string; reason?: string }): Promise<Thread>;
  /** Advances every stored thread that is `running` (left mid-step by a crash). Returns how many it advanced. */
  recover(): Promise<number>;
  /** Recovers now and then every `sweepIntervalMs`, until `close()`. */
  start(): Promise<void>;
  /**
   * Stops sweeping, aborts work in progress and waits for it to stop. With `graceMs`, work in
   * progress first has that long to finish by itself; what is still running then is aborted, and
   * its lease released, so another process's next sweep goes on with it.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Calls `listener` with the thread after each append this process makes to it. Returns an unsubscribe function. */
  subscribe(threadId: string, listener: (thread: Thread) => void): () => void;
  /** Calls `listener` with the thread after every append this process makes to any thread. Returns an unsubscribe function. */
  subscribeAll(listener: (thread: Thread) => void): () => void;
  /**
   * Calls `listener` with each piece of a model reply for the thread as it streams in this process,
   * and the thread version the model saw. Pieces are never stored. Returns an unsubscribe function.
   */
  subscribeDeltas(threadId: string, listener: DeltaListener): () => void;
  /**
   * Resolves once pieces that other processes' runners stream for the thread reach this process's
   * `subscribeDeltas` listeners (at once with the default relay). A stream awaits it before it reads
   * the stored events, so no piece published after those is missed.
   */
  deltasListening(threadId: string): Promise<void>;
  /**
   * Calls `listener` each time this process takes over a thread whose lease another owner let
   * expire without releasing it (a crashed or stuck process). Returns an unsubscribe function.
   */
  subscribeLeaseTakeovers(listener: (takeover: LeaseTakeover) => void): () => void;
  /** Threads with a task queued or running in this process. */
  readonly activeThreads: number;
}

function agentMap(agents: RunnerOptions["agents"]): Map<string, Agent> {
  const list = Array.isArray(agents) ? (agents as readonly Agent[]) : Object.values(agents as Record<string, Agent>);
  const map = new Map<string, Agent>();
  for (const agent of list) {
    if (!agent || typeof agent.name !== "string" || typeof agent.run !== "function") {
      throw new ConfigurationError("Runner agents must come from defineAgent().");
    }
    if (map.has(agent.name)) throw new ConfigurationError(`Two agents are named "${agent.name}"; agent names must be unique.`);
    map.set(agent.name, agent);
  }
  if (map.size === 0) throw new ConfigurationError("A runner needs at least one agent.");
  return map;
}

/** The options with their defaults, checked; subscribers' `notify`, `notifyDelta` and `leaseTakenOver` are added by `createRunner`. */
function resolveSettings(
  options: RunnerOptions,
): Omit<RunnerContext, "notify" | "notifyDelta" | "leaseTakenOver"> & { sweepIntervalMs: number } {
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!Number.isFinite(leaseTtlMs) || leaseTtlMs < 100) throw new ConfigurationError(`leaseTtlMs must be at least 100, got ${leaseTtlMs}.`);
  return {
    store: options.store,
    model: options.model,
    models: createModelChooser(options),
    agents: agentMap(options.agents),
    owner: options.owner ?? `${hostname()}:${process.pid}:${globalThis.crypto.randomUUID().slice(0, 8)}`,
    leaseTtlMs,
    leaseWaitMs: options.leaseWaitMs ?? 10_000,
    sweepIntervalMs: options.sweepIntervalMs ?? Math.ceil(leaseTtlMs / 3),
    clock: options.clock ?? systemClock,
    onError: options.onError ?? ((error, threadId) => console.error(`agentfold runner: thread ${threadId}: ${describeError(error)}`)),
  };
}

/** Resolves once the queue is idle or `ms` passed, whichever comes first. */
async function finishWithin(queue: ThreadQueue, clock: TimerClock, ms: number): Promise<void> {
  let timer: TimerHandle | undefined;
  await Promise.race([queue.whenIdle(), new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)))]);
  clock.clearTimeout(timer);
}

/**
 * Creates a runner over a store.
 *
 * @example
 * const runner = createRunner({ store, agents: [calculator], model });
 * await runner.start();                       // recovers threads left running by a crash
 * await store.create(calculator.start("divide 3 by 4"));
 * const { thread } = await runner.advance(threadId);
 * thread?.status; // "awaiting_approval"
 */
export function createRunner(options: RunnerOptions): Runner {
  const settings = resolveSettings(options);
  const listeners = createThreadListeners(settings.onError, options.deltaRelay ?? createLocalDeltaRelay({ onError: settings.onError }));
  const takeoverListeners = new Set<(takeover: LeaseTakeover) => void>();
  const queue = createThreadQueue();
  // With a work queue, a thread is advanced at its time by whichever process takes the request;
  // without, a thread that waits until soon is advanced by this process (the sweep covers the rest).
  const work =
    options.workQueue &&
    createRunnerWork({
      queue: options.workQueue,
      advance: (threadId) => runner.advance(threadId),
      onError: settings.onError,
      now: () => settings.clock.now().getTime(),
    });
  const wakes =
    work?.wakes ??
    createWakeTimers({
      clock: settings.clock,
      horizonMs: settings.sweepIntervalMs,
      advance: (threadId) => runner.advance(threadId),
      onError: settings.onError,
    });
  // A child whose tool sleeps is appended to by its parent's tool, never through `notify`: its
  // wake-up follows the parent's `child_paused`, so a short sleep does not wait for a sweep either.
  const followSleepingChildren = (thread: Thread) => {
    for (const item of thread.pending) {
      if (item.kind !== "child" || item.childStatus !== "waiting") continue;
      settings.store.load(item.childThreadId).then(
        (child) => child && wakes.follow(child),
        (error: unknown) => settings.onError(error, item.childThreadId),
      );
    }
  };
  const context: TaskContext = {
    ...settings,
    notify: (thread) => {
      wakes.follow(thread);
      followSleepingChildren(thread);
      listeners.notify(thread);
    },
    notifyDelta: listeners.notifyDelta,
    leaseTakenOver: (takeover) => {
      for (const listener of takeoverListeners) {
        // A listener that throws is reported, never allowed to stop the run that took the lease.
        try {
          listener(takeover);
        } catch (error) {
          settings.onError(error, takeover.threadId);
        }
      }
    },
    // A child's parent goes on through the same protocol as a person's change.
    change: (threadId, change) => runner.change(threadId, change),
  };
  // Only these agents' threads can have a parent whose cancel a crash left unfinished.
  const childAgents = childAgentNames(settings.agents.values());
  const recovery = createRecovery({
    ...settings,
    childAgents,
    isQueued: (threadId) => queue.get(threadId) !== undefined,
    advance: (threadId) => runner.advance(threadId),
    finishCancels: () => finishCancelCascades(context, queue, childAgents),
    wakes,
  });
  const runner: Runner = {
    owner: settings.owner,
    models: settings.models,
    leaseTtlMs: settings.leaseTtlMs,
    get activeThreads() {
      return queue.size;
    },
    advance: (threadId) => queueAdvance(context, queue, threadId),
    change: (threadId, change) =>
      requestChange(context, queue, (id, entry, pending) => advanceTask(context, id, entry, pending), threadId, change),
    cancel: (threadId, cancelOptions = {}) => cancelThread(context, queue, threadId, cancelOptions),
    recover: () => recovery.recover(),
    async start() {
      recovery.start();
      await work?.start();
    },
    async close({ graceMs = 0 } = {}) {
      // Nothing new from the queue while this process drains: its hand-overs are for the others.
      await work?.stopTaking();
      recovery.close();
      if (graceMs > 0) await finishWithin(queue, settings.clock, graceMs);
      const unfinished = queue.ids();
      await queue.abortAll(new Error("The runner is closing."));
      // Their leases are released now: a process still running goes on with them at once.
      await work?.handOver(unfinished);
      await work?.close();
    },
    subscribe: listeners.subscribe,
    subscribeAll: listeners.subscribeAll,
    subscribeDeltas: listeners.subscribeDeltas,
    deltasListening: listeners.deltasListening,
    subscribeLeaseTakeovers(listener) {
      takeoverListeners.add(listener);
      return () => takeoverListeners.delete(listener);
    },
  };
  return runner;
}
