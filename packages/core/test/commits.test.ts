import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Thread } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

/** Records each commit as the event types it adds, and what happened in between. */
function journal(start: Thread) {
  const log: Array<string | string[]> = [];
  let durable = start;
  return {
    log,
    durable: () => durable,
    commit: (next: Thread, previous: Thread) => {
      assert.equal(previous, durable, "each commit continues from the last one");
      log.push(next.events.slice(previous.version).map((event) => event.type));
      durable = next;
    },
  };
}

describe("commits", () => {
  it("a tool step is two commits: the decision with tool_started, then the result", async () => {
    let commits: ReturnType<typeof journal>;
    const work = defineTool({
      intent: "work",
      description: "work",
      args: z.object({}),
      run: (_args, { thread }) => {
        commits.log.push("run");
        // The one rule that cannot bend: a tool runs only once its tool_started is stored.
        assert.equal(commits.durable(), thread);
        assert.equal(thread.lastEvent?.type, "tool_started");
        return "ok";
      },
    });
    const agent = defineAgent({ name: "w", tools: [work, doneForNow()] });
    const start = agent.start("go");
    commits = journal(start);
    const model = new ScriptedModel([{ intent: "work" }, { intent: "done_for_now", message: "done" }]);
    const final = await agent.run(start, { model, commit: commits.commit });
    assert.deepEqual(commits.log, [["model_decision", "tool_started"], "run", ["tool_result"], ["model_decision", "done"]]);
    assert.equal(commits.durable(), final);
  });

  it("the model and every hook see only stored threads", async () => {
    let commits: ReturnType<typeof journal>;
    const stored = (thread: Thread, where: string) => {
      commits.log.push(where);
      assert.equal(commits.durable(), thread, `${where} got a thread that is not stored`);
    };
    const work = defineTool({ intent: "work", description: "work", args: z.object({}), run: () => "ok" });
    const agent = defineAgent({
      name: "h",
      tools: [work, doneForNow()],
      hooks: {
        beforeModelCall: (_request, thread) => stored(thread, "beforeModelCall"),
        beforeToolRun: (_call, thread) => stored(thread, "beforeToolRun"),
        afterToolRun: (_call, _result, thread) => stored(thread, "afterToolRun"),
      },
    });
    const start = agent.start("go");
    commits = journal(start);
    const model = new ScriptedModel([[{ intent: "work" }, { intent: "work" }], { intent: "done_for_now", message: "done" }]);
    await agent.run(start, { model, commit: commits.commit });
    assert.deepEqual(commits.log, [
      "beforeModelCall",
      ["model_decision", "tool_started"],
      "beforeToolRun",
      ["tool_result"],
      "afterToolRun",
      ["tool_started"],
      "beforeToolRun",
      ["tool_result"],
      "afterToolRun",
      "beforeModelCall",
      ["model_decision", "done"],
    ]);
  });

  it("a decision that needs an approval is one commit with its request", async () => {
    const pay = defineTool({ intent: "pay", description: "pay", args: z.object({}), approval: "required", run: () => "paid" });
    const agent = defineAgent({ name: "p", tools: [pay, doneForNow()] });
    const start = agent.start("pay");
    const commits = journal(start);
    const paused = await agent.run(start, { model: new ScriptedModel([{ intent: "pay" }]), commit: commits.commit });
    assert.equal(paused.status, "awaiting_approval");
    assert.deepEqual(commits.log, [["model_decision", "approval_requested"]]);
  });

  it("a failed commit stops the step before the tool runs", async () => {
    let runs = 0;
    const work = defineTool({ intent: "work", description: "work", args: z.object({}), run: () => runs++ });
    const agent = defineAgent({ name: "f", tools: [work, doneForNow()] });
    await assert.rejects(
      agent.run(agent.start("go"), {
        model: new ScriptedModel([{ intent: "work" }]),
        commit: () => {
          throw new Error("lease lost");
        },
      }),
      /lease lost/,
    );
    assert.equal(runs, 0);
  });

  it("an abort while a tool runs still stores its result before stopping", async () => {
    const controller = new AbortController();
    const work = defineTool({
      intent: "work",
      description: "work",
      args: z.object({}),
      run: () => {
        controller.abort();
        return "ok";
      },
    });
    const agent = defineAgent({ name: "a", tools: [work, doneForNow()] });
    const start = agent.start("go");
    const commits = journal(start);
    await assert.rejects(
      agent.run(start, { model: new ScriptedModel([{ intent: "work" }]), signal: controller.signal, commit: commits.commit }),
      { name: "AbortError" },
    );
    assert.equal(commits.durable().lastEvent?.type, "tool_result");
  });
});
