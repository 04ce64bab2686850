/**
 * The 12-factor guide's calculator walkthrough, end to end with a scripted model: each test scripts
 * the model's replies, runs the agent until it pauses, acts as the human, and checks the thread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Thread, type Event, type ModelRequest } from "agentfold";
import { ScriptedModel, createFakeClock } from "agentfold/testing";
import { calculator } from "./agent.ts";

const clock = createFakeClock("2026-01-01T00:00:00.000Z", { tickMs: 1000 });

/** The rendered thread inside a request the model received (the default prompt's user message). */
function contextOf(request: ModelRequest | undefined): string {
  assert.ok(request, "the model was not called");
  return request.messages.map((message) => message.content).join("\n");
}

function eventsOfType<T extends Event["type"]>(thread: Thread, type: T): Extract<Event, { type: T }>[] {
  return thread.events.filter((event): event is Extract<Event, { type: T }> => event.type === type);
}

function onlyPending(thread: Thread) {
  assert.equal(thread.pending.length, 1, `expected one pending item, got ${JSON.stringify(thread.pending)}`);
  return thread.pending[0]!;
}

test("add, subtract and multiply run at once without pausing", async () => {
  const model = new ScriptedModel([
    { intent: "multiply", a: 3, b: 4 },
    [
      { intent: "add", a: 12, b: 5 },
      { intent: "subtract", a: 12, b: 5 },
    ],
    { intent: "done_for_now", message: "3 * 4 = 12; 12 + 5 = 17; 12 - 5 = 7" },
  ]);
  let thread = calculator.start("multiply 3 by 4, then add 5 to it and subtract 5 from it", { clock });
  thread = await calculator.run(thread, { model, clock });

  assert.equal(thread.status, "done");
  assert.equal(model.requests.length, 3);
  assert.deepEqual(
    eventsOfType(thread, "tool_result").map((event) => [event.intent, event.result]),
    [
      ["multiply", 12],
      ["add", 17],
      ["subtract", 7],
    ],
  );
  assert.equal(eventsOfType(thread, "approval_requested").length, 0);
  // Each decision sees the results of the previous one.
  assert.match(contextOf(model.requests[1]), /<multiply_result>\n12\n<\/multiply_result>/);
  assert.match(contextOf(model.requests[2]), /<add_result>\n17\n<\/add_result>/);
  assert.match(contextOf(model.requests[2]), /<subtract_result>\n7\n<\/subtract_result>/);
  assert.equal(eventsOfType(thread, "done")[0]?.message, "3 * 4 = 12; 12 + 5 = 17; 12 - 5 = 7");
});

test("divide pauses for approval; once approved it runs exactly once", async () => {
  const model = new ScriptedModel([
    { intent: "divide", a: 3, b: 4 },
    { intent: "done_for_now", message: "3 / 4 = 0.75" },
  ]);
  let thread = calculator.start("can you divide 3 by 4", { clock });
  thread = await calculator.run(thread, { model, clock });

  assert.equal(thread.status, "awaiting_approval");
  const pending = onlyPending(thread);
  assert.equal(pending.kind, "approval");
  assert.equal(pending.kind === "approval" && pending.intent, "divide");
  assert.deepEqual(pending.kind === "approval" && pending.args, { a: 3, b: 4 });
  assert.equal(eventsOfType(thread, "tool_started").length, 0, "divide must not run before approval");
  assert.equal(model.requests.length, 1);

  // Running a paused thread again does nothing: it waits.
  assert.equal(await calculator.run(thread, { model, clock }), thread);

  thread = calculator.approve(thread, pending.callId, { actor: "dana@example.com" });
  thread = await calculator.run(thread, { model, clock });

  assert.equal(thread.status, "done");
  assert.deepEqual(
    eventsOfType(thread, "tool_result").map((event) => event.result),
    [0.75],
  );
  assert.match(contextOf(model.requests[1]), /<divide_approval>\napproved: true\nby: dana@example.com\n<\/divide_approval>/);
  assert.match(contextOf(model.requests[1]), /<divide_result>\n0.75\n<\/divide_result>/);

  // The decision is recorded once: approving again is a conflict.
  assert.throws(() => calculator.approve(thread, pending.callId), /not pending/);
});

test("approve with edited arguments: exactly the edited arguments run", async () => {
  const model = new ScriptedModel([
    { intent: "divide", a: 3, b: 0 },
    { intent: "done_for_now", message: "3 / 4 = 0.75" },
  ]);
  let thread = calculator.start("divide 3 by 0. I mean 4.", { clock });
  thread = await calculator.run(thread, { model, clock });
  const pending = onlyPending(thread);

  // Edited arguments are validated against the tool's schema.
  assert.throws(
    () => calculator.approve(thread, pending.callId, { args: { a: 3, b: "four" } }),
    /Edited arguments for "divide" are invalid/,
  );

  thread = calculator.approve(thread, pending.callId, { actor: "dana", args: { a: 3, b: 4 }, comment: "they meant 4" });
  thread = await calculator.run(thread, { model, clock });

  assert.equal(thread.status, "done");
  const started = eventsOfType(thread, "tool_started");
  assert.equal(started.length, 1);
  assert.deepEqual(started[0]!.args, { a: 3, b: 4 });
  assert.deepEqual(eventsOfType(thread, "tool_result")[0]?.result, 0.75);
  const seen = contextOf(model.requests[1]);
  assert.match(seen, /comment: they meant 4/);
  assert.match(seen, /edited_args:\n {2}a: 3\n {2}b: 4/);
});

