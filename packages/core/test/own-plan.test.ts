/**
 * An agent's own control flow (`defineAgent({ plan })`), its model default, and handoffs, through
 * the one executor: a plan that falls back to the default behaves exactly like the default; a call
 * the plan chooses runs and is recorded like a tool's; a handoff passes the thread to another agent.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigurationError, defineAgent, defineTool, doneForNow, type Thread } from "agentfold";
import { ScriptedModel, createFakeClock, createMemoryStore } from "agentfold/testing";

const clock = createFakeClock("2026-03-01T09:00:00.000Z", { tickMs: 1000 });

function tools(log: string[]) {
  const add = defineTool({
    intent: "add",
    description: "add a and b",
    args: z.object({ a: z.number(), b: z.number() }),
    run: ({ a, b }) => a + b,
  });
  const check = defineTool({
    intent: "check",
    description: "check the sum",
    args: z.object({}),
    idempotent: true,
    run: () => {
      log.push("check");
      return { ok: true };
    },
  });
  return { add, check };
}

const script = () =>
  new ScriptedModel([
    { intent: "add", a: 2, b: 3 },
    { intent: "done_for_now", message: "5" },
  ]);
const types = (thread: Thread) => thread.events.map((event) => event.type);

describe("an agent's own plan", () => {
  test("a plan that always falls back runs exactly like the default", async () => {
    const { add } = tools([]);
    const plain = defineAgent({ name: "plain", tools: [add, doneForNow()] });
    let seen = 0;
    const own = defineAgent({
      name: "plain",
      tools: [add, doneForNow()],
      plan: (_thread, { next }) => {
        seen += 1;
        return next();
      },
    });
    const a = await plain.run(plain.start("2+3", { clock, id: "thr_same" }), { model: script(), clock });
    const b = await own.run(own.start("2+3", { clock, id: "thr_same" }), { model: script(), clock });
    assert.deepEqual(types(b), types(a));
    assert.equal(b.status, "done");
    assert.ok(seen > 0, "the plan was consulted");
    assert.deepEqual(own.nextAction(b), plain.nextAction(a));
  });

  test("a plan's call runs an idempotent tool before finishing, recorded as its result", async () => {
    const log: string[] = [];
    const { add, check } = tools(log);
    const agent = defineAgent({
      name: "checker",
      tools: [add, doneForNow()],
      plan: (thread, { next, call }) => {
        const action = next();
        const checked = thread.events.some((event) => event.type === "tool_result" && event.intent === "check");
        if (action.type === "append" && action.reason === "finish" && !checked) return call(check);
        return action;
      },
    });
    const thread = await agent.run(agent.start("2+3", { clock }), { model: script(), clock });
    assert.equal(thread.status, "done");
    assert.deepEqual(log, ["check"]);
    const result = thread.events.at(-2);
    assert.equal(result?.type, "tool_result");
    assert.equal(result?.type === "tool_result" && result.intent, "check");
    assert.match(result?.type === "tool_result" ? (result.callId ?? "") : "", /^plan_\d+$/);
  });

  test("a plan's mistakes say what to write instead", async () => {
    const { add } = tools([]);
    const bad = defineAgent({ name: "bad", tools: [add, doneForNow()], plan: () => ({ type: "jump" }) as never });
    assert.throws(
      () => bad.nextAction(bad.start("x")),
      (error: Error) => {
        assert.ok(error instanceof ConfigurationError);
        assert.match(error.message, /The plan of agent "bad" returned \{"type":"jump"\}; return a NextAction: next\(\) for the default/);
        return true;
      },
    );
    const unsafe = defineAgent({ name: "unsafe", tools: [add, doneForNow()], plan: (_thread, { call }) => call("add", { a: 1, b: 2 }) });
    assert.throws(() => unsafe.nextAction(unsafe.start("x")), /calls "add", which must have run and be idempotent/);
    assert.throws(() => defineAgent({ name: "p", tools: [add], plan: "loop" as never }), /plan must be a function/);
  });
});

describe("the agent's model", () => {
  test("defineAgent keeps a model spec and refuses anything else", () => {
    const { add } = tools([]);
    assert.equal(defineAgent({ name: "m", tools: [add], model: "anthropic:claude-sonnet-4-5" }).model, "anthropic:claude-sonnet-4-5");
    assert.equal(defineAgent({ name: "m", tools: [add] }).model, undefined);
    assert.throws(
      () => defineAgent({ name: "m", tools: [add], model: "claude" }),
      /Agent "m": model must be a model spec such as "anthropic:claude-sonnet-4-5" or "openai:gpt-4o-mini", got "claude"/,
    );
  });
});

describe("handoffs", () => {
  test("the model hands the thread to another agent, which drives it from then on", async () => {
    const { add } = tools([]);
    const billing = defineAgent({ name: "billing", description: "refunds and invoices", tools: [add, doneForNow()] });
    const triage = defineAgent({ name: "triage", tools: [billing.asHandoff(), doneForNow()] });
    assert.equal(triage.tools[0]?.intent, "transfer_to_billing");
    const model = new ScriptedModel([
      { intent: "transfer_to_billing", reason: "a refund question" },
      { intent: "add", a: 2, b: 3 },
      { intent: "done_for_now", message: "5" },
    ]);
    const store = createMemoryStore();
    let thread = await triage.run(triage.start("I want a refund", { clock }), { model, clock, threads: store });
    const handoff = thread.events.find((event) => event.type === "handoff");
    assert.deepEqual(handoff && { ...handoff, at: undefined }, {
      type: "handoff",
      at: undefined,
      callId: "call_1_0",
      from: "triage",
      to: "billing",
      reason: "a refund question",
    });
    assert.equal(thread.drivingAgent, "billing");
    assert.equal(thread.agent, "triage", "the thread keeps the agent it was started for");
    // triage stops: the thread is no longer its to step.
    assert.deepEqual(triage.nextAction(thread), { type: "handoff", to: "billing" });
    assert.equal(thread.status, "running");
    thread = await billing.run(thread, { model, clock });
    assert.equal(thread.status, "done");
    // billing's model saw the handoff in its context.
    const context = model.requests[1]?.messages.map((message) => message.content).join("\n") ?? "";
    assert.match(context, /<handoff>\nfrom: triage\nto: billing\nreason: a refund question\n<\/handoff>/);
    assert.throws(() => defineAgent({ name: "billing", tools: [billing.asHandoff()] }), /hands the conversation to the agent itself/);
  });
});
