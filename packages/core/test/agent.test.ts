import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import fc from "fast-check";
import {
  ConfigurationError,
  InvalidInputError,
  StateConflictError,
  Thread,
  askHuman,
  defineAgent,
  defineTool,
  doneForNow,
  xmlContext,
  type Model,
  type ModelRequest,
} from "agentfold";
import { hashArgs, resumeChild } from "agentfold/runtime";
import { ScriptedModel, createMemoryStore } from "agentfold/testing";

function calculatorAgent(options: { onErrorLimit?: "escalate" | "fail"; maxSteps?: number } = {}) {
  const runs: Array<{ intent: string; args: unknown; key: string }> = [];
  const operands = z.object({ a: z.number(), b: z.number() });
  const add = defineTool({
    intent: "add",
    description: "add a and b",
    args: operands,
    run: ({ a, b }, { idempotencyKey }) => {
      runs.push({ intent: "add", args: { a, b }, key: idempotencyKey });
      return a + b;
    },
  });
  const divide = defineTool({
    intent: "divide",
    description: "divide a by b",
    args: operands,
    approval: "required",
    idempotent: true,
    run: ({ a, b }, { idempotencyKey }) => {
      runs.push({ intent: "divide", args: { a, b }, key: idempotencyKey });
      if (b === 0) throw new Error("division by zero");
      return a / b;
    },
  });
  const charge = defineTool({
    intent: "charge",
    description: "charge a card (not safe to repeat)",
    args: z.object({ cents: z.number().int() }),
    approval: (args) => args.cents > 1000,
    run: ({ cents }, { idempotencyKey }) => {
      runs.push({ intent: "charge", args: { cents }, key: idempotencyKey });
      return { charged: cents };
    },
  });
  const agent = defineAgent({
    name: "calc",
    tools: [add, divide, charge, askHuman(), doneForNow()],
    limits: { maxConsecutiveErrors: 3, maxSteps: options.maxSteps ?? 20, onErrorLimit: options.onErrorLimit ?? "escalate" },
  });
  return { agent, runs };
}

