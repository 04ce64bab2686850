/**
 * Crash recovery and due timers: finishes the cancel cascades a crash cut short (cancel-cascade.ts),
 * finds the threads left `running` (a crashed process, a runner that died mid-step) and those with a
 * timer or a request deadline due, and advances those of this runner's agents, once (`recover`) or
 * on a sweep timer (`start`). Threads that fall due before the next sweep get a wake-up in this
 * process at their time (`wake-timers.ts`); the advance fires what is due under the thread's lease,
 * so a thread found by two processes' sweeps fires once.
 *
 * Invariants: at most RECOVERY_CONCURRENCY advances started by recovery run at once in this process;
 * a thread that already has a task here is skipped (that task is its runner); a sweep starts the
 * advances it finds and waits only for a free slot, never for one to finish, so a long step does not
 * hold up the next sweep; the next sweep is set only after the previous one has started its advances;
 * after `close()` no sweep is set and none starts another advance.
 */
import type { Agent, ThreadStore } from "agentfold";
import type { TimerClock, TimerHandle } from "agentfold/runtime";
import type { AdvanceOutcome } from "./context.ts";
import type { WakeTimers } from "./wake-timers.ts";

/** Due threads one sweep takes on: more wait for the next sweep, earliest first. */
const DUE_PER_SWEEP = 200;

/** How many threads recovery advances at once: enough to catch up fast, few enough not to swamp the model or the store. */
export const RECOVERY_CONCURRENCY = 8;

export interface RecoveryOptions {
  store: ThreadStore;
  agents: ReadonlyMap<string, Agent>;
  /**
   * The agents that run as children of `agents` (`asTool()`): their due threads are woken too (the
   * advance fires the child's timer and lets its parent go on); their running ones are left to their parents.
   */
  childAgents: ReadonlySet<string>;
  clock: TimerClock;
  sweepIntervalMs: number;
  /** Whether a task of this process has the thread queued or running. */
  isQueued(threadId: string): boolean;
  advance(threadId: string): Promise<AdvanceOutcome>;
  /** Finishes the cancel cascades a crash cut short (see cancel-cascade.ts); before any advance, so no canceled family's thread is run on. */
  finishCancels(): Promise<unknown>;
  onError(error: unknown, threadId: string): void;
  /** Where threads that fall due before the next sweep get their wake-up. */
  wakes: WakeTimers;
}

export interface Recovery {
  /** Advances every thread left running; resolves with how many of them settled. */
  recover(): Promise<number>;
  /** Sweeps at once in the background, then every `sweepIntervalMs`, until `close()`. */
  start(): void;
  /** Stops sweeping; advances already started go on (the runner aborts them). */
  close(): void;
}

/**
 * @example
 * const recovery = createRecovery({ store, agents, clock, sweepIntervalMs: 30_000, isQueued, advance, onError });
 * recovery.start();
 */
export function createRecovery(options: RecoveryOptions): Recovery {
  const { store, agents, clock } = options;
  /** Advances started by recovery that have not finished, in this process. */
  const recovering = new Set<Promise<AdvanceOutcome>>();
  let sweepTimer: TimerHandle | undefined;
  let closed = false;

  /**
   * Lists the threads left `running` and starts advancing those no task here is working on, at most
   * RECOVERY_CONCURRENCY at a time. Resolves once all are started, with their outcomes' promises.
   */
  async function startRecovery(): Promise<Promise<AdvanceOutcome>[]> {
    const started: Promise<AdvanceOutcome>[] = [];
    /** Starts an advance once a slot is free; false once closed. */
    const start = async (threadId: string): Promise<boolean> => {
      while (recovering.size >= RECOVERY_CONCURRENCY && !closed) await Promise.race(recovering);
      if (closed) return false;
      if (options.isQueued(threadId)) return true;
      const task: Promise<AdvanceOutcome> = options.advance(threadId).finally(() => recovering.delete(task));
      recovering.add(task);
      started.push(task);
      return true;
    };
    await options.finishCancels();
    let cursor: string | undefined;
    do {
      const page = await store.list({ status: "running", limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      for (const summary of page.threads) {
        if (agents.has(summary.agent ?? "") && !(await start(summary.id))) return started;
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && !closed);
    // Due now: advanced (the advance fires it); due before the next sweep: a wake-up at its time.
    const now = clock.now().getTime();
    const due = await store.listDue({ by: new Date(now + options.sweepIntervalMs), limit: DUE_PER_SWEEP });
    for (const summary of due) {
      const name = summary.agent ?? "";
      if (!(agents.has(name) || options.childAgents.has(name)) || summary.wakeAt === undefined) continue;
      if (Date.parse(summary.wakeAt) > now) options.wakes.schedule(summary.id, summary.wakeAt);
      else if (!(await start(summary.id))) return started;
    }
    return started;
  }

  // A sweep starts the advances it finds and does not wait for them to finish (a long step must
  // not hold up the next sweep); it waits only for a free slot when RECOVERY_CONCURRENCY run.
  const sweepLater = (ms: number) => {
    if (!closed) sweepTimer = clock.setTimeout(sweep, ms, { unref: true });
  };
  const sweep = () => {
    startRecovery().then(
      () => sweepLater(options.sweepIntervalMs),
      (error: unknown) => {
        options.onError(error, "*");
        sweepLater(options.sweepIntervalMs);
      },
    );
  };

  return {
    async recover() {
      const outcomes = await Promise.all(await startRecovery());
      return outcomes.filter((outcome) => outcome.result === "settled").length;
    },
    start() {
      if (sweepTimer || closed) return;
      // The first recovery runs in the background: a server should listen while it catches up.
      sweepLater(0);
    },
    close() {
      closed = true;
      clock.clearTimeout(sweepTimer);
      options.wakes.close();
    },
  };
}
