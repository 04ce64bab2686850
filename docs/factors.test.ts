/**
 * Keeps docs/factors.md honest: every ```ts block in it must be exactly the file under docs/factors/
 * named in the comment above it (tsc type-checks those files), and most examples run here with a
 * scripted model.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { Thread, createMemoryStore } from "agentfold";
import { fireDue } from "agentfold/runtime";
import { ScriptedModel, createFakeClock, type ScriptStep } from "agentfold/testing";

const docs = new URL("./", import.meta.url);
const markdown = readFileSync(new URL("factors.md", docs), "utf8");

interface Block {
  file: string;
  code: string;
}

function codeBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const pattern = /<!-- file: (factors\/[\w.-]+\.ts) -->\n```ts\n([\s\S]*?)```\n/g;
  for (const match of text.matchAll(pattern)) blocks.push({ file: match[1]!, code: match[2]! });
  return blocks;
}

test("every ts block in factors.md is exactly its file under docs/factors/", () => {
  const blocks = codeBlocks(markdown);
  const fenced = markdown.match(/^```ts$/gm) ?? [];
  assert.equal(blocks.length, fenced.length, "every ```ts block must follow a <!-- file: factors/NN-name.ts --> line");
  const files = readdirSync(new URL("factors/", docs))
    .filter((name) => name.endsWith(".ts"))
    .sort();
  assert.equal(files.length, 13, "one example per factor");
  assert.deepEqual(
    blocks.map((block) => block.file),
    files.map((name) => `factors/${name}`),
    "the blocks appear in factor order, one per file",
  );
  for (const block of blocks) {
    const source = readFileSync(new URL(block.file, docs), "utf8");
    assert.equal(block.code, source, `${block.file} and its block in factors.md differ: copy the file into the doc`);
  }
});

test("every factor has a section, in order", () => {
  const headings = [...markdown.matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1]));
  assert.deepEqual(
    headings,
    Array.from({ length: 13 }, (_, index) => index + 1),
  );
});

test("factor 1: the reply becomes a validated, typed call", async () => {
  const { parsed, createPaymentLink } = await import("./factors/01-natural-language-to-tool-calls.ts");
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.calls, [
    { intent: "create_payment_link", args: { amount: 750, customer: "terri@example.com", memo: "February meetup" } },
  ]);
  assert.equal(createPaymentLink.parameters.type, "object");
});

test("factor 2: the custom prompt is exactly what the model would receive", async () => {
  const { preview } = await import("./factors/02-own-your-prompts.ts");
  const { messages, tokens } = preview("where is my order?");
  assert.equal(messages.length, 2);
  assert.match(messages[0]!.content, /^You are a support agent for Acme\./);
  assert.match(messages[0]!.content, /- done_for_now: /);
  assert.equal(messages[1]!.content, "<user_input>\nwhere is my order?\n</user_input>\n\nWhat is the next step?");
  assert.ok(tokens > 0);
});

test("factor 3: custom renderers and redaction shape the context", async () => {
  const { portal, contextOf } = await import("./factors/03-own-your-context-window.ts");
  const model = new ScriptedModel([
    { intent: "login", user: "ops", password: "hunter2" },
    { intent: "done_for_now", message: "Logged in." },
  ]);
  const thread = await portal.run(portal.start({ text: "log in as ops", source: "slack" }), { model });
  const { context, tokens } = contextOf(thread);
  assert.match(context, /^<slack_message>\nlog in as ops\n<\/slack_message>\n/);
  assert.doesNotMatch(context, /hunter2/);
  assert.doesNotMatch(context, /s-81f2/);
  assert.match(context, /password: "?\[redacted\]"?/);
  assert.ok(tokens > 0);
});

test("factor 4: an intent without run is carried out by your code", async () => {
  const { stepAndSend, mailer, schema } = await import("./factors/04-tools-are-structured-outputs.ts");
  assert.deepEqual(
    schema.anyOf.map((option) => (option.properties as { intent: { const: string } }).intent.const),
    ["send_email", "done_for_now"],
  );
  const model = new ScriptedModel([
    { intent: "send_email", to: "terri@example.com", subject: "Your invoice", body: "Attached." },
    { intent: "done_for_now", message: "Sent." },
  ]);
  const outbox: { to: string; subject: string }[] = [];
  let thread = await stepAndSend(mailer.start("email Terri her invoice"), model, outbox);
  assert.deepEqual(outbox, [{ to: "terri@example.com", subject: "Your invoice" }]);
  assert.equal(thread.status, "running");
  thread = await mailer.run(thread, { model });
  assert.equal(thread.status, "done");
});

test("factors 5 and 6: launch, pause in a store, resume elsewhere; state is derived", async () => {
  const { summarize, roundTrip, retryFrom } = await import("./factors/05-unify-execution-and-business-state.ts");
  const { launch, approveAndResume } = await import("./factors/06-launch-pause-resume.ts");
  const steps = [
    { intent: "wire_funds", account: "DE89 3704", amount: 1200 },
    { intent: "done_for_now", message: "Sent 1200." },
  ];
  const threads = createMemoryStore();
  const id = await launch(threads, new ScriptedModel(steps), "pay the March invoice of 1200 to DE89 3704");
  const paused = (await threads.load(id))!;
  assert.deepEqual(summarize(paused), {
    status: "awaiting_approval",
    waitingFor: [`approval ${paused.pending[0]!.callId}`],
    errorsInARow: 0,
    modelCalls: 1,
    events: paused.version,
  });
  assert.deepEqual(roundTrip(paused).toJSON(), paused.toJSON());

  const done = await approveAndResume(threads, new ScriptedModel(steps), id, "cfo@example.com");
  assert.equal(done.status, "done");
  assert.equal((await threads.load(id))!.version, done.version, "every event was saved");
  const retry = retryFrom(done, 1);
  assert.notEqual(retry.id, done.id);
  assert.equal(retry.events.length, 1);
});

test("factor 7: a cron-started agent asks a person and goes on with the answer", async () => {
  const { nightlyCheck, fromCron, answer } = await import("./factors/07-contact-humans-with-tool-calls.ts");
  const model = new ScriptedModel([
    { intent: "ask_finance", question: "Retry the 3 failed payments?", format: "yes_no", urgency: "high" },
    { intent: "report", message: "Retried 3 payments." },
  ]);
  let thread = await nightlyCheck.run(fromCron(), { model });
  assert.equal(thread.status, "awaiting_human");
  thread = answer(thread, "y", "finance@example.com");
  thread = await nightlyCheck.run(thread, { model });
  assert.equal(thread.status, "done");
  assert.equal(thread.lastEvent?.type === "done" && thread.lastEvent.message, "Retried 3 payments.");
});

test("factor 8: your own loop stops where your policy says", async () => {
  const { runWithBudget } = await import("./factors/08-own-your-control-flow.ts");
  const { shipping } = await import("./factors/09-compact-errors.ts");
  const quote = { intent: "quote_shipping", weightKg: 2, country: "DE" };
  const log: string[] = [];
  const thread = await runWithBudget(
    shipping,
    shipping.start("quote 2kg to Germany, twice"),
    new ScriptedModel([quote, quote, quote]),
    2,
    log,
  );
  assert.equal(thread.status, "canceled");
  assert.equal(log.length, 2);
  assert.match(log[0]!, /^decision 1: \d+ tokens of input$/);
});

test("factor 9: errors the model can read, and escalation at the tool's limit", async () => {
  const { shipping, carrier } = await import("./factors/09-compact-errors.ts");
  const quote = { intent: "quote_shipping", weightKg: 2, country: "DE" };

  carrier.failuresLeft = 1;
  const healed = await shipping.run(shipping.start("quote 2kg to Germany"), {
    model: new ScriptedModel([quote, quote, { intent: "done_for_now", message: "9 EUR" }]),
  });
  assert.equal(healed.status, "done");
  assert.equal(healed.events.filter((event) => event.type === "error").length, 1);

  carrier.failuresLeft = 5;
  const stuck = await shipping.run(shipping.start("quote 2kg to Germany"), { model: new ScriptedModel([quote, quote, quote]) });
  assert.equal(stuck.status, "awaiting_human");
  const escalation = stuck.pending[0]!;
  assert.equal(escalation.kind === "question" && escalation.reason, "escalation");
  assert.match(escalation.kind === "question" ? escalation.question : "", /2 consecutive errors from quote_shipping/);
});

test("factor 10: the release agent runs the tester in its own thread", async () => {
  const { release } = await import("./factors/10-small-focused-agents.ts");
  const threads = createMemoryStore();
  const replies: Record<string, ScriptStep[]> = {
    release: [
      { intent: "ask_tester", message: "run the billing tests" },
      { intent: "done_for_now", message: "Billing is green." },
    ],
    tester: [
      { intent: "run_tests", service: "billing" },
      { intent: "done_for_now", message: "412 passed, 0 failed." },
    ],
  };
  // One model for both agents: the child's thread starts with the task the release agent gave it.
  const isTester = (request: { messages: readonly { content: string }[] }) =>
    request.messages.some((message) => message.content.includes("<user_input>\nrun the billing tests"));
  const model = new ScriptedModel(
    [0, 1].map((turn) => (request: Parameters<typeof isTester>[0]) => replies[isTester(request) ? "tester" : "release"]![turn]),
  );
  const parent = await release.run(release.start("is billing ready to release?"), { model, threads });
  assert.equal(parent.status, "done");
  const result = parent.events.find((event) => event.type === "tool_result");
  assert.equal(result?.type === "tool_result" && result.result, "412 passed, 0 failed.");
  const child = await threads.load(result?.type === "tool_result" ? (result.childThreadId ?? "") : "");
  assert.equal(child?.status, "done");
  assert.equal(child?.agent, "tester");
});

test("factor 11: a thread answers on the channel it came from", async () => {
  const { startFrom, runAndReply } = await import("./factors/11-trigger-from-anywhere.ts");
  const { nightlyCheck } = await import("./factors/07-contact-humans-with-tool-calls.ts");
  const sent: string[] = [];
  const thread = startFrom(nightlyCheck, { name: "slack", replyTo: "C024BE91L" }, "anything failed last night?", "U012AB3CD");
  assert.equal(thread.events[0]?.type === "user_input" && thread.events[0].source, "slack");
  await runAndReply(
    nightlyCheck,
    thread,
    new ScriptedModel([{ intent: "ask_finance", question: "Retry the failed payments?" }]),
    async (to, text) => {
      sent.push(`${to}: ${text}`);
    },
  );
  assert.deepEqual(sent, ["C024BE91L: Retry the failed payments?"]);
});

test("factor 12: the fold of the events is the thread's state; reloading never calls the model", async () => {
  const { next, replayState, reload } = await import("./factors/12-stateless-reducer.ts");
  const { shipping } = await import("./factors/09-compact-errors.ts");
  const model = new ScriptedModel([
    { intent: "quote_shipping", weightKg: 1, country: "FR" },
    { intent: "done_for_now", message: "4.5 EUR" },
  ]);
  const start = shipping.start("quote 1kg to France");
  const first = await next(shipping, start, model);
  assert.equal(start.events.length, 1, "a step never changes its input");
  const last = await next(shipping, first, model);
  assert.deepEqual(replayState(last), last.state);
  const calls = model.requests.length;
  const reloaded = reload(shipping, JSON.stringify(last));
  assert.deepEqual(reloaded, { status: "done", context: shipping.render(last).context, next: "stop" });
  assert.equal(model.requests.length, calls);
  assert.equal(Thread.fromJSON(JSON.stringify(last)).version, last.version);
});

test("factor 13: prefetched results are in the first model request", async () => {
  const { deployer } = await import("./factors/13-prefetch.ts");
  const model = new ScriptedModel([{ intent: "done_for_now", message: "v1.5.0 is the newest." }]);
  const thread = await deployer.run(deployer.start("what would you deploy?"), { model });
  assert.equal(model.requests.length, 1);
  const first = model.requests[0]!.messages.map((message) => message.content).join("\n");
  assert.match(first, /<list_git_tags_result>\n- v1\.5\.0/);
  assert.match(first, /<lookup_on_call_result>\nteam: backend\nperson: lee@example.com/);
  assert.equal(thread.events.filter((event) => event.type === "tool_result" && event.prefetched).length, 2);
});

test("factor 8 served: the deployer's own plan waits 10 minutes, then checks health, then finishes", async () => {
  const { deployer } = await import("./factors/08-own-your-control-flow.ts");
  const clock = createFakeClock("2026-12-01T09:00:00.000Z");
  const model = new ScriptedModel([
    { intent: "deploy", version: "2.0" },
    { intent: "done_for_now", message: "2.0 is live." },
  ]);
  let thread = await deployer.run(deployer.start("deploy 2.0", { clock }), { model, clock });
  thread = await deployer.run(deployer.approve(thread, thread.pending[0]!.callId, { clock }), { model, clock });
  assert.equal(thread.status, "waiting");
  assert.equal(fireDue(thread, clock), thread, "nothing is due before 10 minutes");
  await clock.advance(10 * 60_000);
  thread = await deployer.run(fireDue(thread, clock), { model, clock });
  assert.equal(thread.status, "done");
  assert.deepEqual(
    thread.events.slice(-4).map((event) => event.type),
    ["timer_set", "timer_fired", "tool_result", "done"],
  );
  assert.equal(deployer.model, "anthropic:claude-sonnet-4-5");
});

test("factor 10: triage hands the conversation to billing, which drives the thread from then on", async () => {
  const { triage, billing } = await import("./factors/10-small-focused-agents.ts");
  const model = new ScriptedModel([
    { intent: "transfer_to_billing", reason: "wants a refund" },
    { intent: "refund", orderId: "A-17" },
  ]);
  let thread = await triage.run(triage.start("refund order A-17"), { model });
  assert.equal(thread.drivingAgent, "billing");
  assert.deepEqual(triage.nextAction(thread), { type: "handoff", to: "billing" });
  thread = await billing.run(thread, { model });
  assert.equal(thread.status, "awaiting_approval");
  assert.equal(thread.pending[0]?.kind === "approval" && thread.pending[0].intent, "refund");
});