describe("agent.run", () => {
  it("runs sync tools at once, pauses for approval, runs exactly the edited args once approved", async () => {
    const { agent, runs } = calculatorAgent();
    const model = new ScriptedModel([
      { intent: "add", a: 1, b: 2 },
      { intent: "divide", a: 3, b: 0 },
      { intent: "done_for_now", message: "1.5" },
    ]);
    let thread = await agent.run(agent.start("add 1 and 2 then divide by 0"), { model });
    assert.equal(thread.status, "awaiting_approval");
    const [pending] = thread.pending;
    assert.equal(pending?.kind, "approval");
    assert.ok(pending?.kind === "approval");
    assert.deepStrictEqual(pending.args, { a: 3, b: 0 });
    assert.equal(pending.argsHash, hashArgs({ a: 3, b: 0 }));
    assert.deepStrictEqual(
      runs.map((run) => run.intent),
      ["add"],
    );

    thread = agent.approve(thread, pending.callId, { actor: "alex", args: { a: 3, b: 2 }, argsHash: pending.argsHash });
    const decision = thread.lastEvent;
    assert.equal(decision?.type, "approval_decision");
    assert.ok(decision?.type === "approval_decision");
    assert.equal(decision.actor, "alex");
    assert.equal(decision.argsHash, hashArgs({ a: 3, b: 2 }));

    thread = await agent.run(thread, { model });
    assert.equal(thread.status, "done");
    assert.deepStrictEqual(
      runs.map((run) => run.args),
      [
        { a: 1, b: 2 },
        { a: 3, b: 2 },
      ],
    );
    const result = thread.events.findLast((event) => event.type === "tool_result");
    assert.ok(result?.type === "tool_result");
    assert.equal(result.result, 1.5);
    assert.equal(model.requests.length, 3);
  });

  it("a rejection with a comment reaches the model's next input", async () => {
    const { agent, runs } = calculatorAgent();
    const model = new ScriptedModel([
      { intent: "divide", a: 3, b: 4 },
      (request: ModelRequest) => {
        assert.match(request.messages.at(-1)!.content, /<divide_approval>\napproved: false\nby: sam\ncomment: use multiplication instead/);
        return { intent: "done_for_now", message: "ok" };
      },
    ]);
    let thread = await agent.run(agent.start("divide 3 by 4"), { model });
    thread = agent.reject(thread, thread.pending[0]!.callId, { actor: "sam", comment: "use multiplication instead" });
    thread = await agent.run(thread, { model });
    assert.equal(thread.status, "done");
    assert.equal(runs.length, 0);
  });

  it("an approval predicate gates by arguments", async () => {
    const { agent, runs } = calculatorAgent();
    const model = new ScriptedModel([
      [
        { intent: "charge", cents: 500 },
        { intent: "charge", cents: 5000 },
      ],
    ]);
    const thread = await agent.run(agent.start("charge twice"), { model });
    assert.equal(thread.status, "awaiting_approval");
    assert.deepStrictEqual(
      runs.map((run) => run.args),
      [{ cents: 500 }],
    );
    assert.deepStrictEqual(
      thread.pending.map((item) => item.kind === "approval" && item.args),
      [{ cents: 5000 }],
    );
  });

  it("several calls in one reply get their own call ids; all gates show at once", async () => {
    const { agent } = calculatorAgent();
    const model = new ScriptedModel([
      [
        { intent: "divide", a: 1, b: 2 },
        { intent: "divide", a: 3, b: 4 },
        { intent: "add", a: 1, b: 1 },
      ],
    ]);
    const thread = await agent.run(agent.start("go"), { model });
    assert.deepStrictEqual(
      thread.pending.map((item) => item.callId),
      ["call_1_0", "call_1_1"],
    );
    assert.equal(thread.events.filter((event) => event.type === "tool_result").length, 1);
  });

  it("asks a human and resumes with the answer", async () => {
    const { agent } = calculatorAgent();
    const model = new ScriptedModel([
      { intent: "request_human_input", question: "Which numbers?", format: "multiple_choice", choices: ["1 and 2", "3 and 4"] },
      (request: ModelRequest) => {
        assert.match(request.messages.at(-1)!.content, /<human_response>\nfrom: alex\n3 and 4\n<\/human_response>/);
        return { intent: "done_for_now", message: "7" };
      },
    ]);
    let thread = await agent.run(agent.start("add some numbers"), { model });
    assert.equal(thread.status, "awaiting_human");
    const question = thread.pending[0]!;
    assert.ok(question.kind === "question");
    assert.deepStrictEqual(question.choices, ["1 and 2", "3 and 4"]);
    assert.throws(() => agent.respond(thread, question.callId, "5 and 6"), InvalidInputError);
    assert.throws(() => agent.approve(thread, question.callId), /respond to it instead/);
    thread = agent.respond(thread, question.callId, "3 AND 4", { actor: "alex" });
    thread = await agent.run(thread, { model });
    assert.equal(thread.status, "done");
  });

  it("validates edited arguments and refuses decisions that are not pending", async () => {
    const { agent } = calculatorAgent();
    const model = new ScriptedModel([{ intent: "divide", a: 3, b: 4 }]);
    const thread = await agent.run(agent.start("divide"), { model });
    const callId = thread.pending[0]!.callId;
    assert.throws(
      () => agent.approve(thread, callId, { args: { a: "three", b: 4 } }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.match(error.message, /Edited arguments for "divide" are invalid: a: .*expected number/i);
        return true;
      },
    );
    assert.throws(() => agent.approve(thread, callId, { argsHash: "stale" }), /hash mismatch/);
    const approved = agent.approve(thread, callId);
    const decision = approved.events.at(-1) as { argsHash: string };
    assert.equal(decision.argsHash, hashArgs({ a: 3, b: 4 }), "an unedited approval is bound to the requested arguments");
    assert.equal(decision.argsHash, thread.pending[0]!.kind === "approval" ? thread.pending[0]!.argsHash : undefined);
    assert.throws(
      () => agent.approve(approved, callId),
      (error: unknown) => {
        assert.ok(error instanceof StateConflictError);
        assert.match(error.message, /already decided/);
        return true;
      },
    );
    assert.throws(() => agent.approve(thread, "call_nope"), StateConflictError);
  });

  it("cancel stops a waiting thread; nothing can be approved after it", async () => {
    const { agent } = calculatorAgent();
    const thread = await agent.run(agent.start("divide"), { model: new ScriptedModel([{ intent: "divide", a: 1, b: 2 }]) });
    const canceled = agent.cancel(thread, { actor: "alex", reason: "not needed" });
    assert.equal(canceled.status, "canceled");
    assert.throws(() => agent.approve(canceled, thread.pending[0]!.callId), StateConflictError);
    assert.throws(() => agent.cancel(canceled), /already canceled/);
  });
});

