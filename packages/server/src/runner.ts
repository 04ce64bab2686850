/**
 * The runner: takes the next steps of runnable threads, one runner per thread at a time.
 *
 * In a process, every write to a thread goes through a per-thread queue, so one task at a time
 * touches it. Across processes, a task first takes the thread's lease in the store and appends with
 * the lease's fencing token, so a runner that lost its lease cannot write. A queue entry exists only
 * while a task is queued or running: an idle runner holds nothing for a paused thread.
 */
import { hostname } from "node:os";
import {
  ConfigurationError,
  StateConflictError,
  type Agent,
  type Lease,
  type Model,
  type Thread,
  type ThreadStore,
} from "agentfold";
import {
  acquireLeaseBy,
  keepLease,
  resumeChild,
  canonicalJson,
  describeError,
  faultPoint,
  LeaseLostError,
  StoreUnavailableError,
  ThreadBusyError,
  ThreadNotFoundError,
  VersionConflictError,
  type LeaseGuard,
} from "agentfold/runtime";

export interface RunnerOptions {
  store: ThreadStore;
  /** The agents this runner can advance, by name. Threads of other agents are left alone. */
  agents: readonly Agent[] | Readonly<Record<string, Agent>>;
  model: Model;
  /** Names this runner in leases. Default: `<host>:<pid>:<random>`. */
  owner?: string;
  /** How long a lease lasts without renewal. Default 30 s; it is renewed every third of that while a step runs. */
  leaseTtlMs?: number;
  /**
   * How long a human action waits for a thread that another runner is advancing. Default 10 s:
   * longer than a typical step, shorter than an HTTP client's patience.
   */
  leaseWaitMs?: number;
  /** How often `start()` re-checks for threads left `running` (by a crashed process). Default: `leaseTtlMs`. */
  sweepIntervalMs?: number;
  /** Called with errors that stopped a thread's progress (the thread records them too when it can). */
  onError?: (error: unknown, threadId: string) => void;
}

/** What one task did with a thread. */
export interface AdvanceOutcome {
  /** `settled`: the thread waits or is finished; `leased_elsewhere`: another runner has it; `stopped`: aborted or the lease was lost. */
  result: "settled" | "leased_elsewhere" | "stopped" | "not_found" | "unknown_agent";
  /** The thread as this runner last saw it. */
  thread: Thread | undefined;
}

/** A change to a thread made by a person (approve, answer, message): pure, re-applied after a reload. */
export type ThreadChange = (thread: Thread, agent: Agent) => Thread;

export interface Runner {
  readonly owner: string;
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
  /** Stops sweeping, aborts work in progress and waits for it to stop. */
  close(): Promise<void>;
  /** Calls `listener` with the thread after each append this process makes to it. Returns an unsubscribe function. */
  subscribe(threadId: string, listener: (thread: Thread) => void): () => void;
  /** Calls `listener` with the thread after every append this process makes to any thread. Returns an unsubscribe function. */
  subscribeAll(listener: (thread: Thread) => void): () => void;
  /** Threads with a task queued or running in this process. */
  readonly activeThreads: number;
}

interface QueueEntry {
  tail: Promise<unknown>;
  tasks: number;
  /** Aborts the task running now. */
  controller: AbortController | undefined;
  /** A plain advance queued and not started yet: later advance calls share it. */
  queuedAdvance: Promise<AdvanceOutcome> | undefined;
}

/** How many threads `recover()` advances at once: enough to catch up fast, few enough not to swamp the model or the store. */
const RECOVERY_CONCURRENCY = 8;

/** A person's change on its way in: it may be applied only while its request still waits for it. */
interface PendingChange {
  apply: ThreadChange;
  /** When the request stops waiting (set when `change()` was called). */
  deadline: number;
  /** Called once the lease is held: `false` when the request already gave up, so the change must not be applied. */
  claim: () => boolean;
  /** Called with the thread right after the change is stored. */
  applied: (thread: Thread) => void;
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
  const { store, model } = options;
  const agents = agentMap(options.agents);
  const owner = options.owner ?? `${hostname()}:${process.pid}:${globalThis.crypto.randomUUID().slice(0, 8)}`;
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const leaseWaitMs = options.leaseWaitMs ?? 10_000;
  const sweepIntervalMs = options.sweepIntervalMs ?? leaseTtlMs;
  const onError = options.onError ?? ((error, threadId) => console.error(`agentfold runner: thread ${threadId}: ${describeError(error)}`));
  if (!Number.isFinite(leaseTtlMs) || leaseTtlMs < 100) throw new ConfigurationError(`leaseTtlMs must be at least 100, got ${leaseTtlMs}.`);

