/**
 * Durable timers in the terminal: `agentfold run` on a thread that waits says until when and exits
 * 3; `agentfold resume` before the time says it is not due yet (exit 3), goes on once the time has
 * come, and `--now` wakes it early.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createSqliteStore } from "@agentfold/stores";
import { fixtures, json, runCli, tempDir } from "./helpers.ts";

const napper = join(fixtures, "napper.ts");
const model = (name: string) => `script:${join(fixtures, name)}`;

describe("agentfold run and resume on a waiting thread", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("timers");
  });
  after(() => dir.remove());

  test("run says until when it waits and exits 3; resume before the time says it is not due yet; --now wakes it", async () => {
    const ran = await runCli(["run", napper, "deploy, then check health", "--model", model("nap-hour.json")], { cwd: dir.path });
    assert.equal(ran.code, 3, ran.stderr);
    const id = /thread (thr_[0-9a-f]+)/.exec(ran.stdout)?.[1];
    assert.ok(id, ran.stdout);
    assert.match(ran.stdout, /waiting/);
    assert.match(ran.stdout, /waits until \d{4}-\d\d-\d\dT[\d:.]+Z: let the deploy settle/);
    assert.match(ran.stdout, new RegExp(`resume ${id} --now`));

    const early = await runCli(["resume", id, "--model", model("nap-hour.json")], { cwd: dir.path });
    assert.equal(early.code, 3, early.stderr);
    assert.match(early.stdout, new RegExp(`Not due yet: thread ${id} waits until .*To wake it now: .*resume ${id} --now`));
    const shown = json<{ status: string; waiting: { until: string } }>(await runCli(["threads", "show", id, "--json"], { cwd: dir.path }));
    assert.equal(shown.status, "waiting");
    assert.match(shown.waiting.until, /Z$/);

    const woken = await runCli(["resume", id, "--now", "--model", model("nap-hour.json"), "--json"], { cwd: dir.path });
    assert.equal(woken.code, 0, woken.stderr);
    assert.equal(json<{ status: string }>(woken).status, "done");
    const store = createSqliteStore({ path: join(dir.path, ".agentfold", "agentfold.db") });
    const events = (await store.load(id))?.events ?? [];
    await store.close();
    const fired = events.filter((event) => event.type === "timer_fired");
    assert.equal(fired.length, 1);
    assert.ok(fired[0]?.type === "timer_fired" && fired[0].early);

    const again = await runCli(["resume", id, "--now"], { cwd: dir.path });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /waits for no timer: there is nothing to wake/);
  });

  test("resume once the time has come fires the timer once and runs on", async () => {
    const ran = json<{ id: string; status: string }>(
      await runCli(["run", napper, "deploy", "--model", model("nap-none.json"), "--json"], { cwd: dir.path }),
    );
    assert.equal(ran.status, "waiting");
    const resumed = await runCli(["resume", ran.id, "--model", model("nap-none.json"), "--json"], { cwd: dir.path });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(json<{ status: string; result: string }>(resumed).result, "rested, the deploy is healthy");
  });
});
