/**
 * A child agent whose tool sleeps, through the CLI, each command its own process: `run` leaves the
 * parent `waiting` with its child (exit 3, not a failed call); `resume <parent>` before the child's
 * time says whose timer it waits for; once the time has come, `resume <parent>` fires the child's
 * timer and both finish; `resume <child> --now` wakes the child early and its parent goes on.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createSqliteStore } from "@agentfold/stores";
import { fixtures, runBin, tempDir } from "./helpers.ts";

const module = join(fixtures, "napping-family.ts");
const script = `script:${join(fixtures, "napping-family.json")}`;

interface Summary {
  id: string;
  status: string;
  result?: string;
  pending: { kind: string; callId: string; childThreadId?: string; childStatus?: string }[];
}

async function childEvents(dir: string, childId: string): Promise<string[]> {
  const store = createSqliteStore({ path: join(dir, ".agentfold", "agentfold.db") });
  try {
    return ((await store.load(childId))?.events ?? []).map((event) => event.type);
  } finally {
    await store.close();
  }
}

describe("a child agent that sleeps, through the CLI", () => {
  const dir = tempDir("napping-family");
  after(() => dir.remove());

  test("the parent waits with its child; resume once the child's time has come finishes both", async () => {
    const run = await runBin(["run", module, "release v1", "--model", script, "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const parent = JSON.parse(run.stdout) as Summary;
    assert.equal(parent.status, "waiting");
    const item = parent.pending[0]!;
    assert.deepEqual([item.kind, item.childStatus], ["child", "waiting"]);

    const resumed = await runBin(["resume", parent.id, "--json"], { cwd: dir.path });
    assert.equal(resumed.code, 0, resumed.stderr);
    const final = JSON.parse(resumed.stdout) as Summary;
    assert.deepEqual([final.id, final.status, final.result], [parent.id, "done", "released"]);
    const events = await childEvents(dir.path, item.childThreadId!);
    assert.equal(events.filter((type) => type === "timer_fired").length, 1);
    assert.equal(events.at(-1), "done");
  });

  test("before the child's time, resume <parent> names the child to wake; resume <child> --now finishes the family", async () => {
    const env = { AGENTFOLD_TEST_NAP_MINUTES: "60" };
    const run = await runBin(["run", module, "release v1", "--model", script, "--json"], { cwd: dir.path, env });
    assert.equal(run.code, 3, run.stderr);
    const parent = JSON.parse(run.stdout) as Summary;
    const childId = parent.pending[0]!.childThreadId!;

    const early = await runBin(["resume", parent.id], { cwd: dir.path, env });
    assert.equal(early.code, 3, early.stderr);
    assert.match(
      early.stdout,
      new RegExp(
        `Not due yet: thread ${parent.id} waits for child thread ${childId}, which waits until .*To wake it now: .*resume ${childId} --now`,
      ),
    );
    assert.equal((await childEvents(dir.path, childId)).includes("timer_fired"), false);
    const wrongThread = await runBin(["resume", parent.id, "--now"], { cwd: dir.path, env });
    assert.equal(wrongThread.code, 2);
    assert.match(wrongThread.stderr, new RegExp(`resume ${childId} --now`));

    const woken = await runBin(["resume", childId, "--now", "--json"], { cwd: dir.path, env });
    assert.equal(woken.code, 0, woken.stderr);
    const final = JSON.parse(woken.stdout) as Summary;
    assert.deepEqual([final.id, final.status, final.result], [parent.id, "done", "released"]);
    const events = await childEvents(dir.path, childId);
    assert.equal(events.filter((type) => type === "timer_fired").length, 1);
  });
});