describe("errors and limits (factor 9)", () => {
  it("invalid output becomes a compact error event and the model is asked again", async () => {
    const { agent } = calculatorAgent();
    const model = new ScriptedModel([
      "I think we should add them!",
      { intent: "teleport" },
      { intent: "add", a: "fe1iiaff10", b: 3 },
      // Success resets the count: errors above would otherwise have escalated.
    ]);
    const thread = await agent.run(agent.start("add"), { model });
    const errors = thread.events.filter((event) => event.type === "error");
    assert.equal(errors.length, 3);
    assert.match(
      errors[0]!.type === "error" ? errors[0]!.message : "",
      /not JSON.*Valid intents: add, divide, charge, request_human_input, done_for_now/,
    );
    assert.match(errors[1]!.type === "error" ? errors[1]!.message : "", /Unknown intent "teleport"/);
    assert.match(errors[2]!.type === "error" ? errors[2]!.message : "", /Invalid arguments for "add": a:/);
    // The third error reached the limit of 3: a human is asked how to proceed.
    assert.equal(thread.status, "awaiting_human");
    const escalation = thread.pending[0]!;
    assert.ok(escalation.kind === "question");
    assert.equal(escalation.reason, "escalation");
    assert.equal(escalation.urgency, "high");
  });

  it("tolerates fences, prose and near-JSON", async () => {
    const { agent } = calculatorAgent();
    const model = new ScriptedModel([
      'Sure! Here is the step:\n```json\n{"intent": "add", "a": 1, "b": 2,}\n```',
      "{'intent': 'done_for_now', 'message': 'three'}",
    ]);
    const thread = await agent.run(agent.start("add"), { model });
    assert.equal(thread.status, "done");
    assert.equal(thread.events.filter((event) => event.type === "error").length, 0);
  });

  it("a reply cut off at the output limit is never run, however well it repairs: an error the model reads", async () => {
    const { agent, runs } = calculatorAgent();
    const model = new ScriptedModel([
      // "add 3 and 1250", cut off mid-number: repaired, it would add 3 and 12.
      ScriptedModel.reply({
        output: '{"intent": "add", "a": 3, "b": 12',
        finishReason: "length",
        usage: { inputTokens: 40, outputTokens: 16 },
      }),
      // A cut-off list can lose whole calls and still parse.
      ScriptedModel.reply({ output: [{ intent: "add", a: 1, b: 2 }], finishReason: "length" }),
      { intent: "add", a: 3, b: 1250 },
      { intent: "done_for_now", message: "1253" },
    ]);
    const thread = await agent.run(agent.start("add 3 and 1250"), { model });
    assert.deepEqual(
      runs.map((run) => run.args),
      [{ a: 3, b: 1250 }],
    );
    const errors = thread.events.filter((event) => event.type === "error");
    assert.equal(errors.length, 2);
    assert.deepEqual(
      errors.map((event) => event.source),
      ["model_output", "model_output"],
    );
    assert.equal(
      errors[0]!.message,
      "Your reply was cut off at the output limit after 16 tokens, so none of it was run. Reply with a shorter step (fewer calls, shorter arguments).",
    );
    assert.equal(errors[0]!.raw, '{"intent": "add", "a": 3, "b": 12');
    assert.match(errors[1]!.message, /^Your reply was cut off at the output limit, so none of it was run/);
    assert.equal(thread.status, "done");
  });

  it("cut-off replies count as consecutive errors and reach the error limit", async () => {
    const { agent, runs } = calculatorAgent({ onErrorLimit: "fail" });
    const cutOff = ScriptedModel.reply({ output: '{"intent": "add", "a": 1', finishReason: "length" });
    const thread = await agent.run(agent.start("add"), { model: new ScriptedModel([cutOff, cutOff, cutOff]) });
    assert.equal(runs.length, 0);
    assert.equal(thread.status, "failed");
    assert.match(
      thread.lastEvent?.type === "failed" ? thread.lastEvent.reason : "",
      /3 consecutive errors; the last one: Your reply was cut off/,
    );
  });

  it("without a finish reason the tolerant parser still completes a reply missing its last brace", async () => {
    const { agent, runs } = calculatorAgent();
    const model: Model = {
      specificationVersion: "v1",
      id: "no-finish-reason",
      async generate(request: ModelRequest) {
        return { output: request.turn === 0 ? '{"intent": "add", "a": 1, "b": 2' : { intent: "done_for_now", message: "3" } };
      },
    };
    const thread = await agent.run(agent.start("add"), { model });
    assert.deepEqual(
      runs.map((run) => run.args),
      [{ a: 1, b: 2 }],
    );
    assert.equal(thread.status, "done");
  });

  it("after an escalation answer the count resets and the agent goes on", async () => {
    const { agent } = calculatorAgent();
    const model = new ScriptedModel(["x", "y", "z", { intent: "done_for_now", message: "recovered" }]);
    let thread = await agent.run(agent.start("add"), { model });
    assert.equal(thread.consecutiveErrors, 3);
    thread = agent.respond(thread, thread.pending[0]!.callId, "try again with numbers", { actor: "ops" });
    assert.equal(thread.consecutiveErrors, 0);
    thread = await agent.run(thread, { model });
    assert.equal(thread.status, "done");
  });

  it("can fail instead of escalating", async () => {
    const { agent } = calculatorAgent({ onErrorLimit: "fail" });
    const thread = await agent.run(agent.start("add"), { model: new ScriptedModel(["x", "y", "z"]) });
    assert.equal(thread.status, "failed");
    assert.match(
      thread.lastEvent?.type === "failed" ? thread.lastEvent.reason : "",
      /3 consecutive errors; the last one: The reply was not JSON/,
    );
  });

  it("tool exceptions become errors the model reads; a per-tool limit applies", async () => {
    const flaky = defineTool({
      intent: "deploy",
      description: "deploy",
      args: z.object({}),
      maxConsecutiveErrors: 2,
      run: () => {
        throw new Error("deploy target unreachable");
      },
    });
    const agent = defineAgent({ name: "d", tools: [flaky, doneForNow()], limits: { maxConsecutiveErrors: 10 } });
    const model = new ScriptedModel([
      { intent: "deploy" },
      (request: ModelRequest) => {
        assert.match(request.messages.at(-1)!.content, /<error>\nintent: deploy\nmessage: deploy target unreachable\n<\/error>/);
        return { intent: "deploy" };
      },
    ]);
    const thread = await agent.run(agent.start("deploy"), { model });
    assert.equal(thread.status, "awaiting_human");
    assert.match(thread.pending[0]!.kind === "question" ? thread.pending[0]!.question : "", /2 consecutive errors from deploy/);
  });

  it("stops at maxSteps and a new message gives a fresh budget", async () => {
    const { agent } = calculatorAgent({ maxSteps: 2 });
    const model = new ScriptedModel([
      { intent: "add", a: 1, b: 1 },
      { intent: "add", a: 2, b: 2 },
      { intent: "done_for_now", message: "4" },
    ]);
    let thread = await agent.run(agent.start("loop"), { model });
    assert.equal(thread.status, "failed");
    assert.match(thread.lastEvent?.type === "failed" ? thread.lastEvent.reason : "", /maxSteps \(2\)/);
    thread = await agent.run(agent.message(thread, "go on"), { model });
    assert.equal(thread.status, "done");
  });

  it("running past the end of a script is a clear error, not an event", async () => {
    const { agent } = calculatorAgent();
    await assert.rejects(agent.run(agent.start("x"), { model: new ScriptedModel([{ intent: "add", a: 1, b: 1 }]) }), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /has 1 steps, but thread .* asked for model call 2/);
      return true;
    });
  });

  it("a failing model call is recorded as an error and counts toward the limit", async () => {
    const { agent } = calculatorAgent();
    const broken: Model = {
      specificationVersion: "v1",
      id: "broken",
      async generate() {
        throw new Error("503 from provider");
      },
    };
    const thread = await agent.run(agent.start("x"), { model: broken });
    assert.equal(thread.events.filter((event) => event.type === "error" && event.source === "model_call").length, 3);
    assert.equal(thread.status, "awaiting_human");
  });
});