test("reject with a comment: nothing runs and the model's next step sees the comment", async () => {
  const model = new ScriptedModel([
    { intent: "divide", a: 10, b: 3 },
    { intent: "request_more_information", question: "Should I round the result?", format: "yes_no" },
    { intent: "done_for_now", message: "10 / 3 is about 3.33" },
  ]);
  let thread = calculator.start("what is 10 / 3", { clock });
  thread = await calculator.run(thread, { model, clock });
  const pending = onlyPending(thread);

  thread = calculator.reject(thread, pending.callId, { actor: "dana", comment: "ask me whether to round first" });
  assert.equal(thread.status, "running");
  thread = await calculator.run(thread, { model, clock });

  assert.equal(eventsOfType(thread, "tool_started").length, 0, "a rejected call never runs");
  const seen = contextOf(model.requests[1]);
  assert.match(seen, /<divide_approval>\napproved: false\nby: dana\ncomment: ask me whether to round first\n<\/divide_approval>/);

  assert.equal(thread.status, "awaiting_human");
  const question = onlyPending(thread);
  assert.equal(question.kind === "question" && question.format, "yes_no");
  thread = calculator.respond(thread, question.callId, "Yes", { actor: "dana" });
  thread = await calculator.run(thread, { model, clock });
  assert.equal(thread.status, "done");
  assert.match(contextOf(model.requests[2]), /<human_response>\nfrom: dana\nyes\n<\/human_response>/);
});

test("request_more_information pauses awaiting_human; the answer resumes the thread", async () => {
  const model = new ScriptedModel([
    {
      intent: "request_more_information",
      question: "Which numbers should I multiply?",
      context: "You asked for a product but gave no numbers.",
      urgency: "low",
    },
    { intent: "multiply", a: 6, b: 7 },
    { intent: "done_for_now", message: "6 * 7 = 42" },
  ]);
  let thread = calculator.start("multiply some numbers", { clock });
  thread = await calculator.run(thread, { model, clock });

  assert.equal(thread.status, "awaiting_human");
  const question = onlyPending(thread);
  assert.equal(question.kind, "question");
  assert.equal(question.kind === "question" && question.question, "Which numbers should I multiply?");
  assert.equal(question.kind === "question" && question.urgency, "low");
  assert.throws(() => calculator.approve(thread, question.callId), /respond to it instead/);

  thread = calculator.respond(thread, question.callId, "6 and 7", { actor: "sam" });
  thread = await calculator.run(thread, { model, clock });

  assert.equal(thread.status, "done");
  assert.match(contextOf(model.requests[1]), /<request_more_information>\nquestion: Which numbers should I multiply\?/);
  assert.match(contextOf(model.requests[1]), /<human_response>\nfrom: sam\n6 and 7\n<\/human_response>/);
  assert.deepEqual(eventsOfType(thread, "tool_result")[0]?.result, 42);
});

test("done_for_now finishes; a new message reopens the thread", async () => {
  const model = new ScriptedModel([
    { intent: "done_for_now", message: "Hello! Give me numbers." },
    { intent: "add", a: 1, b: 1 },
    { intent: "done_for_now", message: "1 + 1 = 2" },
  ]);
  let thread = calculator.start("hi", { clock });
  thread = await calculator.run(thread, { model, clock });
  assert.equal(thread.status, "done");
  assert.equal(thread.lastEvent?.type === "done" && thread.lastEvent.message, "Hello! Give me numbers.");
  assert.equal(calculator.nextAction(thread).type, "stop");

  thread = calculator.message(thread, "add 1 and 1", { actor: "sam" });
  thread = await calculator.run(thread, { model, clock });
  assert.equal(thread.status, "done");
  assert.equal(thread.lastEvent?.type === "done" && thread.lastEvent.message, "1 + 1 = 2");
});

