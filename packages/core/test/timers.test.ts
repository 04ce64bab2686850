import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import {
  ConfigurationError,
  InvalidInputError,
  StateConflictError,
  Thread,
  askHuman,
  defineAgent,
  defineTool,
  doneForNow,
  sleep,
  waitUntil,
} from "agentfold";
import { applyHumanAction, dueEvents, fireDue, nextWakeAt } from "agentfold/runtime";
import { ScriptedModel, createFakeClock } from "agentfold/testing";

const pause = defineTool({
  intent: "pause",
  description: "wait some minutes before going on",
  args: z.object({ minutes: z.number() }),
  run: ({ minutes }) => sleep(minutes * 60_000, { reason: "let the deploy settle" }),
});
const deploy = defineTool({
  intent: "deploy",
  description: "deploy a tag",
  args: z.object({ tag: z.string() }),
  approval: "required",
  deadline: { afterMs: 3_600_000, action: "reject" },
  run: ({ tag }) => `deployed ${tag}`,
});
const agent = defineAgent({
  name: "deploybot",
  tools: [pause, deploy, askHuman({ deadline: { afterMs: 60_000, action: "escalate", to: ["#oncall"] } }), doneForNow()],
});

function types(thread: Thread, from = 0): string[] {
  return thread.events.slice(from).map((event) => event.type);
}

async function waitingThread(clock = createFakeClock("2026-12-01T09:00:00.000Z")) {
  const model = new ScriptedModel([
    { intent: "pause", minutes: 10 },
    { intent: "done_for_now", message: "healthy" },
  ]);
  const thread = await agent.run(agent.start("deploy then wait"), { model, clock });
  return { thread, model, clock };
}

describe("durable timers", () => {
  it("a tool that returns sleep() leaves the thread waiting until a time, with the reason, and nothing is due before it", async () => {
    const { thread, clock } = await waitingThread();
    assert.equal(thread.status, "waiting");
    assert.deepStrictEqual(
      thread.state.timers.map(({ until, reason, callId }) => ({ until, reason, callId })),
      [{ until: "2026-12-01T09:10:00.000Z", reason: "let the deploy settle", callId: "call_1_0" }],
    );
    assert.equal(nextWakeAt(thread.state), "2026-12-01T09:10:00.000Z");
    await clock.advance(9 * 60_000);
    assert.deepStrictEqual(dueEvents(thread, clock.now()), []);
    assert.equal(fireDue(thread, clock), thread);
  });

  it("on time the timer fires once, the call gets its result and the agent goes on", async () => {
    const { thread, model, clock } = await waitingThread();
    await clock.advance(10 * 60_000);
    const fired = fireDue(thread, clock);
    assert.deepStrictEqual(types(fired, thread.version), ["timer_fired", "tool_result"]);
    const result = fired.lastEvent;
    assert.ok(result?.type === "tool_result");
    assert.deepStrictEqual(result.result, { waitedUntil: "2026-12-01T09:10:00.000Z", wokeAt: "2026-12-01T09:10:00.000Z" });
    assert.equal(fired.status, "running");
    // A second sweep over the fired thread finds nothing: exactly once is the fold's doing.
    assert.deepStrictEqual(dueEvents(fired, clock.now()), []);
    const done = await agent.run(fired, { model, clock });
    assert.equal(done.status, "done");
    assert.equal(done.events.filter((event) => event.type === "timer_fired").length, 1);
  });

  it("survives a JSON round trip: a reloaded thread still waits for the same time", async () => {
    const { thread } = await waitingThread();
    const loaded = Thread.fromJSON(JSON.stringify(thread));
    assert.equal(loaded.status, "waiting");
    assert.deepStrictEqual(loaded.state.timers, thread.state.timers);
  });

  it("a person wakes it early (the wake action), recorded with who did it; a thread without a timer cannot be woken", async () => {
    const { thread, clock } = await waitingThread();
    const woken = applyHumanAction(agent, thread, { type: "wake", actor: "cli:alice" }, { clock });
    const [fired, result] = woken.events.slice(thread.version);
    assert.deepStrictEqual(fired, {
      type: "timer_fired",
      at: "2026-12-01T09:00:00.000Z",
      timerId: "call_1_0",
      early: true,
      actor: "cli:alice",
    });
    assert.ok(result?.type === "tool_result");
    assert.deepStrictEqual(result.result, {
      waitedUntil: "2026-12-01T09:10:00.000Z",
      wokeAt: "2026-12-01T09:00:00.000Z",
      early: true,
      by: "cli:alice",
    });
    assert.equal(woken.status, "running");
    assert.throws(() => applyHumanAction(agent, woken, { type: "wake" }), StateConflictError);
  });

  it("a message wakes it early too: the timer fires before the message is recorded", async () => {
    const { thread, clock } = await waitingThread();
    const next = agent.message(thread, "skip the wait", { actor: "bob", clock });
    assert.deepStrictEqual(types(next, thread.version), ["timer_fired", "tool_result", "user_input"]);
    assert.equal(next.status, "running");
    assert.deepStrictEqual(next.state.timers, []);
  });

  it("a cancel ends the wait: nothing falls due on a canceled thread", async () => {
    const { thread, clock } = await waitingThread();
    const canceled = agent.cancel(thread, { reason: "stop" });
    await clock.advance(60 * 60_000);
    assert.equal(canceled.status, "canceled");
    assert.deepStrictEqual(dueEvents(canceled, clock.now()), []);
    assert.equal(nextWakeAt(canceled.state), undefined);
  });

  it("waitUntil takes a Date or a zoned ISO time, and refuses anything else with what to pass", () => {
    assert.equal(waitUntil("2026-12-01T10:00:00+01:00").endsAt(new Date(0)).toISOString(), "2026-12-01T09:00:00.000Z");
    assert.equal(sleep(5).endsAt(new Date(1000)).getTime(), 1005);
    assert.throws(
      () => waitUntil("tomorrow"),
      (error: unknown) => error instanceof InvalidInputError && /ISO 8601 time with a zone/.test(error.message),
    );
    assert.throws(() => waitUntil("2026-12-01T10:00:00"), InvalidInputError);
    assert.throws(() => sleep(-1), /finite number of milliseconds of 0 or more/);
    assert.throws(() => sleep(Number.NaN), InvalidInputError);
  });

  it("a tool whose run throws from sleep() gets an error event the model can read, not a stuck thread", async () => {
    const broken = defineTool({ intent: "pause", description: "wait", args: z.object({}), run: () => sleep(-5) });
    const brokenAgent = defineAgent({ name: "broken", tools: [broken, doneForNow()] });
    const thread = await brokenAgent.step(brokenAgent.start("go"), { model: new ScriptedModel([{ intent: "pause" }]) });
    const error = thread.lastEvent;
    assert.ok(error?.type === "error");
    assert.match(error.message, /sleep\(ms\) needs a finite number/);
    assert.equal(thread.status, "running");
  });
});

