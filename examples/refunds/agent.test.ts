/**
 * The refunds agent with a scripted model and in-memory fakes of the order book and payments
 * ledger: small refunds run at once, large ones wait for a manager, and a refund retried after a
 * crash is recorded once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Thread, type Event, type ModelRequest } from "agentfold";
import { ScriptedModel, createFakeClock } from "agentfold/testing";
import { REFUND_APPROVAL_THRESHOLD, createOrderBook, createPaymentsLedger, createRefundsAgent, paymentsLedger, refunds } from "./agent.ts";

const clock = createFakeClock("2026-03-01T12:00:00.000Z", { tickMs: 1000 });

function setup() {
  const ledger = createPaymentsLedger();
  const agent = createRefundsAgent({ orders: createOrderBook(), ledger });
  return { ledger, agent };
}

function contextOf(request: ModelRequest | undefined): string {
  assert.ok(request, "the model was not called");
  return request.messages.map((message) => message.content).join("\n");
}

function eventsOfType<T extends Event["type"]>(thread: Thread, type: T): Extract<Event, { type: T }>[] {
  return thread.events.filter((event): event is Extract<Event, { type: T }> => event.type === type);
}

test("a refund at or below the threshold runs at once", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([
    { intent: "lookup_order", orderId: "A-1001" },
    { intent: "process_refund", orderId: "A-1001", amount: 42.5, reason: "The lamp arrived broken." },
    { intent: "done_for_now", message: "Refunded $42.50 on A-1001." },
  ]);
  let thread = agent.start("my lamp from order A-1001 arrived broken, refund please", { clock });
  thread = await agent.run(thread, { model, clock });

  assert.equal(thread.status, "done");
  assert.equal(eventsOfType(thread, "approval_requested").length, 0);
  assert.equal(ledger.refunds.length, 1);
  assert.deepEqual(
    { ...ledger.refunds[0], idempotencyKey: undefined },
    { refundId: "rf_1", orderId: "A-1001", amount: 42.5, reason: "The lamp arrived broken.", idempotencyKey: undefined },
  );
  assert.match(contextOf(model.requests[1]), /<lookup_order_result>\norderId: A-1001\ncustomer: terri@example.com\ntotal: 42.5/);

  // Exactly the threshold is still below "above the threshold".
  const { ledger: second, agent: again } = setup();
  const edge = new ScriptedModel([
    { intent: "process_refund", orderId: "A-1003", amount: REFUND_APPROVAL_THRESHOLD, reason: "Chair recalled." },
    { intent: "done_for_now", message: "Done." },
  ]);
  const done = await again.run(again.start("refund $100 on A-1003", { clock }), { model: edge, clock });
  assert.equal(done.status, "done");
  assert.equal(second.refunds[0]?.amount, 100);
});

test("a refund above the threshold waits for a manager; nothing reaches the ledger before", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([{ intent: "process_refund", orderId: "A-1002", amount: 750, reason: "The desk never arrived." }]);
  const thread = await agent.run(agent.start("refund order A-1002 in full, it never arrived", { clock }), { model, clock });

  assert.equal(thread.status, "awaiting_approval");
  const pending = thread.pending[0]!;
  assert.equal(pending.kind === "approval" && pending.intent, "process_refund");
  assert.deepEqual(pending.kind === "approval" && pending.args, { orderId: "A-1002", amount: 750, reason: "The desk never arrived." });
  assert.equal(ledger.requests, 0);
});

test("manager approves: one refund is recorded even if the tool runs twice with the same key", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([
    { intent: "process_refund", orderId: "A-1002", amount: 750, reason: "The desk never arrived." },
    { intent: "done_for_now", message: "Refunded $750 on A-1002." },
  ]);
  let thread = await agent.run(agent.start("refund order A-1002 in full", { clock }), { model, clock });
  thread = agent.approve(thread, thread.pending[0]!.callId, { actor: "manager@example.com", comment: "ok, carrier lost it" });

  // The process crashes after the refund went through but before its result was saved: the saved
  // thread ends with `tool_started`.
  let saved = thread;
  const crash = new Error("process killed");
  await assert.rejects(
    agent.run(thread, {
      model,
      clock,
      commit(next) {
        if (next.lastEvent?.type === "tool_result") throw crash;
        saved = next;
      },
    }),
    crash,
  );
  assert.equal(saved.lastEvent?.type, "tool_started");
  assert.equal(ledger.refunds.length, 1);

  // Another process loads the saved thread and goes on: the idempotent tool runs again with the
  // same idempotency key, and the ledger ignores the duplicate.
  const reloaded = Thread.fromJSON(JSON.stringify(saved));
  assert.equal(agent.nextAction(reloaded).type, "recover");
  const resumed = await agent.run(reloaded, { model: new ScriptedModel(model.steps), clock });

  assert.equal(resumed.status, "done");
  assert.equal(ledger.requests, 2, "the tool ran twice");
  assert.equal(ledger.refunds.length, 1, "one refund recorded");
  // Each attempt is recorded, with the same key.
  const started = eventsOfType(resumed, "tool_started");
  assert.deepEqual(
    started.map((event) => event.attempt),
    [1, 2],
  );
  assert.equal(started[1]?.idempotencyKey, started[0]?.idempotencyKey);
  assert.equal(ledger.refunds[0]?.idempotencyKey, started[0]?.idempotencyKey);
  assert.deepEqual(eventsOfType(resumed, "tool_result")[0]?.result, { ...ledger.refunds[0] });
  assert.equal(eventsOfType(resumed, "approval_decision").length, 1, "the recovery did not ask for approval again");
});

test("the idempotency key is stable per call and differs between calls", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([
    [
      { intent: "process_refund", orderId: "A-1001", amount: 10, reason: "Late delivery." },
      { intent: "process_refund", orderId: "A-1001", amount: 10, reason: "Late delivery." },
    ],
    { intent: "done_for_now", message: "Two refunds of $10." },
  ]);
  const thread = await agent.run(agent.start("refund $10 twice on A-1001", { clock }), { model, clock });
  assert.equal(thread.status, "done");
  // Two distinct calls are two refunds: idempotency is per call, not per arguments.
  assert.equal(ledger.refunds.length, 2);
  assert.notEqual(ledger.refunds[0]?.idempotencyKey, ledger.refunds[1]?.idempotencyKey);
});

test("manager rejects with a comment: no refund, and the model sees the comment", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([
    { intent: "process_refund", orderId: "A-1003", amount: 129.99, reason: "Customer changed their mind." },
    { intent: "process_refund", orderId: "A-1003", amount: 25, reason: "Goodwill credit for the chair mat." },
    { intent: "done_for_now", message: "Refunded $25 for the chair mat; the chair itself is outside the return window." },
  ]);
  let thread = await agent.run(agent.start("refund A-1003, I changed my mind", { clock }), { model, clock });
  assert.equal(thread.status, "awaiting_approval");
  thread = agent.reject(thread, thread.pending[0]!.callId, {
    actor: "manager@example.com",
    comment: "Outside the return window. Offer $25 for the chair mat only.",
  });
  thread = await agent.run(thread, { model, clock });

  assert.match(
    contextOf(model.requests[1]),
    /<process_refund_approval>\napproved: false\nby: manager@example.com\ncomment: "?Outside the return window\. Offer \$25 for the chair mat only\."?\n<\/process_refund_approval>/,
  );
  assert.equal(thread.status, "done");
  assert.deepEqual(
    ledger.refunds.map((record) => record.amount),
    [25],
  );
});

test("the manager can approve a smaller amount than the model asked for", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([
    { intent: "process_refund", orderId: "A-1002", amount: 750, reason: "Scratched desk top." },
    { intent: "done_for_now", message: "Refunded $150 for the scratch." },
  ]);
  let thread = await agent.run(agent.start("my desk (A-1002) came scratched", { clock }), { model, clock });
  thread = agent.approve(thread, thread.pending[0]!.callId, {
    actor: "manager@example.com",
    args: { orderId: "A-1002", amount: 150, reason: "Scratched desk top: partial refund." },
  });
  thread = await agent.run(thread, { model, clock });
  assert.equal(thread.status, "done");
  assert.deepEqual(
    ledger.refunds.map((record) => record.amount),
    [150],
  );
});

test("a refund larger than what is left fails; the model reads why and corrects itself", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([
    { intent: "process_refund", orderId: "A-1001", amount: 50, reason: "Broken lamp." },
    { intent: "process_refund", orderId: "A-1001", amount: 42.5, reason: "Broken lamp." },
    { intent: "done_for_now", message: "Refunded the full $42.50." },
  ]);
  const thread = await agent.run(agent.start("refund $50 on A-1001", { clock }), { model, clock });
  assert.equal(thread.status, "done");
  assert.match(eventsOfType(thread, "error")[0]?.message ?? "", /only \$42\.5 of \$42\.5 is left to refund/);
  assert.match(contextOf(model.requests[1]), /<error>\nintent: process_refund\nmessage: /);
  assert.deepEqual(
    ledger.refunds.map((record) => record.amount),
    [42.5],
  );
});

test("the agent asks a person for a missing order id and goes on with the answer", async () => {
  const { ledger, agent } = setup();
  const model = new ScriptedModel([
    { intent: "request_human_input", question: "What is your order number?", urgency: "low" },
    { intent: "lookup_order", orderId: "A-1001" },
    { intent: "process_refund", orderId: "A-1001", amount: 42.5, reason: "Arrived broken." },
    { intent: "done_for_now", message: "Refunded $42.50." },
  ]);
  let thread = await agent.run(agent.start("my lamp arrived broken", { clock }), { model, clock });
  assert.equal(thread.status, "awaiting_human");
  thread = agent.respond(thread, thread.pending[0]!.callId, "A-1001", { actor: "terri@example.com" });
  thread = await agent.run(thread, { model, clock });
  assert.equal(thread.status, "done");
  assert.equal(ledger.refunds.length, 1);
  assert.match(contextOf(model.requests[1]), /<human_response>\nfrom: terri@example.com\nA-1001\n<\/human_response>/);
});

test("the exported refunds agent works over its sample systems", async () => {
  assert.equal(refunds.name, "refunds");
  assert.deepEqual(
    refunds.tools.map((tool) => tool.intent),
    ["lookup_order", "process_refund", "request_human_input", "done_for_now"],
  );
  const model = new ScriptedModel([{ intent: "process_refund", orderId: "A-1002", amount: 750, reason: "Never arrived." }]);
  const thread = await refunds.run(refunds.start("refund A-1002", { clock }), { model, clock });
  assert.equal(thread.status, "awaiting_approval");
  assert.equal(paymentsLedger.requests, 0);
});
