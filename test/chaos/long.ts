/**
 * The long fault campaign: `npm run chaos -- --minutes 30 [--store sqlite|postgres|both] [--seed N]
 * [--round-minutes 5] [--processes 3]`. The minutes are the faulted time in all, shared between the stores; they run
 * as rounds (each a whole campaign: faults, healing, quiet period, check) so a broken invariant is
 * found near when it broke. Writes bench/results/chaos.md and chaos.json; exits 1 when any round
 * broke an invariant.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { runCampaign, type CampaignResult } from "./campaign.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    store: { type: "string", default: "both" },
    seed: { type: "string" },
    "round-minutes": { type: "string", default: "5" },
    processes: { type: "string", default: "3" },
    output: { type: "string", default: new URL("../../bench/results/chaos", import.meta.url).pathname },
  },
});
const minutes = Number(values.minutes);
const roundMinutes = Number(values["round-minutes"]);
const processes = Number(values.processes);
const stores = values.store === "both" ? (["sqlite", "postgres"] as const) : [values.store as "sqlite" | "postgres"];
if (
  !(minutes > 0) ||
  !(roundMinutes > 0) ||
  !(Number.isInteger(processes) && processes >= 2) ||
  !stores.every((store) => store === "sqlite" || store === "postgres")
) {
  console.error("Usage: npm run chaos -- --minutes 30 [--store sqlite|postgres|both] [--seed N] [--round-minutes 5] [--processes 3]");
  process.exit(2);
}
/** The code under test: CHAOS_CODE (e.g. the commit a snapshot was taken at), else git's HEAD and whether the tree differs from it. */
function codeUnderTest(): string {
  if (process.env.CHAOS_CODE) return process.env.CHAOS_CODE;
  try {
    const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();
    return `${git("rev-parse", "HEAD")}${git("status", "--porcelain", "--untracked-files=no") === "" ? "" : " with uncommitted changes"}`;
  } catch {
    return "unknown";
  }
}
const code = codeUnderTest();
const seed = values.seed === undefined ? Date.now() % 1_000_000 : Number(values.seed);
const startedAt = new Date();
const loadBefore = loadavg();

const results: CampaignResult[] = [];
const perStoreMs = (minutes * 60_000) / stores.length;
let round = 0;
for (const store of stores) {
  for (let done = 0; done < perStoreMs - 1_000; round++) {
    const durationMs = Math.min(roundMinutes * 60_000, perStoreMs - done);
    const result = await runCampaign({
      store,
      durationMs,
      processes,
      seed: seed + round,
      log: (line) => console.log(`[round ${round}] ${line}`),
    });
    done += result.faultedMs;
    results.push(result);
    console.log(
      `[round ${round}] ${store}: ${result.ok ? "ok" : "BROKEN"}; ${result.check.threads} threads, ${result.check.acknowledgedEvents} acknowledged events`,
    );
    if (!result.ok) console.log(result.check.problems.join("\n"));
  }
}

type Totals = ReturnType<typeof total>;
function total(of: readonly CampaignResult[]) {
  const sum = (pick: (result: CampaignResult) => number) => of.reduce((acc, result) => acc + pick(result), 0);
  const merge = (pick: (result: CampaignResult) => Record<string, number>) => {
    const merged: Record<string, number> = {};
    for (const result of of) for (const [key, count] of Object.entries(pick(result))) merged[key] = (merged[key] ?? 0) + count;
    return merged;
  };
  return {
    rounds: of.length,
    brokenRounds: of.filter((result) => !result.ok).length,
    faultedMinutes: sum((result) => result.faultedMs) / 60_000,
    randomKills: sum((result) => result.faults.randomKills),
    faultPointKills: merge((result) => result.faults.faultPointKills),
    armed: merge((result) => result.faults.armed),
    stops: sum((result) => result.faults.stops),
    postgresCuts: sum((result) => result.faults.postgresCuts),
    unexpectedExits: sum((result) => result.faults.unexpectedExits.length),
    failedStarts: sum((result) => result.faults.failedStarts),
    threads: sum((result) => result.check.threads),
    acknowledgedEvents: sum((result) => result.check.acknowledgedEvents),
    toolRuns: sum((result) => result.check.toolRuns),
    requests: sum((result) => result.driver.requests),
    retries: sum((result) => result.driver.retries),
    unexpectedAnswers: merge((result) => result.driver.unexpected),
    failedSeen: sum((result) => result.driver.failedSeen),
    lost: sum((result) => result.check.lost),
    changed: sum((result) => result.check.changed),
    gaps: sum((result) => result.check.gaps),
    forks: sum((result) => result.check.forks),
    duplicateRuns: sum((result) => result.check.duplicateRuns),
    keyMismatches: sum((result) => result.check.keyMismatches),
    unrecordedRuns: sum((result) => result.check.unrecordedRuns),
    failedEvents: sum((result) => result.check.failedEvents),
    stuck: sum((result) => result.liveness.stuck.length),
    progressing: sum((result) => result.liveness.progressing),
    finalStatuses: merge((result) => result.liveness.statuses),
  };
}

const byStore = Object.fromEntries(stores.map((store) => [store, total(results.filter((result) => result.store === store))])) as Record<
  string,
  Totals