describe("durability hooks", () => {
  it("commits tool_started before the tool runs and every batch in order", async () => {
    const order: string[] = [];
    const tool = defineTool({
      intent: "work",
      description: "work",
      args: z.object({}),
      run: () => {
        order.push("run");
        return "ok";
      },
    });
    const agent = defineAgent({ name: "w", tools: [tool, doneForNow()] });
    const model = new ScriptedModel([{ intent: "work" }, { intent: "done_for_now", message: "done" }]);
    await agent.run(agent.start("go"), {
      model,
      commit: (next, previous) => {
        assert.equal(next.events.slice(0, previous.version).length, previous.version);
        order.push(...next.events.slice(previous.version).map((event) => event.type));
      },
    });
    assert.deepStrictEqual(order, ["model_decision", "tool_started", "run", "tool_result", "model_decision", "done"]);
  });

  it("after a crash an idempotent tool re-runs with the same key; a non-idempotent one asks a human", async () => {
    const { agent, runs } = calculatorAgent();
    const key = "thr_crash:call_1_0";
    const crashed = (intent: string, args: Record<string, number>) =>
      Thread.create({ id: "thr_crash" }).append([
        { type: "user_input", text: "x" },
        { type: "model_decision", calls: [{ callId: "call_1_0", intent, args }] },
        { type: "approval_requested", callId: "call_1_0", intent, args, argsHash: hashArgs(args) },
        { type: "approval_decision", callId: "call_1_0", approved: true, argsHash: hashArgs(args), actor: "a" },
        { type: "tool_started", callId: "call_1_0", intent, args, idempotencyKey: key },
      ]);
    assert.equal(agent.nextAction(crashed("divide", { a: 1, b: 2 })).type, "recover");
    const model = new ScriptedModel([{}, { intent: "done_for_now", message: "ok" }]);
    const rerun = await agent.execute(crashed("divide", { a: 1, b: 2 }), { model });
    assert.deepStrictEqual(runs.at(-1), { intent: "divide", args: { a: 1, b: 2 }, key });
    assert.equal(rerun.lastEvent?.type, "tool_result");

    const unsafe = await agent.execute(crashed("charge", { cents: 5000 }), { model });
    assert.equal(runs.length, 1, "the non-idempotent tool must not run again");
    assert.equal(unsafe.status, "awaiting_human");
    const question = unsafe.pending[0]!;
    assert.ok(question.kind === "question");
    assert.equal(question.reason, "outcome_unknown");
    assert.match(question.question, /charge was started, but the process stopped/);
    assert.ok(unsafe.lastEvent?.type === "human_request");
    assert.deepStrictEqual(unsafe.lastEvent.args, { cents: 5000 });
  });
});

