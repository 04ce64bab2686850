/** `agentfold threads show --timing`: a thread's model calls, tool runs and waits as a waterfall. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Thread } from "agentfold";
import { createFakeClock } from "agentfold/testing";
import { timingLines, timingRows } from "../src/format-timing.ts";
import { calculatorModule, fixtures, json, runCli, tempDir } from "./helpers.ts";

const divideScript = `script:${join(fixtures, "divide.json")}`;

describe("threads show --timing", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("timing");
  });
  after(() => dir.remove());

  test("lists each model call, the wait for approval, and the tool run, in order", async () => {
    const run = json<{ id: string }>(
      await runCli(["run", calculatorModule, "can you divide 3 by 4", "--model", divideScript, "--json"], { cwd: dir.path }),
    );
    const approved = await runCli(["approve", run.id, "call_1_0"], { cwd: dir.path });
    assert.equal(approved.code, 0, approved.stderr);

    const timing = json<{ timing: Array<{ kind: string; label: string; details: string[] }> }>(
      await runCli(["threads", "show", run.id, "--timing", "--json"], { cwd: dir.path }),
    ).timing;
    assert.deepEqual(
      timing.map((row) => [row.kind, row.label]),
      [
        ["model", `chat ${divideScript}`],
        ["wait", "approval of divide call_1_0"],
        ["tool", "divide call_1_0"],
        ["model", `chat ${divideScript}`],
      ],
    );
    assert.match(timing[1]!.details.join(), /^by /);

    const text = await runCli(["threads", "show", run.id, "--timing"], { cwd: dir.path });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[2]!, /^\s+\+\d.*divide call_1_0\s+\d+ ms\s+ *█/);
  });

  test("durations, tokens, cost, retries and a second attempt come from the events' times", () => {
    const clock = createFakeClock("2026-11-30T12:00:00.000Z");
    let thread = Thread.start("work", { agent: "worker", clock });
    const step = (ms: number, events: Parameters<Thread["append"]>[0]) => {
      clock.advance(ms);
      thread = thread.append(events, clock);
    };
    step(300, [{ type: "model_call_retried", model: "openai:gpt-test", attempt: 1, waitMs: 200, message: "overloaded", status: 529 }]);
    step(900, [
      {
        type: "model_decision",
        calls: [{ callId: "call_2_0", intent: "work", args: {} }],
        model: "openai:gpt-test",
        latencyMs: 1200,
        usage: { inputTokens: 120, outputTokens: 9, cost: 0.002 },
      },
      { type: "tool_started", callId: "call_2_0", intent: "work", args: {}, idempotencyKey: "k", attempt: 2 },
    ]);
    step(2500, [{ type: "tool_result", callId: "call_2_0", intent: "work", result: "done" }]);
    const rows = timingRows(thread.events);
    assert.deepEqual(rows, [
      {
        kind: "model",
        step: 1,
        label: "chat openai:gpt-test",
        startMs: 0,
        durationMs: 1200,
        tokens: { input: 120, output: 9 },
        cost: 0.002,
        retries: 1,
        details: ["120 in / 9 out tokens", "$0.002", "1 retry"],
      },
      { kind: "tool", step: 1, label: "work call_2_0", startMs: 1200, durationMs: 2500, attempt: 2, details: ["attempt 2"] },
    ]);
    const lines = timingLines(rows, 10);
    assert.equal(lines[0], "     +0 ms  chat openai:gpt-test      1.2 s  ███         120 in / 9 out tokens · $0.002 · 1 retry");
    assert.equal(lines[1], "    +1.2 s  work call_2_0             2.5 s     ███████  attempt 2");
  });
});