describe("request deadlines", () => {
  it("an approval past its deadline is rejected once, by the deadline, and the model reads the rejection", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const model = new ScriptedModel([{ intent: "deploy", tag: "v1" }]);
    const thread = await agent.run(agent.start("deploy v1"), { model, clock });
    assert.equal(thread.status, "awaiting_approval");
    const [item] = thread.pending;
    assert.ok(item?.kind === "approval");
    assert.deepStrictEqual(item.deadline, { by: "2026-12-01T10:00:00.000Z", action: "reject", passed: false });
    assert.equal(nextWakeAt(thread.state), "2026-12-01T10:00:00.000Z");
    await clock.advance(3_599_999);
    assert.deepStrictEqual(dueEvents(thread, clock.now()), []);
    await clock.advance(1);
    const rejected = fireDue(thread, clock);
    assert.deepStrictEqual(types(rejected, thread.version), ["deadline_passed", "approval_decision"]);
    const decision = rejected.lastEvent;
    assert.ok(decision?.type === "approval_decision");
    assert.equal(decision.approved, false);
    assert.equal(decision.actor, "deadline");
    assert.match(decision.comment ?? "", /No decision came by the deadline \(2026-12-01T10:00:00.000Z\)/);
    assert.equal(rejected.status, "running");
    assert.deepStrictEqual(dueEvents(rejected, clock.now()), []);
  });

  it("an escalation is recorded with whom it goes to; the question stays pending and is not due again", async () => {
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const model = new ScriptedModel([{ intent: "request_human_input", question: "Roll back?" }]);
    const thread = await agent.run(agent.start("deploy"), { model, clock });
    await clock.advance(60_000);
    const escalated = fireDue(thread, clock);
    const passed = escalated.lastEvent;
    assert.deepStrictEqual(passed, {
      type: "deadline_passed",
      at: "2026-12-01T09:01:00.000Z",
      callId: thread.pending[0]?.callId,
      action: "escalate",
      to: ["#oncall"],
    });
    assert.equal(escalated.status, "awaiting_human");
    const [item] = escalated.pending;
    assert.ok(item?.kind === "question");
    assert.equal(item.deadline?.passed, true);
    assert.equal(nextWakeAt(escalated.state), undefined);
    await clock.advance(60 * 60_000);
    assert.equal(fireDue(escalated, clock), escalated);
  });

  it("a question rejected by its deadline gets a 'no answer' reply; a reminder keeps it pending", async () => {
    const quick = (action: "reject" | "remind") =>
      defineAgent({ name: `quick_${action}`, tools: [askHuman({ deadline: { afterMs: 1000, action } }), doneForNow()] });
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    for (const action of ["reject", "remind"] as const) {
      const asker = quick(action);
      const thread = await asker.run(asker.start("ask"), {
        model: new ScriptedModel([{ intent: "request_human_input", question: "Which?" }]),
        clock,
      });
      const later = createFakeClock("2026-12-01T09:00:01.000Z");
      const next = fireDue(thread, later);
      if (action === "reject") {
        assert.deepStrictEqual(types(next, thread.version), ["deadline_passed", "human_response"]);
        assert.equal(next.status, "running");
      } else {
        assert.deepStrictEqual(types(next, thread.version), ["deadline_passed"]);
        assert.equal(next.status, "awaiting_human");
      }
    }
  });

  it("a bad deadline is refused when the tool is defined, saying what to write", () => {
    const base = { intent: "x", description: "x", args: z.object({}), approval: "required" as const, run: () => 1 };
    assert.throws(() => defineTool({ ...base, deadline: { afterMs: 0, action: "reject" } }), /afterMs must be a whole number/);
    assert.throws(
      () => defineTool({ ...base, deadline: { afterMs: 10, action: "explode" as "reject" } }),
      /"reject", "remind" or "escalate"/,
    );
    assert.throws(
      () => defineTool({ ...base, deadline: { afterMs: 10, action: "escalate" } }),
      (error: unknown) => error instanceof ConfigurationError && /needs someone to escalate to/.test(error.message),
    );
  });
});