>;
const finishedAt = new Date();
const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  loadBefore,
  loadAfter: loadavg(),
};
const columns = stores.map((store) => byStore[store]!);
const row = (label: string, pick: (totals: Totals) => number | string) =>
  `| ${label} | ${columns.map((totals) => pick(totals)).join(" | ")} |`;
const points = [...new Set(columns.flatMap((totals) => Object.keys(totals.faultPointKills)))].sort();
const statuses = [...new Set(columns.flatMap((totals) => Object.keys(totals.finalStatuses)))].sort();
const answers = [...new Set(columns.flatMap((totals) => Object.keys(totals.unexpectedAnswers)))].sort();
const broken = results.filter((result) => !result.ok);
const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(", ");

const markdown = `# Fault campaign

Run ${startedAt.toISOString()} to ${finishedAt.toISOString()} with \`npm run chaos -- --minutes ${minutes} --store ${values.store} --seed ${seed} --round-minutes ${roundMinutes} --processes ${processes}\`:
${columns.map((totals, index) => `${stores[index]} ${totals.faultedMinutes.toFixed(1)} min under faults in ${totals.rounds} rounds`).join(", ")}; ${((finishedAt.getTime() - startedAt.getTime()) / 60_000).toFixed(1)} min wall in all.
Code: ${code}.
Machine: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, shared with other work (load average ${load(loadBefore)} at the start, ${load(machine.loadAfter)} at the end).
The seed fixes the harness's choices (which process, when, which fault point is armed); the server processes' own fault probabilities and all timing are not seeded, so a rerun is similar, not identical.

Each round: ${processes} server processes on one store (on Postgres sharing the work queue), 12 client loops launching and driving threads with Idempotency-Keys, faults for the round's duration, then every fault healed, the processes restarted without faults, a quiet period, and the invariants checked on the store's tables and the witness ledger (test/chaos/, docs/faults.md).

**Result: ${broken.length === 0 ? "no invariant broke" : `${broken.length} of ${results.length} rounds broke an invariant (below)`}.**

## Faults, by class

| fault | ${stores.join(" | ")} |
|---|${stores.map(() => "---:").join("|")}|
${row("SIGKILL at random", (totals) => totals.randomKills)}
${points.map((point) => row(`SIGKILL at fault point \`${point}\``, (totals) => totals.faultPointKills[point] ?? 0)).join("\n")}
${row("SIGSTOP past the lease, then SIGCONT", (totals) => totals.stops)}
${row("Postgres link cut (one process's or all)", (totals) => totals.postgresCuts)}
${row("processes started armed with `commit-then-throw:` (throws, no kill)", (totals) =>
  Object.entries(totals.armed)
    .filter(([spec]) => spec.startsWith("commit-then-throw"))
    .reduce((acc, [, count]) => acc + count, 0),
)}
${row("starts refused while the process's Postgres link was cut (exit 1, started again)", (totals) => totals.failedStarts)}
${row("exits nobody asked for", (totals) => totals.unexpectedExits)}

## Work and invariants

| | ${stores.join(" | ")} |
|---|${stores.map(() => "---:").join("|")}|
${row("threads", (totals) => totals.threads)}
${row("acknowledged events", (totals) => totals.acknowledgedEvents)}
${row("tool executions (ledger rows)", (totals) => totals.toolRuns)}
${row("HTTP requests / retried", (totals) => `${totals.requests} / ${totals.retries}`)}
${row("reads that found a thread `failed` (the runner gave up a step; the client sent a message)", (totals) => totals.failedSeen)}
${row("**lost** acknowledged events", (totals) => totals.lost)}
${row("**changed** acknowledged events", (totals) => totals.changed)}
${row("**gaps** (threads with non-contiguous seq)", (totals) => totals.gaps)}
${row("**forks**", (totals) => totals.forks)}
${row("**duplicate runs** of a non-idempotent tool", (totals) => totals.duplicateRuns)}
${row("**idempotent re-runs with another key**", (totals) => totals.keyMismatches)}
${row("**runs with no stored tool_started**", (totals) => totals.unrecordedRuns)}
${row("**failed steps** (stored `failed` events)", (totals) => totals.failedEvents)}
${row("**stuck threads** (running, not moving)", (totals) => totals.stuck)}
${row("still running and moving at the end", (totals) => totals.progressing)}
${statuses.map((status) => row(`final status \`${status}\``, (totals) => totals.finalStatuses[status] ?? 0)).join("\n")}

Unexpected answers the clients got (a 5xx is retried with the same key; each is labelled with the fault its process was armed with, and one from a process not armed with \`commit-then-throw\` breaks the round):

| answer | ${stores.join(" | ")} |
|---|${stores.map(() => "---:").join("|")}|
${answers.map((answer) => row(`\`${answer}\``, (totals) => totals.unexpectedAnswers[answer] ?? 0)).join("\n")}
${broken.length === 0 ? "" : `\n## Broken rounds\n\n${broken.map((result) => `- ${result.store}, seed ${result.seed}:\n${result.check.problems.map((problem) => `  - ${problem}`).join("\n")}`).join("\n")}\n`}`;

writeFileSync(`${values.output}.md`, markdown);
writeFileSync(
  `${values.output}.json`,
  `${JSON.stringify({ startedAt, finishedAt, code, minutes, seed, roundMinutes, machine, byStore, rounds: results.map(({ stderr, ...rest }) => rest) }, null, 1)}\n`,
);
console.log(markdown);
process.exit(broken.length === 0 ? 0 : 1);
