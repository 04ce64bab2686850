/** The fake clock-and-timers port tests advance instead of sleeping. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createFakeClock } from "agentfold/testing";

describe("createFakeClock", () => {
  it("fires due timers in order of due time, then of creation, each at its due time", async () => {
    const clock = createFakeClock();
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.monotonic()}`);
    clock.setTimeout(at("c"), 30);
    clock.setTimeout(at("a"), 10);
    clock.setTimeout(at("b"), 10);
    clock.clearTimeout(clock.setTimeout(at("cleared"), 5));
    clock.setTimeout(at("later"), 31);
    await clock.advance(30);
    assert.deepEqual(fired, ["a@10", "b@10", "c@30"]);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.monotonic(), 30);
  });

  it("lets the work a timer started settle, so a timer it sets within the step fires too", async () => {
    const clock = createFakeClock();
    const fired: number[] = [];
    clock.setTimeout(async () => {
      await Promise.resolve();
      fired.push(clock.monotonic());
      clock.setTimeout(() => fired.push(clock.monotonic()), 5);
    }, 10);
    await clock.advance(20);
    assert.deepEqual(fired, [10, 15]);
  });

  it("moves the time at once when no timer is due; set() moves the wall clock only", () => {
    const clock = createFakeClock("2026-01-01T00:00:00.000Z");
    void clock.advance(1500);
    assert.equal(clock.now().toISOString(), "2026-01-01T00:00:01.500Z");
    clock.set("2030-01-01T00:00:00.000Z");
    assert.equal(clock.now().toISOString(), "2030-01-01T00:00:00.000Z");
    assert.equal(clock.monotonic(), 1500);
  });

  it("sleep resolves when the time comes and rejects once its signal is aborted", async () => {
    const clock = createFakeClock();
    let slept = false;
    const sleeping = clock.sleep(100).then(() => (slept = true));
    await clock.advance(99);
    assert.equal(slept, false);
    await clock.advance(1);
    await sleeping;
    assert.equal(slept, true);
    const controller = new AbortController();
    const aborted = clock.sleep(100, controller.signal);
    controller.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    assert.equal(clock.pendingTimers, 0, "the aborted sleep cleared its timer");
  });
});