test("invalid model output becomes an error event and the model is asked again", async () => {
  const model = new ScriptedModel([
    // Arguments of the wrong type, as in the guide's "fe1iiaff10".
    { intent: "multiply", a: 3, b: "fe1iiaff10" },
    // An intent the agent does not have.
    { intent: "square_root", a: 9 },
    // Prose around the JSON: parsed tolerantly, and valid.
    'Sure! Here is the next step:\n```json\n{"intent": "multiply", "a": 3, "b": 4}\n```\nLet me know.',
    { intent: "done_for_now", message: "12" },
  ]);
  let thread = calculator.start("multiply 3 by 4", { clock });

  thread = await calculator.step(thread, { model, clock });
  const first = thread.lastEvent;
  assert.equal(first?.type, "error");
  assert.equal(first?.type === "error" && first.source, "model_output");
  assert.match(first?.type === "error" ? first.message : "", /Invalid arguments for "multiply": b: /);
  assert.match(first?.type === "error" ? (first.raw ?? "") : "", /fe1iiaff10/);
  assert.equal(thread.status, "running");
  assert.equal(thread.consecutiveErrors, 1);

  thread = await calculator.step(thread, { model, clock });
  const second = thread.lastEvent;
  assert.equal(second?.type === "error" && second.source, "model_output");
  assert.match(
    second?.type === "error" ? second.message : "",
    /Unknown intent "square_root". Valid intents: add, subtract, multiply, divide, request_more_information, done_for_now\./,
  );
  assert.equal(thread.consecutiveErrors, 2);
  // The model's next request shows it what was wrong.
  thread = await calculator.step(thread, { model, clock });
  const third = contextOf(model.requests[2]);
  // The YAML body quotes the message, escaping its inner quotes.
  assert.match(third, /<error>\nmessage: "Invalid arguments for \\"multiply\\": b: /);
  assert.match(third, /<error>\nmessage: "Unknown intent \\"square_root\\"/);

  assert.deepEqual(eventsOfType(thread, "tool_result")[0]?.result, 12);
  assert.equal(thread.consecutiveErrors, 0, "a success resets the count");

  thread = await calculator.run(thread, { model, clock });
  assert.equal(thread.status, "done");
  // Resolved errors drop out of the context.
  assert.doesNotMatch(contextOf(model.requests[3]), /<error>/);
});

test("three invalid replies in a row escalate to a human instead of spinning", async () => {
  const model = new ScriptedModel([
    "not json at all",
    { intent: "nope" },
    { intent: "add", a: 1 },
    { intent: "done_for_now", message: "ok" },
  ]);
  let thread = calculator.start("add 1 and 2", { clock });
  thread = await calculator.run(thread, { model, clock });

  assert.equal(model.requests.length, 3);
  assert.equal(thread.status, "awaiting_human");
  const escalation = onlyPending(thread);
  assert.equal(escalation.kind === "question" && escalation.reason, "escalation");
  assert.match(escalation.kind === "question" ? escalation.question : "", /3 consecutive errors/);

  thread = calculator.respond(thread, escalation.callId, "Reply with a JSON object with both a and b.", { actor: "ops" });
  thread = await calculator.run(thread, { model, clock });
  assert.equal(thread.status, "done");
});

test("rendering, reloading and inspecting a thread never call the model", async () => {
  const model = new ScriptedModel([
    { intent: "multiply", a: 3, b: 4 },
    { intent: "divide", a: 12, b: 4 },
    { intent: "done_for_now", message: "3" },
  ]);
  let thread = calculator.start("multiply 3 by 4 then divide by 4", { clock });
  thread = await calculator.run(thread, { model, clock });
  assert.equal(thread.status, "awaiting_approval");
  const calls = model.requests.length;

  const json = JSON.stringify(thread);
  const reloaded = Thread.fromJSON(json);
  assert.deepEqual(reloaded.toJSON(), thread.toJSON());
  assert.equal(reloaded.status, "awaiting_approval");
  assert.deepEqual(reloaded.pending, thread.pending);

  const rendered = calculator.render(reloaded);
  assert.equal(rendered.context, calculator.render(thread).context);
  assert.ok(rendered.tokens > 0);
  // What render shows is exactly what the model would receive next.
  assert.deepEqual(rendered.messages, calculator.render(thread).messages);
  assert.equal(calculator.nextAction(reloaded).type, "wait");
  assert.equal(await calculator.run(reloaded, { model, clock }), reloaded);
  assert.equal(model.requests.length, calls, "rendering and reloading must not call the model");

  // Another process (a fresh model, the reloaded thread) takes the next step from where it stopped.
  const elsewhere = new ScriptedModel(model.steps);
  let resumed = calculator.approve(Thread.fromJSON(json), thread.pending[0]!.callId, { actor: "dana" });
  resumed = await calculator.run(resumed, { model: elsewhere, clock });
  assert.equal(resumed.status, "done");
  assert.equal(elsewhere.requests.length, 1, "only the step after the approval calls the model");
  assert.equal(elsewhere.requests[0]?.turn, 2);
  assert.deepEqual(
    eventsOfType(resumed, "tool_result").map((event) => event.result),
    [12, 3],
  );
});

test("render shows the exact prompt: the default prompt lists every intent", () => {
  const thread = calculator.start("can you divide 3 by 4", { clock });
  const { messages, context, tokens } = calculator.render(thread);
  assert.equal(context, "<user_input>\ncan you divide 3 by 4\n</user_input>\n");
  assert.equal(messages[0]?.role, "system");
  for (const intent of ["add", "subtract", "multiply", "divide", "request_more_information", "done_for_now"]) {
    assert.match(messages[0]!.content, new RegExp(`- ${intent}: `));
  }
  assert.ok(messages[1]?.content.includes(context));
  assert.ok(tokens > 0);
});