  const queues = new Map<string, QueueEntry>();
  const listeners = new Map<string, Set<(thread: Thread) => void>>();
  const allListeners = new Set<(thread: Thread) => void>();
  let sweepTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  function notify(thread: Thread): void {
    for (const listener of [...(listeners.get(thread.id) ?? []), ...allListeners]) {
      try {
        listener(thread);
      } catch (error) {
        onError(error, thread.id);
      }
    }
  }

  /** Runs `task` after every earlier task of the same thread; drops the entry when the queue drains. */
  function enqueue<T>(threadId: string, task: (entry: QueueEntry) => Promise<T>): Promise<T> {
    let entry = queues.get(threadId);
    if (!entry) {
      entry = { tail: Promise.resolve(), tasks: 0, controller: undefined, queuedAdvance: undefined };
      queues.set(threadId, entry);
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
      if (current.tasks === 0 && queues.get(threadId) === current) queues.delete(threadId);
    });
    return result;
  }

  /** Holds a lease for the duration of `work` (see core's `keepLease`); a cancel aborts `work` too. */
  async function withLease<T>(lease: Lease, entry: QueueEntry, work: (signal: AbortSignal, guard: LeaseGuard) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    entry.controller = controller;
    try {
      return await keepLease(store, lease, { ttlMs: leaseTtlMs, controller, onError: (error) => onError(error, lease.threadId) }, work);
    } finally {
      entry.controller = undefined;
    }
  }

  /** Runs a loaded thread until it waits or finishes, appending every batch with the lease's fence. */
  async function runThread(start: Thread, agent: Agent, lease: Lease, signal: AbortSignal, guard: LeaseGuard): Promise<AdvanceOutcome> {
    let thread = start;
    for (let attempt = 0; ; attempt++) {
      const action = agent.nextAction(thread).type;
      if (action === "wait" || action === "stop") return { result: "settled", thread };
      try {
        thread = await agent.run(thread, {
          model,
          signal,
          // No tool runs unless this process can still be sure it holds the lease.
          lease: guard,
          commit: async (next, previous) => {
            try {
              await store.append(next, { expectedVersion: previous.version, fence: lease.token });
            } catch (error) {
              // A cancel (the one write without the lease) came in while a tool ran: the batch is
              // refused, but the tool's outcome must not be lost with it.
              if (error instanceof VersionConflictError) await keepOutcomes(next, previous, lease);
              throw error;
            }
            thread = next;
            notify(next);
          },
        });
      } catch (error) {
        if (signal.aborted || error instanceof LeaseLostError) return { result: "stopped", thread };
        if (error instanceof VersionConflictError && attempt < 5) {
          // Someone appended without the lease (a cancel, another tool): go on from what is stored.
          const reloaded = await store.load(thread.id);
          if (!reloaded) return { result: "not_found", thread: undefined };
          thread = reloaded;
          continue;
        }
        onError(error, thread.id);
        // Record why the thread stopped, so it does not look stuck; a new message continues it.
        const failed = thread.append([
          { type: "failed", reason: `The runner stopped: ${describeError(error)} Fix the cause, then send a message to continue.` },
        ]);
        try {
          await store.append(failed, { expectedVersion: thread.version, fence: lease.token });
          notify(failed);
          return { result: "settled", thread: failed };
        } catch (appendError) {
          onError(appendError, thread.id);
          return { result: "stopped", thread };
        }
      }
    }
  }

  /**
   * Stores the outcomes in `next`'s unstored events (a tool's result or error, a child's pause) of
   * calls that the stored thread still has started, e.g. after a cancel: the tool ran, so what it
   * did is recorded even though the thread stopped. Anything else in the batch was made by pure
   * code and is dropped; the caller goes on from what is stored.
   */
  async function keepOutcomes(next: Thread, previous: Thread, lease: Lease): Promise<void> {
    const made = next.events.slice(previous.version);
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await store.load(next.id);
      if (!stored) return;
      const started = new Set(stored.state.openCalls.filter((call) => call.phase === "started").map((call) => call.callId));
      const outcomes = made.filter(
        (event) =>
          (event.type === "tool_result" || event.type === "child_paused" || (event.type === "error" && event.source === "tool")) &&
          event.callId !== undefined &&
          started.has(event.callId),
      );
      if (outcomes.length === 0) return;
      const kept = stored.appendEvents(outcomes);
      try {
        await store.append(kept, { expectedVersion: stored.version, fence: lease.token });
      } catch (error) {
        if (error instanceof VersionConflictError) continue;
        throw error;
      }
      notify(kept);
      return;
    }
  }

  /**
   * Stores a person's change (a decision, an answer, a message) and returns the thread with it. When
   * the append fails for a reason other than a refusal, the write may still have committed (the
   * connection dropped after COMMIT, a fault after the write), so the thread is read back: holding
   * exactly the change's events, it is the answer, and the runner goes on from it. Failing with the
   * error instead would hide a decision that took effect (its retry would only meet "already
   * decided") and leave the thread for the recovery sweep. When the read fails too, nobody can tell
   * yet: a StoreUnavailableError (503, Retry-After) says how to find out.
   */
  async function appendChange(before: Thread, next: Thread, lease: Lease): Promise<Thread> {
    try {
      await store.append(next, { expectedVersion: before.version, fence: lease.token });
      return next;
    } catch (error) {
      // Refusals: the store decided against the write, so nothing was stored.
      if (error instanceof VersionConflictError || error instanceof LeaseLostError || error instanceof ThreadNotFoundError) throw error;
      let stored: Thread | undefined;
      try {
        stored = await store.load(before.id);
      } catch (readError) {
        throw new StoreUnavailableError(
          `The store failed while recording this change to thread ${before.id} (${describeError(error)}) and could not be read back (${describeError(readError)}), so the change may or may not be recorded. GET the thread to see; a retry with the same Idempotency-Key is safe.`,
          { retryAfterSeconds: readError instanceof StoreUnavailableError ? readError.retryAfterSeconds : 1, cause: error },
        );
      }
      const changed = (thread: Thread) => canonicalJson(thread.events.slice(before.version, next.version));
      if (stored && stored.version >= next.version && changed(stored) === changed(next)) return stored;
      throw error;
    }
  }

  async function advanceTask(threadId: string, entry: QueueEntry, change: PendingChange | undefined): Promise<AdvanceOutcome> {
    const lease = await acquireLeaseBy(store, threadId, owner, leaseTtlMs, change ? change.deadline : 0);
    if (!lease) {
      if (change) throw new ThreadBusyError(threadId, Date.now() - (change.deadline - leaseWaitMs));
      return { result: "leased_elsewhere", thread: await store.load(threadId) };
    }
    if (change && !change.claim()) {
      // The request was already answered 409 thread_busy: applying the change now would contradict it.
      await store.releaseLease(lease).catch((error: unknown) => onError(error, threadId));
      return { result: "stopped", thread: undefined };
    }
    return withLease(lease, entry, async (signal, guard) => {
      let thread = await store.load(threadId);
      if (!thread) throw new ThreadNotFoundError(threadId);
      const agent = agents.get(thread.agent ?? "");
      if (!agent) {
        if (change) throw new StateConflictError(`Thread ${threadId} belongs to agent "${thread.agent}", which this server does not run. Agents here: ${[...agents.keys()].join(", ")}.`);
        return { result: "unknown_agent", thread };
      }
      if (change) {
        const next = change.apply(thread, agent);
        if (next !== thread) {
          thread = await appendChange(thread, next, lease);
          notify(thread);
        }
        change.applied(thread);
      }
      const outcome = await runThread(thread, agent, lease, signal, guard);
      if (outcome.thread) resumeParent(outcome.thread);
      return outcome;
    });
  }

  /**
   * A child agent's thread (see `agent.asTool`) that went on after a person answered it lets its
   * parent go on too: the parent's next step continues the child and reads its result.
   */
  function resumeParent(child: Thread): void {
    const { parentThreadId, parentCallId } = child.metadata;
    if (typeof parentThreadId !== "string" || typeof parentCallId !== "string") return;
    if (child.status === "awaiting_approval" || child.status === "awaiting_human") return;
    runner
      .change(parentThreadId, (parent) =>
        parent.pending.some((item) => item.kind === "child" && item.callId === parentCallId) ? resumeChild(parent, parentCallId) : parent,
      )
      .catch((error: unknown) => onError(error, parentThreadId));
  }

  /** Advances started by recovery that have not finished, in this process. */
  const recovering = new Set<Promise<AdvanceOutcome>>();

  /**
   * Lists the threads left `running` and starts advancing those of this runner's agents that no task
   * here is working on, at most RECOVERY_CONCURRENCY at a time. Resolves once all are started, with
   * their outcomes' promises.
   */
  async function startRecovery(): Promise<Promise<AdvanceOutcome>[]> {
    const started: Promise<AdvanceOutcome>[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ status: "running", limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      for (const summary of page.threads) {
        if (!agents.has(summary.agent ?? "")) continue;
        while (recovering.size >= RECOVERY_CONCURRENCY && !closed) await Promise.race(recovering);
        if (closed) return started;
        if (queues.has(summary.id)) continue;
        const task: Promise<AdvanceOutcome> = runner.advance(summary.id).finally(() => recovering.delete(task));
        recovering.add(task);
        started.push(task);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && !closed);
    return started;
  }

  const runner: Runner = {
    owner,
    get activeThreads() {
      return queues.size;
    },

    advance(threadId) {
      const existing = queues.get(threadId)?.queuedAdvance;
      if (existing) return existing;
      let started = false;
      const promise = enqueue(threadId, (entry) => {
        started = true;
        if (entry.queuedAdvance === promise) entry.queuedAdvance = undefined;
        return advanceTask(threadId, entry, undefined).catch((error: unknown): AdvanceOutcome => {
          if (error instanceof ThreadNotFoundError) return { result: "not_found", thread: undefined };
          onError(error, threadId);
          return { result: "stopped", thread: undefined };
        });
      });
      const entry = queues.get(threadId);
      if (entry && !started) entry.queuedAdvance = promise;
      return promise;
    },

    change(threadId, change) {
      // One deadline for the whole request: waiting behind this process's earlier work on the thread,
      // then for another process's lease. Once the lease is held, the change goes ahead.
      const called = Date.now();
      const deadline = called + leaseWaitMs;
      return new Promise((resolve, reject) => {
        let state: "waiting" | "claimed" | "applied" | "expired" = "waiting";
        const expire = () => {
          if (state !== "waiting") return;
          state = "expired";
          clearTimeout(timer);
          reject(new ThreadBusyError(threadId, Date.now() - called));
        };
        // Not unref'd: a request waiting for its answer keeps the process alive.
        const timer = setTimeout(expire, leaseWaitMs);
        const settled = enqueue(threadId, (entry) => {
          if (state !== "waiting") return Promise.resolve<AdvanceOutcome>({ result: "stopped", thread: undefined });
          return advanceTask(threadId, entry, {
            apply: change,
            deadline,
            claim: () => {
              if (state === "waiting" && Date.now() > deadline) expire();
              if (state !== "waiting") return false;
              state = "claimed";
              clearTimeout(timer);
              return true;
            },
            applied: (thread) => {
              state = "applied";
              resolve({ applied: thread, settled });
            },
          });
        });
        settled.catch((error: unknown) => {
          clearTimeout(timer);
          if (state === "waiting" || state === "claimed") {
            state = "expired";
            reject(error);
          } else if (state === "applied") onError(error, threadId);
        });
      });
    },

    async cancel(threadId, cancelOptions = {}) {
      for (let attempt = 0; ; attempt++) {
        const thread = await store.load(threadId);
        if (!thread) throw new ThreadNotFoundError(threadId);
        const agent = agents.get(thread.agent ?? "");
        if (!agent) throw new StateConflictError(`Thread ${threadId} belongs to agent "${thread.agent}", which this server does not run.`);
        const next = agent.cancel(thread, cancelOptions);
        try {
          await store.append(next, { expectedVersion: thread.version });
        } catch (error) {
          if (error instanceof VersionConflictError && attempt < 10) continue;
          throw error;
        }
        // The cancel is stored; the work it stops still runs: after a crash here, recovery finds a canceled thread.
        faultPoint("cancel");
        notify(next);
        queues.get(threadId)?.controller?.abort(new StateConflictError(`Thread ${threadId} was canceled.`));
        return next;
      }
    },

    async recover() {
      const outcomes = await Promise.all(await startRecovery());
      return outcomes.filter((outcome) => outcome.result === "settled").length;
    },

    async start() {
      if (sweepTimer || closed) return;
      // A sweep starts the advances it finds and does not wait for them to finish (a long step must
      // not hold up the next sweep); it waits only for a free slot when RECOVERY_CONCURRENCY run.
      const sweep = () => {
        startRecovery().then(
          () => {
            if (!closed) sweepTimer = setTimeout(sweep, sweepIntervalMs).unref();
          },
          (error: unknown) => {
            onError(error, "*");
            if (!closed) sweepTimer = setTimeout(sweep, sweepIntervalMs).unref();
          },
        );
      };
      // The first recovery runs in the background: a server should listen while it catches up.
      sweepTimer = setTimeout(sweep, 0).unref();
    },

    async close() {
      closed = true;
      clearTimeout(sweepTimer);
      for (const entry of queues.values()) entry.controller?.abort(new Error("The runner is closing."));
      await Promise.all([...queues.values()].map((entry) => entry.tail));
    },

    subscribe(threadId, listener) {
      let set = listeners.get(threadId);
      if (!set) listeners.set(threadId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(threadId) === set) listeners.delete(threadId);
      };
    },

    subscribeAll(listener) {
      allListeners.add(listener);
      return () => {
        allListeners.delete(listener);
      };
    },
  };
  return runner;
}
