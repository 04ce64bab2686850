/**
 * The fault campaign, short: one run on a SQLite file and one on Postgres, each with three server
 * processes, SIGKILLs at random and at fault points, a SIGSTOP past the lease, and (Postgres) cuts of
 * the database link; then every invariant of check.ts. `npm run chaos` runs the long one.
 * Postgres must be reachable (AGENTFOLD_TEST_POSTGRES_URL): the test fails, never skips, without it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCampaign, type CampaignResult } from "./campaign.ts";

const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const minThreads = 30;

function report(result: CampaignResult): string {
  const { stderr, ...rest } = result;
  return `${result.store} campaign, seed ${result.seed} (CHAOS_SEED=${result.seed} to repeat the harness's choices):\n${JSON.stringify(rest, null, 1)}\nstderr of the last processes:\n${stderr.map((text) => text.slice(-1_500)).join("\n---\n")}`;
}

function assertCampaign(result: CampaignResult): void {
  const { check, faults } = result;
  assert.ok(result.ok, `An invariant broke:\n${check.problems.join("\n")}\n\n${report(result)}`);
  // Not vacuous: the run did drive threads through faults (on a busy machine the campaign runs longer to get there).
  assert.ok(check.threads >= minThreads, `only ${check.threads} threads ran\n${report(result)}`);
  assert.ok(check.acknowledgedEvents > check.threads, report(result));
  assert.ok(check.toolRuns > 0, report(result));
  assert.ok(faults.randomKills >= 1 && faults.stops >= 1, report(result));
  assert.ok(
    Object.values(faults.faultPointKills).reduce((sum, count) => sum + count, 0) >= 1,
    `no process died at a fault point\n${report(result)}`,
  );
}

describe("fault campaign (short)", () => {
  it("SQLite: three processes on one file through kills, fault points and a stop past the lease", async () => {
    assertCampaign(await runCampaign({ store: "sqlite", durationMs: 10_000, minThreads, seed }));
  });

  it("Postgres: three processes on one schema through kills, fault points, a stop and cuts of the link", async () => {
    const result = await runCampaign({ store: "postgres", durationMs: 10_000, minThreads, seed });
    assertCampaign(result);
    assert.ok(result.faults.postgresCuts >= 1, report(result));
  });
});
