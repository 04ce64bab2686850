/**
 * The deploy bot through every path with a scripted model and in-memory fakes of git and the deploy
 * target: pre-fetched tags, staging at once, production after approval, rollback, questions, and
 * failing deploys that self-heal or escalate.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Thread, type Event, type ModelRequest } from "agentfold";
import { fireDue } from "agentfold/runtime";
import { ScriptedModel, createFakeClock, type ScriptStep } from "agentfold/testing";
import { settleMs } from "./after-deploy.ts";
import { createDeployTarget, createDeploybot, createGitRepository, deploybot, deployTarget, sampleTags } from "./agent.ts";

const clock = createFakeClock("2026-02-01T09:00:00.000Z", { tickMs: 1000 });

function setup(running: { staging?: string; production?: string } = { staging: "v1.4.1", production: "v1.4.1" }) {
  const repository = createGitRepository();
  const target = createDeployTarget(repository, { running });
  const bot = createDeploybot({ repository, target });
  return { repository, target, bot };
}

function contextOf(request: ModelRequest | undefined): string {
  assert.ok(request, "the model was not called");
  return request.messages.map((message) => message.content).join("\n");
}

function eventsOfType<T extends Event["type"]>(thread: Thread, type: T): Extract<Event, { type: T }>[] {
  return thread.events.filter((event): event is Extract<Event, { type: T }> => event.type === type);
}

/**
 * After a production change the bot waits 10 minutes on a durable timer: the thread is `waiting`,
 * nothing is due before then; once the clock reaches it, firing what is due (what a runner's sweep
 * does) lets the bot go on.
 */
async function settle(bot: ReturnType<typeof createDeploybot>, thread: Thread, model: ScriptedModel): Promise<Thread> {
  assert.equal(thread.status, "waiting");
  const [timer] = thread.state.timers;
  assert.ok(timer, "a timer is set");
  assert.equal(fireDue(thread, clock), thread, "nothing is due before the 10 minutes pass");
  await clock.advance(Date.parse(timer.until) - clock.now().getTime());
  return bot.run(fireDue(thread, clock), { model, clock });
}

async function runScript(steps: readonly ScriptStep[], message: string, bot = setup().bot) {
  const model = new ScriptedModel(steps);
  const thread = await bot.run(bot.start(message, { clock }), { model, clock });
  return { model, thread };
}

test("git tags are pre-fetched before the first model call", async () => {
  const { bot } = setup();
  const { model, thread } = await runScript(
    [{ intent: "done_for_now", message: "The latest tag is v1.5.0." }],
    "what is the latest tag?",
    bot,
  );

  assert.equal(model.requests.length, 1);
  const prefetched = thread.events[1];
  assert.equal(prefetched?.type, "tool_result");
  assert.equal(prefetched?.type === "tool_result" && prefetched.prefetched, true);
  assert.equal(prefetched?.type === "tool_result" && prefetched.intent, "list_git_tags");
  // Deterministic: the same tags every time, newest first.
  assert.deepEqual(prefetched?.type === "tool_result" && (prefetched.result as { tag: string }[]).map((tag) => tag.tag), [
    "v1.5.0",
    "v1.4.1",
    "v1.4.0",
  ]);
  // The model's very first request already contains them.
  const first = contextOf(model.requests[0]);
  assert.match(first, /<list_git_tags_result>\n- {tag: v1\.5\.0, commit: e13d5b0, date: 2026-01-12T09:03:00Z, message: Bulk export API}\n/);
  assert.equal(thread.stepCount, 1, "prefetch is not a model call");
  assert.equal(thread.status, "done");
});

