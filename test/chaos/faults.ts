/**
 * The fault schedule: while the clients run, kill a random process now and then, restart dead ones
 * armed with a random fault point, SIGSTOP one process for longer than its lease and then SIGCONT
 * it, and cut the Postgres link of one process or of all of them for a moment.
 */
import type { TcpProxy } from "../../packages/stores/test/tcp-proxy.ts";
import type { ServerSlot } from "./processes.ts";

export interface FaultCounts {
  /** SIGKILLs the harness sent. */
  randomKills: number;
  /** Processes that killed themselves at an armed fault point, by point. */
  faultPointKills: Record<string, number>;
  /** Processes started with each AGENTFOLD_FAULT value ("" for none). */
  armed: Record<string, number>;
  stops: number;
  postgresCuts: number;
  /** Processes that exited at start because their Postgres link was cut (restarted later). */
  failedStarts: number;
  /** Exits nobody asked for (a crash of the product): each one is a finding. */
  unexpectedExits: string[];
}

export function emptyFaultCounts(): FaultCounts {
  return { randomKills: 0, faultPointKills: {}, armed: {}, stops: 0, postgresCuts: 0, failedStarts: 0, unexpectedExits: [] };
}

/** AGENTFOLD_FAULT values a restarted process gets, one point each so a kill is attributed exactly. */
export function faultSpecs(store: "sqlite" | "postgres"): string[] {
  const specs = [
    "",
    "model-replied:0.03",
    "tool-started:0.05",
    "tool-ran:0.05",
    "before-reply:0.05",
    "lease-renewal:0.05",
    "cancel:0.5",
    "commit-then-throw:before-reply:0.2",
  ];
  // The group commit is SQLite's.
  if (store === "sqlite") specs.push("group-commit:0.005", "commit-then-throw:group-commit:0.02");
  return specs;
}

export interface FaultScheduleOptions {
  slots: readonly ServerSlot[];
  /** One per slot, for a Postgres campaign. */
  proxies: readonly TcpProxy[];
  specs: readonly string[];
  random: () => number;
  leaseTtlMs: number;
  counts: FaultCounts;
  /** Mean milliseconds between random kills, stops and cuts. */
  killEveryMs: number;
  stopEveryMs: number;
  cutEveryMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tickMs = 100;

/** Starts a slot with a random armed point, counting it. */
export function startArmed(slot: ServerSlot, options: Pick<FaultScheduleOptions, "specs" | "random" | "counts">): Promise<void> {
  const spec = options.specs[Math.floor(options.random() * options.specs.length)]!;
  options.counts.armed[spec] = (options.counts.armed[spec] ?? 0) + 1;
  return slot.start(spec);
}

/** Runs the schedule until `stopAt`; then every fault is healed (stopped processes continued, links restored). */
export async function runFaults(options: FaultScheduleOptions, stopAt: number): Promise<void> {
  const { slots, proxies, random, counts } = options;
  const starting = new Set<number>();
  const background = new Set<Promise<unknown>>();
  const later = (work: Promise<unknown>) => {
    background.add(work);
    void work.finally(() => background.delete(work));
  };
  const chance = (everyMs: number) => everyMs > 0 && random() < tickMs / everyMs;
  let stopped = false;
  let cut = false;
  // Each kind of fault happens at least once, by half time at the latest, however short the run.
  const halfTime = Date.now() + (stopAt - Date.now()) / 2;
  const due = (everyMs: number, happened: number) => everyMs > 0 && (chance(everyMs) || (happened === 0 && Date.now() > halfTime));
  while (Date.now() < stopAt) {
    await sleep(tickMs);
    for (const slot of slots) {
      if (slot.alive() || starting.has(slot.index)) continue;
      starting.add(slot.index);
      later(startArmed(slot, options).finally(() => starting.delete(slot.index)));
    }
    const live = slots.filter((slot) => slot.serving());
    if (live.length >= 2 && due(options.killEveryMs, counts.randomKills)) {
      counts.randomKills += 1;
      later(live[Math.floor(random() * live.length)]!.kill());
    }
    if (!stopped && live.length >= 2 && due(options.stopEveryMs, counts.stops)) {
      const slot = live[Math.floor(random() * live.length)]!;
      stopped = true;
      counts.stops += 1;
      slot.stop();
      // Past its lease: another process may take its threads meanwhile, and it wakes up not knowing.
      later(
        sleep(options.leaseTtlMs * 2.5).then(() => {
          stopped = false;
          slot.cont();
        }),
      );
    }
    if (!cut && proxies.length > 0 && due(options.cutEveryMs, counts.postgresCuts)) {
      const cutAll = random() < 0.3;
      const chosen = cutAll ? [...proxies] : [proxies[Math.floor(random() * proxies.length)]!];
      cut = true;
      counts.postgresCuts += 1;
      for (const proxy of chosen) proxy.cut();
      later(
        sleep(300 + random() * 1_700).then(() => {
          for (const proxy of chosen) proxy.restore();
          cut = false;
        }),
      );
    }
  }
  await Promise.all(background);
  for (const slot of slots) slot.cont();
  for (const proxy of proxies) proxy.restore();
}
