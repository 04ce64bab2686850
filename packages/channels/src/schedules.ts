/**
 * Cron triggers (croner). Every process that runs the schedules fires each tick; only the one that
 * records the tick as schedule `<agent>:<index>`'s last (`claimTick` in the shared channel store)
 * launches the thread, so a tick launches at most once however many server processes share one Postgres.
 */
import { Cron } from "croner";
import { ConfigurationError } from "agentfold";
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
      throw new ConfigurationError(`schedules[${index}]: cron pattern ${JSON.stringify(schedule.cron)} is invalid: ${(error as Error).message}.`);
    }
  });
}

/**
 * Starts one croner job per schedule. Returns a function that stops them.
 *
 * @example
 * const stop = startSchedules([{ agent: "reporter", cron: "0 9 * * *", message: "daily report" }], { store, apply, onError });
 */
export function startSchedules(
  schedules: readonly Schedule[],
  options: { store: ChannelStore; apply: (action: InboundAction) => Promise<ActionOutcome>; onError: (error: unknown, where: string) => void },
): () => void {
  const jobs = schedules.map(
    (schedule, index) =>
      new Cron(schedule.cron, { unref: true, ...(schedule.timezone ? { timezone: schedule.timezone } : {}) }, async (job: Cron) => {
        // The scheduled time, not the time the timer fired: the same key in every process.
        const tick = (job.currentRun() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
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
      }),
  );
  return () => {
    for (const job of jobs) job.stop();
  };
}