test("a staging deploy runs at once", async () => {
  const { bot, target } = setup();
  const { model, thread } = await runScript(
    [
      { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
      { intent: "done_for_now", message: "v1.5.0 is live on staging." },
    ],
    "deploy the latest tag to staging",
    bot,
  );

  assert.equal(thread.status, "done");
  assert.equal(eventsOfType(thread, "approval_requested").length, 0);
  assert.equal(target.running.staging, "v1.5.0");
  assert.equal(target.running.production, "v1.4.1");
  assert.equal(target.history.length, 1);
  assert.equal(target.history[0]?.idempotencyKey, `${thread.id}:${eventsOfType(thread, "tool_started")[0]?.callId}`);
  assert.match(contextOf(model.requests[1]), /<deploy_backend_result>\ndeployed: v1\.5\.0\nenvironment: staging\n/);
});

test("a production deploy waits for approval, then runs exactly what was approved", async () => {
  const { bot, target } = setup();
  const model = new ScriptedModel([
    { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    { intent: "done_for_now", message: "v1.5.0 is live on production." },
  ]);
  let thread = await bot.run(bot.start("ship v1.5.0 to production", { clock }), { model, clock });

  assert.equal(thread.status, "awaiting_approval");
  const pending = thread.pending[0]!;
  assert.equal(pending.kind === "approval" && pending.intent, "deploy_backend");
  assert.deepEqual(pending.kind === "approval" && pending.args, { tag: "v1.5.0", environment: "production" });
  assert.equal(target.requests, 0, "nothing reached the target before approval");

  // The paused thread is just data: save it, load it elsewhere, approve there.
  thread = Thread.fromJSON(JSON.stringify(thread));
  thread = bot.approve(thread, pending.callId, { actor: "lee@example.com", comment: "go" });
  thread = await bot.run(thread, { model, clock });
  thread = await settle(bot, thread, model);

  assert.equal(thread.status, "done");
  assert.equal(target.running.production, "v1.5.0");
  assert.equal(target.requests, 1);
  assert.match(contextOf(model.requests[1]), /<deploy_backend_approval>\napproved: true\nby: lee@example.com\ncomment: go/);
});

test("approval with an edited tag deploys the edited tag", async () => {
  const { bot, target } = setup();
  const model = new ScriptedModel([
    { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    { intent: "done_for_now", message: "v1.4.1 stays on production." },
  ]);
  let thread = await bot.run(bot.start("ship to production", { clock }), { model, clock });
  thread = bot.approve(thread, thread.pending[0]!.callId, { actor: "lee", args: { tag: "v1.4.0", environment: "production" } });
  thread = await bot.run(thread, { model, clock });

  assert.equal(target.running.production, "v1.4.0");
  assert.deepEqual(eventsOfType(thread, "tool_started")[0]?.args, { tag: "v1.4.0", environment: "production" });
});

test("the approval predicate sees each call's arguments: staging runs while production waits", async () => {
  const { bot, target } = setup();
  const model = new ScriptedModel([
    [
      { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
      { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    ],
  ]);
  const thread = await bot.run(bot.start("ship v1.5.0 everywhere", { clock }), { model, clock });

  assert.equal(thread.status, "awaiting_approval");
  assert.equal(target.running.staging, "v1.5.0");
  assert.equal(target.running.production, "v1.4.1");
  assert.deepEqual(
    thread.pending.map((item) => item.kind === "approval" && item.args.environment),
    ["production"],
  );
});

test("a rejected production deploy never runs, and the model reads why", async () => {
  const { bot, target } = setup();
  const model = new ScriptedModel([
    { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
    { intent: "done_for_now", message: "v1.5.0 is on staging; production waits for QA." },
  ]);
  let thread = await bot.run(bot.start("ship v1.5.0 to production", { clock }), { model, clock });
  thread = bot.reject(thread, thread.pending[0]!.callId, { actor: "lee", comment: "QA has not signed off; put it on staging first" });
  thread = await bot.run(thread, { model, clock });

  assert.equal(thread.status, "done");
  assert.equal(target.running.production, "v1.4.1");
  assert.equal(target.running.staging, "v1.5.0");
  assert.match(
    contextOf(model.requests[1]),
    /<deploy_backend_approval>\napproved: false\nby: lee\ncomment: "QA has not signed off; put it on staging first"\n<\/deploy_backend_approval>/,
  );
});

test("rollback_backend returns an environment to its previous tag", async () => {
  const { bot, target } = setup();
  const { thread } = await runScript(
    [
      { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
      { intent: "rollback_backend", environment: "staging" },
      { intent: "done_for_now", message: "Staging is back on v1.4.1." },
    ],
    "try v1.5.0 on staging, then roll it back",
    bot,
  );
  assert.equal(thread.status, "done");
  assert.equal(target.running.staging, "v1.4.1");
  assert.deepEqual(
    target.history.map((record) => [record.kind, record.tag]),
    [
      ["deploy", "v1.5.0"],
      ["rollback", "v1.4.1"],
    ],
  );
});

test("the bot asks a person when the request is ambiguous, and goes on with the answer", async () => {
  const { bot, target } = setup();
  const model = new ScriptedModel([
    {
      intent: "request_human_input",
      question: "Which environment?",
      format: "multiple_choice",
      choices: ["staging", "production"],
    },
    { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
    { intent: "done_for_now", message: "v1.5.0 is on staging." },
  ]);
  let thread = await bot.run(bot.start("deploy v1.5.0", { clock }), { model, clock });
  assert.equal(thread.status, "awaiting_human");
  const question = thread.pending[0]!;
  assert.throws(() => bot.respond(thread, question.callId, "qa"), /Answer with one of: "staging", "production"/);
  thread = bot.respond(thread, question.callId, "Staging", { actor: "lee" });
  thread = await bot.run(thread, { model, clock });

  assert.equal(thread.status, "done");
  assert.equal(target.running.staging, "v1.5.0");
  assert.match(contextOf(model.requests[1]), /<human_response>\nfrom: lee\nstaging\n<\/human_response>/);
});

test("a deploy of a tag that does not exist fails, and the model corrects itself", async () => {
  const { bot, target } = setup();
  const { model, thread } = await runScript(
    [
      { intent: "deploy_backend", tag: "v1.6.0", environment: "staging" },
      { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
      { intent: "done_for_now", message: "v1.6.0 does not exist; deployed v1.5.0." },
    ],
    "deploy v1.6.0 to staging",
    bot,
  );

  assert.equal(thread.status, "done");
  const [error] = eventsOfType(thread, "error");
  assert.equal(error?.source, "tool");
  assert.equal(error?.intent, "deploy_backend");
  assert.match(error?.message ?? "", /Tag "v1\.6\.0" does not exist\. Known tags: v1\.5\.0, v1\.4\.1, v1\.4\.0\./);
  // The model's next request carries the error…
  assert.match(contextOf(model.requests[1]), /<error>\nintent: deploy_backend\nmessage: .*v1\.6\.0.*does not exist/);
  // …and once it succeeds the error is resolved and leaves the context.
  assert.doesNotMatch(contextOf(model.requests[2]), /<error>/);
  assert.equal(thread.consecutiveErrors, 0);
  assert.equal(target.running.staging, "v1.5.0");
});

test("an environment the tool does not know is caught before anything runs, and the model retries", async () => {
  const { bot, target } = setup();
  const { model, thread } = await runScript(
    [
      { intent: "deploy_backend", tag: "v1.5.0", environment: "prod" },
      { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    ],
    "ship v1.5.0 to prod",
    bot,
  );
  const [error] = eventsOfType(thread, "error");
  assert.equal(error?.source, "model_output");
  assert.match(error?.message ?? "", /Invalid arguments for "deploy_backend": environment: /);
  assert.equal(target.requests, 0);
  assert.equal(model.requests.length, 2);
  // The corrected call is a production deploy: it waits for approval like any other.
  assert.equal(thread.status, "awaiting_approval");
});

test("a flaky deploy that fails twice self-heals on the third try", async () => {
  const { bot, target } = setup();
  target.failNextDeploys(2);
  const deploy = { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" };
  const { thread } = await runScript(
    [deploy, deploy, deploy, { intent: "done_for_now", message: "Deployed on the third try." }],
    "deploy v1.5.0 to staging",
    bot,
  );

  assert.equal(thread.status, "done");
  assert.equal(eventsOfType(thread, "error").length, 2);
  assert.equal(target.requests, 3);
  assert.equal(target.running.staging, "v1.5.0");
});

test("three failed deploys in a row escalate to a person, whose answer resumes the bot", async () => {
  const { bot, target } = setup();
  target.failNextDeploys(3);
  const deploy = { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" };
  const model = new ScriptedModel([
    deploy,
    deploy,
    deploy,
    // What the model does after the person answers.
    { intent: "rollback_backend", environment: "staging" },
    { intent: "done_for_now", message: "Gave up on v1.5.0; staging is unchanged." },
  ]);
  let thread = await bot.run(bot.start("deploy v1.5.0 to staging", { clock }), { model, clock });

  assert.equal(model.requests.length, 3, "the bot stops asking the model after 3 consecutive errors");
  assert.equal(thread.status, "awaiting_human");
  const escalation = thread.pending[0]!;
  assert.equal(escalation.kind === "question" && escalation.reason, "escalation");
  assert.equal(escalation.kind === "question" && escalation.urgency, "high");
  assert.match(
    escalation.kind === "question" ? escalation.question : "",
    /3 consecutive errors; the last one: Deploy failed: health check timed out/,
  );
  assert.equal(target.running.staging, "v1.4.1");

  thread = bot.respond(thread, escalation.callId, "Stop deploying v1.5.0; leave staging as it is.", { actor: "oncall" });
  assert.equal(thread.consecutiveErrors, 0, "a person's answer resets the count");
  thread = await bot.run(thread, { model, clock });

  const seen = contextOf(model.requests[3]);
  assert.match(seen, /<escalation>\nquestion: /);
  assert.match(seen, /<human_response>\nfrom: oncall\nStop deploying v1\.5\.0; leave staging as it is\.\n<\/human_response>/);
  // Staging never changed, so there is nothing to roll back: that error is the model's to read.
  assert.match(eventsOfType(thread, "error").at(-1)?.message ?? "", /Nothing to roll back to in staging/);
  assert.equal(thread.status, "done");
});

test("the exported deploybot works over its sample systems", async () => {
  assert.equal(deploybot.name, "deploybot");
  assert.deepEqual(
    deploybot.tools.map((tool) => tool.intent),
    ["list_git_tags", "deploy_backend", "rollback_backend", "check_health", "request_human_input", "done_for_now"],
  );
  assert.equal(sampleTags.length, 3);
  const before = deployTarget.running.staging;
  const model = new ScriptedModel([{ intent: "deploy_backend", tag: "v1.5.0", environment: "production" }]);
  const thread = await deploybot.run(deploybot.start("ship it", { clock }), { model, clock });
  assert.equal(thread.status, "awaiting_approval");
  assert.equal(deployTarget.running.staging, before);
  assert.equal(deployTarget.running.production, "v1.4.1");
});

test("after a production deploy it waits 10 minutes, checks health (chosen by its own plan), and only then says it is done", async () => {
  const { bot, target } = setup();
  const model = new ScriptedModel([
    { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    { intent: "done_for_now", message: "v1.5.0 is live on production." },
  ]);
  let thread = await bot.run(bot.start("ship v1.5.0 to production", { clock }), { model, clock });
  thread = bot.approve(thread, thread.pending[0]!.callId, { actor: "lee" });
  thread = await bot.run(thread, { model, clock });
  const deployed = eventsOfType(thread, "tool_result").find((event) => event.intent === "deploy_backend")!;
  assert.equal(thread.status, "waiting");
  assert.deepEqual(
    thread.state.timers.map((timer) => [timer.until, timer.reason]),
    [[new Date(Date.parse(deployed.at) + settleMs).toISOString(), "production settles on v1.5.0 before its health check"]],
  );
  assert.equal(
    eventsOfType(thread, "tool_result").filter((event) => event.intent === "check_health").length,
    0,
    "no check before the wait",
  );
  thread = await settle(bot, thread, model);
  assert.equal(thread.status, "done");
  const types = thread.events.map((event) => event.type);
  const check = eventsOfType(thread, "tool_result").find((event) => event.intent === "check_health");
  assert.deepEqual(check?.result, { environment: "production", tag: "v1.5.0", healthy: true, detail: "all checks pass." });
  assert.match(check?.callId ?? "", /^plan_/, "the check was chosen by code, not the model");
  assert.ok(thread.events.indexOf(check!) < types.lastIndexOf("done"), "the check comes before done");
  assert.equal(model.requests.length, 2, "the check cost no model call");
  assert.equal(target.running.production, "v1.5.0");
});

test("an unhealthy production after a deploy is not done: the model reads why, rolls back, and is done once healthy", async () => {
  const { bot, target } = setup();
  target.markUnhealthy("v1.5.0");
  const model = new ScriptedModel([
    { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    { intent: "done_for_now", message: "v1.5.0 is live." },
    { intent: "rollback_backend", environment: "production" },
    { intent: "done_for_now", message: "Rolled back to v1.4.1: v1.5.0 was unhealthy." },
  ]);
  let thread = await bot.run(bot.start("ship v1.5.0 to production", { clock }), { model, clock });
  thread = bot.approve(thread, thread.pending[0]!.callId, { actor: "lee" });
  thread = await bot.run(thread, { model, clock });
  // The deploy settles, its check fails, the model rolls back; the rollback settles and passes.
  thread = await settle(bot, thread, model);
  thread = await settle(bot, thread, model);
  assert.equal(thread.status, "done");
  assert.match(
    contextOf(model.requests[2]),
    /Not done: production is unhealthy after v1\.5\.0: error rate 12% \(limit 1%\) since the deploy\. Roll back, or ask a person\./,
  );
  const checks = eventsOfType(thread, "tool_result").filter((event) => event.intent === "check_health");
  assert.deepEqual(
    checks.map((event) => (event.result as { healthy: boolean; tag: string }).tag),
    ["v1.5.0", "v1.4.1"],
  );
  assert.equal(target.running.production, "v1.4.1");
  const done = eventsOfType(thread, "done");
  assert.equal(done.length, 1);
  assert.equal(done[0]?.message, "Rolled back to v1.4.1: v1.5.0 was unhealthy.");
});

test("a staging deploy finishes without a health check", async () => {
  const { model, thread } = await runScript(
    [
      { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
      { intent: "done_for_now", message: "On staging." },
    ],
    "v1.5.0 to staging",
  );
  assert.equal(thread.status, "done");
  assert.equal(model.requests.length, 2);
  assert.equal(eventsOfType(thread, "tool_result").filter((event) => event.intent === "check_health").length, 0);
});
