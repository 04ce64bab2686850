/**
 * Cron triggers. Every process that runs the schedules fires each tick; only the one that records
 * the tick as schedule `<agent>:<index>`'s last (`claimTick` in the shared channel store) launches the
 * thread, so a tick launches at most once however many server processes share one Postgres.
 *
 * croner computes the ticks; the waiting is done on the injected clock (`TimerClock`), so a test
 * advances a fake clock through ticks. Invariants: a tick is fired once its time has come on the
 * clock's wall time, never before; the next tick is aimed at before this one's launch runs, so a slow
 * launch does not delay it; ticks missed while the process was stopped are skipped, not caught up;
 * after stop no tick fires.
 */
import { Cron } from "croner";
import { ConfigurationError } from "agentfold";
import { systemClock, type TimerClock, type TimerHandle } from "agentfold/runtime";
import type { ActionOutcome, InboundAction } from "./channel.ts";
import type { ChannelStore } from "@agentfold/stores";

export interface Schedule {
  /** The agent to launch. */
  agent: string;
  /** A cron pattern: 5 fields, or 6 with seconds first (`"*\/10 * * * * *"`). */
  cron: string;
  /** The first message of each launched thread. */
  message: string;
  /** IANA time zone of the pattern. Default: the process's. */
  timezone?: string;
}

/** Throws on a bad pattern, naming the schedule, before the server starts. */
export function validateSchedules(schedules: readonly Schedule[]): void {
  schedules.forEach((schedule, index) => {
    if (!schedule || typeof schedule.agent !== "string" || typeof schedule.message !== "string" || schedule.message.trim() === "") {
      throw new ConfigurationError(`schedules[${index}] needs { agent, cron, message } with a non-empty message.`);
    }
    try {
      new Cron(schedule.cron, { paused: true, ...(schedule.timezone ? { timezone: schedule.timezone } : {}) }).stop();
    } catch (error) {
      throw new ConfigurationError(
        `schedules[${index}]: cron pattern ${JSON.stringify(schedule.cron)} is invalid: ${(error as Error).message}.`,
      );
    }
  });
}

export interface ScheduleOptions {
  store: ChannelStore;
  apply: (action: InboundAction) => Promise<ActionOutcome>;
  onError: (error: unknown, where: string) => void;
  /** Whose wall time the ticks follow and whose timers wait for them (default `systemClock`). */
  clock?: TimerClock;
}

/**
 * Starts one timer chain per schedule. Returns a function that stops them.
 *
 * @example
 * const stop = startSchedules([{ agent: "reporter", cron: "0 9 * * *", message: "daily report" }], { store, apply, onError });
 */
export function startSchedules(schedules: readonly Schedule[], options: ScheduleOptions): () => void {
  const stops = schedules.map((schedule, index) => runSchedule(schedule, index, options, options.clock ?? systemClock));
  return () => {
    for (const stop of stops) stop();
  };
}

/** The longest a platform timer waits (2^31 - 1 ms, about 24.8 days): a later tick is aimed at again when it fires. */
const LONGEST_TIMER_MS = 2_147_483_647;

/** Fires `schedule`'s ticks on `clock` until the returned function is called. */
function runSchedule(schedule: Schedule, index: number, options: ScheduleOptions, clock: TimerClock): () => void {
  const pattern = new Cron(schedule.cron, { paused: true, ...(schedule.timezone ? { timezone: schedule.timezone } : {}) });
  let timer: TimerHandle | undefined;
  let stopped = false;
  /** Waits for the first tick after `after`, then fires it and waits for the next. */
  const waitForTick = (after: Date) => {
    const tick = pattern.nextRun(after);
    if (!tick || stopped) return;
    const aim = () => {
      const now = clock.now();
      const remaining = tick.getTime() - now.getTime();
      if (remaining > 0) {
        timer = clock.setTimeout(aim, Math.min(remaining, LONGEST_TIMER_MS), { unref: true });
        return;
      }
      // From now, not from this tick: ticks missed while the process was stopped are skipped.
      waitForTick(now);
      void launch(schedule, index, tick, options);
    };
    aim();
  };
  waitForTick(clock.now());
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

/** Claims the tick for this schedule and, if this process got it, launches the thread. */
async function launch(schedule: Schedule, index: number, scheduled: Date, options: ScheduleOptions): Promise<void> {
  // The scheduled time, not the time the timer fired: the same key in every process.
  const tick = scheduled.toISOString().replace(/\.\d{3}Z$/, "Z");
  try {
    // One row per schedule holds its last fired tick: a tick no later than it was fired already.
    if (!(await options.store.claimTick({ schedule: `${schedule.agent}:${index}`, tick }))) return;
    const outcome = await options.apply({
      type: "start",
      agent: schedule.agent,
      actor: "cron",
      source: "cron",
      text: schedule.message,
      metadata: { schedule: schedule.cron, tick },
    });
    if (!outcome.ok) options.onError(new Error(outcome.message), `schedule ${schedule.cron}`);
  } catch (error) {
    options.onError(error, `schedule ${schedule.cron}`);
  }
}
