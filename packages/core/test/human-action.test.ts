import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { InvalidInputError, StateConflictError, askHuman, defineAgent, defineTool, doneForNow, type Thread } from "agentfold";
import { applyHumanAction, hashArgs, humanActionSchemas, type HumanAction } from "agentfold/runtime";
import { ScriptedModel, createFakeClock } from "agentfold/testing";

const divide = defineTool({
  intent: "divide",
  description: "divide a by b",
  args: z.object({ a: z.number(), b: z.number() }),
  approval: "required",
  run: ({ a, b }) => a / b,
});
const agent = defineAgent({ name: "calc", tools: [divide, askHuman(), doneForNow()] });

/** A thread waiting for approval of `divide 3 by 0`. */
async function awaitingApproval(): Promise<Thread> {
  return agent.run(agent.start("divide 3 by 0"), { model: new ScriptedModel([{ intent: "divide", a: 3, b: 0 }]) });
}

/** A thread waiting for a yes/no answer. */
async function awaitingAnswer(): Promise<Thread> {
  const model = new ScriptedModel([{ intent: "request_human_input", question: "Divide by zero?", format: "yes_no" }]);
  return agent.run(agent.start("divide 3 by 0"), { model });
}

describe("applyHumanAction", () => {
  it("approves: an approval_decision bound to the call's arguments, with the actor, comment and request keys", async () => {
    const thread = await awaitingApproval();
    const [item] = thread.pending;
    assert.ok(item?.kind === "approval");
    const next = applyHumanAction(agent, thread, {
      type: "approve",
      callId: item.callId,
      actor: "alex",
      comment: "fine",
      argsHash: item.argsHash,
      idempotencyKey: "key-1",
      requestHash: "hash-1",
    });
    const decision = next.lastEvent;
    assert.ok(decision?.type === "approval_decision");
    assert.deepStrictEqual(
      {
        approved: decision.approved,
        actor: decision.actor,
        comment: decision.comment,
        argsHash: decision.argsHash,
        key: decision.idempotencyKey,
        hash: decision.requestHash,
      },
      { approved: true, actor: "alex", comment: "fine", argsHash: hashArgs({ a: 3, b: 0 }), key: "key-1", hash: "hash-1" },
    );
    assert.equal("args" in decision, false);
    assert.equal(next.status, "running");
  });

  it("approves edited arguments: exactly these are recorded and hashed; ones that do not fit the tool are refused", async () => {
    const thread = await awaitingApproval();
    const callId = thread.pending[0]!.callId;
    const next = applyHumanAction(agent, thread, { type: "approve", callId, args: { a: 3, b: 4 } });
    const decision = next.lastEvent;
    assert.ok(decision?.type === "approval_decision");
    assert.deepStrictEqual(decision.args, { a: 3, b: 4 });
    assert.equal(decision.argsHash, hashArgs({ a: 3, b: 4 }));
    assert.equal(decision.actor, "anonymous");
    assert.throws(() => applyHumanAction(agent, thread, { type: "approve", callId, args: { a: 3, b: "four" } }), InvalidInputError);
    assert.throws(() => applyHumanAction(agent, thread, { type: "approve", callId, args: { a: 3, b: 4, c: 5 } }), InvalidInputError);
  });

  it("refuses an approval of arguments other than the ones the person saw", async () => {
    const thread = await awaitingApproval();
    assert.throws(
      () => applyHumanAction(agent, thread, { type: "approve", callId: thread.pending[0]!.callId, argsHash: hashArgs({ a: 3, b: 4 }) }),
      (error: unknown) => error instanceof StateConflictError && /hash mismatch/.test(error.message),
    );
  });

  it("rejects with a comment, and the call is no longer pending", async () => {
    const thread = await awaitingApproval();
    const callId = thread.pending[0]!.callId;
    const next = applyHumanAction(agent, thread, { type: "reject", callId, actor: "sam", comment: "not by zero" });
    const decision = next.lastEvent;
    assert.ok(decision?.type === "approval_decision");
    assert.deepStrictEqual([decision.approved, decision.actor, decision.comment], [false, "sam", "not by zero"]);
    assert.deepStrictEqual(next.pending, []);
    // Decided once: the same action again is a conflict that says so.
    assert.throws(
      () => applyHumanAction(agent, next, { type: "reject", callId }),
      (error: unknown) => error instanceof StateConflictError && /already decided/.test(error.message),
    );
  });

  it("responds to a question with an answer normalized to its format", async () => {
    const thread = await awaitingAnswer();
    const [item] = thread.pending;
    assert.ok(item?.kind === "question");
    const next = applyHumanAction(agent, thread, { type: "respond", callId: item.callId, actor: "kim", text: "Yes" });
    const response = next.lastEvent;
    assert.ok(response?.type === "human_response");
    assert.deepStrictEqual([response.text, response.actor], ["yes", "kim"]);
    assert.throws(() => applyHumanAction(agent, thread, { type: "respond", callId: item.callId, text: "perhaps" }), InvalidInputError);
  });

  it("refuses an action of the wrong kind for the call, naming the right one", async () => {
    const approval = await awaitingApproval();
    assert.throws(
      () => applyHumanAction(agent, approval, { type: "respond", callId: approval.pending[0]!.callId, text: "yes" }),
      (error: unknown) => error instanceof StateConflictError && /approve or reject it/.test(error.message),
    );
    const question = await awaitingAnswer();
    assert.throws(
      () => applyHumanAction(agent, question, { type: "approve", callId: question.pending[0]!.callId }),
      (error: unknown) => error instanceof StateConflictError && /respond to it instead/.test(error.message),
    );
    assert.throws(
      () => applyHumanAction(agent, question, { type: "reject", callId: "call_9_9" }),
      (error: unknown) => error instanceof StateConflictError && /call_9_9 is not pending/.test(error.message),
    );
  });

  it("adds a message as user_input with its actor and source, stamped by the clock", async () => {
    const thread = await awaitingAnswer();
    const clock = createFakeClock(new Date("2030-01-02T03:04:05.000Z"));
    const next = applyHumanAction(agent, thread, { type: "message", text: "never mind", actor: "kim", source: "cli" }, { clock });
    assert.deepStrictEqual(next.lastEvent, {
      type: "user_input",
      text: "never mind",
      actor: "kim",
      source: "cli",
      at: "2030-01-02T03:04:05.000Z",
    });
    assert.throws(() => applyHumanAction(agent, thread, { type: "message", text: "  " }), InvalidInputError);
  });

  it("refuses a malformed action with a clear error, and leaves fields it does not know off the event", async () => {
    const thread = await awaitingApproval();
    const callId = thread.pending[0]!.callId;
    assert.throws(
      () => applyHumanAction(agent, thread, { type: "decline", callId } as unknown as HumanAction),
      (error: unknown) => error instanceof InvalidInputError && /Invalid human action/.test(error.message),
    );
    assert.throws(() => applyHumanAction(agent, thread, { type: "reject" } as unknown as HumanAction), InvalidInputError);
    const withExtra = { type: "reject", callId, threadId: thread.id } as HumanAction;
    const decision = applyHumanAction(agent, thread, withExtra).lastEvent;
    assert.ok(decision?.type === "approval_decision");
    assert.equal("threadId" in decision, false);
  });

  it("its schema is one discriminated union over the five actions", () => {
    assert.deepStrictEqual(
      humanActionSchemas().humanActionSchema.options.map((option) => option.shape.type.value),
      ["approve", "reject", "respond", "message", "wake"],
    );
  });
});