describe("pure parts never call the model", () => {
  it("render, reload and nextAction make no model call; step never mutates its input (property)", async () => {
    const { agent } = calculatorAgent();
    const reply = fc.oneof(
      fc.record({ intent: fc.constant("add"), a: fc.integer(), b: fc.integer() }),
      fc.record({ intent: fc.constant("divide"), a: fc.integer(), b: fc.integer() }),
      fc.constant("garbage"),
      fc.record({ intent: fc.constant("done_for_now"), message: fc.string() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(reply, { minLength: 1, maxLength: 6 }), async (replies) => {
        const model = new ScriptedModel([...replies, ...Array.from({ length: 20 }, () => ({ intent: "done_for_now", message: "end" }))]);
        let thread = agent.start("go");
        for (let index = 0; index < 4; index++) {
          const before = JSON.stringify(thread);
          const next = await agent.step(thread, { model });
          assert.equal(JSON.stringify(thread), before);
          thread = next.status === "awaiting_approval" ? agent.approve(next, next.pending[0]!.callId) : next;
        }
        const calls = model.requests.length;
        agent.render(thread);
        agent.nextAction(Thread.fromJSON(JSON.stringify(thread)));
        agent.render(Thread.fromJSON(JSON.stringify(thread)));
        assert.equal(model.requests.length, calls);
      }),
      { numRuns: 100 },
    );
  });

  it("render reports the output mode it used: the one asked for, else the agent's, else the model's preference, else prompt", () => {
    const { agent } = calculatorAgent();
    const thread = agent.start("hi");
    const jsonModel = new ScriptedModel([], { mode: "json" });
    assert.equal(agent.render(thread).mode, "prompt");
    assert.equal(agent.render(thread, { model: jsonModel }).mode, "json");
    assert.equal(agent.render(thread, { model: jsonModel, mode: "tools" }).mode, "tools");
    const toolsAgent = defineAgent({ name: "tooled", tools: [doneForNow()], mode: "tools" });
    assert.equal(toolsAgent.render(toolsAgent.start("hi"), { model: jsonModel }).mode, "tools");
  });
});

describe("prefetch, hooks, compaction, child agents", () => {
  it("prefetch runs before the first model call and the model sees its result", async () => {
    let listed = 0;
    const listTags = defineTool({
      intent: "list_git_tags",
      description: "list tags",
      args: z.object({}),
      idempotent: true,
      run: () => {
        listed++;
        return ["v1.0.0", "v1.1.0"];
      },
    });
    const agent = defineAgent({ name: "deploy", tools: [listTags, doneForNow()], prefetch: [listTags] });
    const model = new ScriptedModel([
      (request: ModelRequest) => {
        assert.match(request.messages.at(-1)!.content, /<list_git_tags_result>\n- v1.0.0\n- v1.1.0\n<\/list_git_tags_result>/);
        return { intent: "done_for_now", message: "v1.1.0" };
      },
    ]);
    const thread = await agent.run(agent.start("deploy latest"), { model });
    assert.equal(thread.status, "done");
    assert.equal(listed, 1);
    assert.equal(thread.events[1]?.type === "tool_result" && thread.events[1].prefetched, true);
  });

  it("hooks see model calls and tool runs and may block a tool", async () => {
    const seen: string[] = [];
    const tool = defineTool({ intent: "rm", description: "remove", args: z.object({ path: z.string() }), run: () => "removed" });
    const agent = defineAgent({
      name: "h",
      tools: [tool, doneForNow()],
      hooks: {
        beforeModelCall: (request) => {
          seen.push(`model:${request.turn}`);
        },
        afterModelCall: () => {
          seen.push("model-done");
        },
        beforeToolRun: (call) => {
          seen.push(`tool:${call.intent}`);
          if ((call.runArgs as { path: string }).path === "/") throw new Error("refusing to remove /");
        },
      },
    });
    const model = new ScriptedModel([
      { intent: "rm", path: "/" },
      { intent: "done_for_now", message: "no" },
    ]);
    const thread = await agent.run(agent.start("clean"), { model });
    assert.deepStrictEqual(seen, ["model:0", "model-done", "tool:rm", "model:1", "model-done"]);
    assert.ok(thread.events.some((event) => event.type === "error" && event.message === "refusing to remove /"));
  });

  it("compacts over budget, records it as an event, and renders the summary", async () => {
    const echo = defineTool({ intent: "echo", description: "echo", args: z.object({ text: z.string() }), run: ({ text }) => text });
    const agent = defineAgent({ name: "e", tools: [echo, doneForNow()], context: xmlContext({ maxTokens: 120 }) });
    const long = "lorem ipsum dolor sit amet ".repeat(8);
    const model = new ScriptedModel([
      { intent: "echo", text: long },
      { intent: "echo", text: long },
      (request: ModelRequest) => {
        assert.match(request.messages.at(-1)!.content, /<summary>\n\d+ earlier events were omitted/);
        return { intent: "done_for_now", message: "ok" };
      },
    ]);
    const thread = await agent.run(agent.start("echo twice"), { model });
    assert.equal(thread.status, "done");
    const compaction = thread.events.find((event) => event.type === "compaction");
    assert.ok(compaction?.type === "compaction" && compaction.upTo > 0);
    assert.equal(thread.events.length > compaction.upTo, true, "compaction hides events but keeps them stored");
  });

  it("one agent calls another; a pause in the child pauses the parent", async () => {
    const threads = createMemoryStore();
    const refund = defineTool({
      intent: "refund",
      description: "refund",
      args: z.object({ amount: z.number() }),
      approval: "required",
      run: ({ amount }) => `refunded ${amount}`,
    });
    const child = defineAgent({ name: "refunder", description: "issues refunds", tools: [refund, doneForNow()] });
    const parent = defineAgent({ name: "support", tools: [child.asTool({ threads }), doneForNow()] });
    const isChild = (request: ModelRequest) => request.messages.some((message) => message.content.includes("<user_input>\nrefund $20"));
    const model = new ScriptedModel([
      // The parent's thread and the child's thread each count their own model calls.
      (request: ModelRequest) => (isChild(request) ? { intent: "refund", amount: 20 } : { intent: "refunder", message: "refund $20" }),
      (request: ModelRequest) =>
        isChild(request)
          ? { intent: "done_for_now", message: "refund issued" }
          : { intent: "done_for_now", message: "your refund is on its way" },
    ]);
    let thread = await parent.run(parent.start("I want my $20 back"), { model });
    assert.equal(thread.status, "awaiting_approval");
    const pending = thread.pending[0]!;
    assert.ok(pending.kind === "child");

    let childThread = (await threads.load(pending.childThreadId))!;
    assert.equal(childThread.status, "awaiting_approval");
    const previous = childThread;
    childThread = child.approve(childThread, childThread.pending[0]!.callId, { actor: "manager" });
    await threads.append(childThread, { expectedVersion: previous.version });

    thread = await parent.run(resumeChild(thread, pending.callId), { model });
    assert.equal(thread.status, "done");
    const result = thread.events.find((event) => event.type === "tool_result");
    assert.ok(result?.type === "tool_result");
    assert.equal(result.result, "refund issued");
    assert.equal(result.childThreadId, pending.childThreadId);
  });
});

describe("definition-time validation", () => {
  const done = doneForNow();
  it("refuses duplicate intents, bad names, bad limits and bad prefetch", () => {
    assert.throws(() => defineAgent({ name: "a", tools: [done, done] }), /intent "done_for_now" is defined twice/);
    assert.throws(() => defineAgent({ name: "bad name!", tools: [done] }), /Agent name "bad name!" is invalid/);
    assert.throws(() => defineAgent({ name: "a", tools: [] }), /at least one tool/);
    assert.throws(() => defineAgent({ name: "a", tools: [done], limits: { maxSteps: 0 } }), /maxSteps must be a positive integer/);
    const noRun = defineTool({ intent: "x", description: "x", args: z.object({}) });
    assert.throws(() => defineAgent({ name: "a", tools: [noRun, done], prefetch: [noRun] }), /Prefetch tool "x" has no run function/);
    const needsArgs = defineTool({ intent: "y", description: "y", args: z.object({ n: z.number() }), idempotent: true, run: () => 1 });
    const notIdempotent = defineTool({ intent: "z", description: "z", args: z.object({}), run: () => 1 });
    assert.throws(
      () => defineAgent({ name: "a", tools: [notIdempotent, done], prefetch: [notIdempotent] }),
      /Prefetch tool "z" must be idempotent/,
    );
    assert.throws(() => defineAgent({ name: "a", tools: [done], limits: { maxStep: 3 } as never }), /Unknown limit "maxStep"/);
    assert.throws(() => defineAgent({ name: "a", tools: [done], mode: "xml" as never }), /mode must be/);
    assert.throws(() => defineTool({ intent: "k", description: "k", args: z.object({}), kind: "finsh" as never }), /kind must be/);
    assert.throws(
      () => defineAgent({ name: "a", tools: [needsArgs, done], prefetch: [needsArgs] }),
      /Prefetch "y": arguments are invalid: n:/,
    );
  });
  it("refuses bad tools", () => {
    assert.throws(() => defineTool({ intent: "has space", description: "x", args: z.object({}) }), /intent "has space" is invalid/);
    assert.throws(() => defineTool({ intent: "x", description: "", args: z.object({}) }), /needs a description/);
    assert.throws(
      () => defineTool({ intent: "x", description: "x", args: z.object({ intent: z.string() }) }),
      /must not have a key named "intent"/,
    );
  });
});
