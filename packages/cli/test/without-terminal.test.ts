/**
 * The CLI without a terminal, as scripts and CI use it: run prints what the thread waits for and
 * exits 3; approve / reject / respond continue it; --json output parses.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { calculatorModule, fixtures, json, runCli, tempDir } from "./helpers.ts";

const divideScript = `script:${join(fixtures, "divide.json")}`;
const questionScript = `script:${join(fixtures, "question.json")}`;

interface Summary {
  id: string;
  agent: string;
  status: string;
  version: number;
  pending: Array<{ kind: string; callId: string; intent?: string; args?: Record<string, unknown>; question?: string }>;
  result?: string;
  next: string[];
}

describe("without a terminal", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("plain");
  });
  after(() => dir.remove());

  test("run waits for approval (exit 3, pending and how to continue), approve with edited args finishes (exit 0)", async () => {
    const run = await runCli(["run", calculatorModule, "can you divide 3 by 4", "--model", divideScript], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const id = /thread (thr_\w+)/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    assert.match(run.stdout, /awaiting_approval/);
    assert.match(run.stdout, /call_1_0\s+approve divide \{"a":3,"b":4\}/);
    assert.match(run.stdout, new RegExp(`agentfold approve ${id} call_1_0`));

    const approve = await runCli(["approve", id, "call_1_0", "--args", '{"a": 3, "b": 5}', "--comment", "use 5"], { cwd: dir.path });
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /approved with edited args by cli:tester \{"a":3,"b":5\} "use 5"/);
    assert.match(approve.stdout, /divide → 0\.6/);
    assert.match(approve.stdout, /done\s+\(calculator, 8 events\)/);

    const show = await runCli(["threads", "show", id], { cwd: dir.path });
    assert.equal(show.code, 0);
    assert.match(show.stdout, /#0\s+\S+\s+user \(cli:tester\): can you divide 3 by 4/);
    assert.match(show.stdout, /divide → 0\.6/);

    const again = await runCli(["approve", id, "call_1_0"], { cwd: dir.path });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /not pending .*already decided.*Thread status: done/);
  });

  test("--json: run, approve and reject print parseable state with callIds and next commands", async () => {
    const run = await runCli(["run", calculatorModule, "can you divide 3 by 4", "--model", divideScript, "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const waiting = json<Summary>(run);
    assert.equal(waiting.status, "awaiting_approval");
    assert.equal(waiting.agent, "calculator");
    assert.deepEqual(
      waiting.pending.map((item) => [item.kind, item.callId, item.intent, item.args]),
      [["approval", "call_1_0", "divide", { a: 3, b: 4 }]],
    );
    assert.ok(waiting.next.includes(`agentfold approve ${waiting.id} call_1_0`));

    const approved = json<Summary>(await runCli(["approve", waiting.id, "call_1_0", "--json"], { cwd: dir.path }));
    assert.equal(approved.status, "done");
    assert.equal(approved.result, "I divided as approved.");
    assert.deepEqual(approved.pending, []);

    const second = json<Summary>(
      await runCli(["run", calculatorModule, "divide 3 by 0", "--model", divideScript, "--json"], { cwd: dir.path }),
    );
    const rejected = await runCli(["reject", second.id, "call_1_0", "--comment", "not now", "--json"], { cwd: dir.path });
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal(json<Summary>(rejected).status, "done");
    const shown = json<{ events: Array<{ type: string; approved?: boolean; comment?: string; actor?: string }> }>(
      await runCli(["threads", "show", second.id, "--json"], { cwd: dir.path }),
    );
    const decision = shown.events.find((event) => event.type === "approval_decision");
    assert.deepEqual([decision?.approved, decision?.comment, decision?.actor], [false, "not now", "cli:tester"]);
    assert.equal(
      shown.events.some((event) => event.type === "tool_started"),
      false,
      "a rejected call never runs",
    );
  });

  test("respond answers a question; an explicit --db is repeated in the commands to continue", async () => {
    const db = join(dir.path, "questions.db");
    const run = await runCli(
      ["run", `${join(fixtures, "two-agents.ts")}#helper`, "help me divide", "--model", questionScript, "--db", db, "--json"],
      { cwd: dir.path },
    );
    assert.equal(run.code, 3, run.stderr);
    const waiting = json<Summary>(run);
    assert.equal(waiting.status, "awaiting_human");
    const [question] = waiting.pending;
    assert.equal(question?.kind, "question");
    assert.equal(question?.question, "Which divisor should I use?");
    assert.ok(
      waiting.next.some(
        (command) => command.startsWith(`agentfold respond ${waiting.id} ${question?.callId} `) && command.endsWith(`--db ${db}`),
      ),
      waiting.next.join("\n"),
    );

    const missing = await runCli(["respond", waiting.id, question?.callId ?? "", "4"], { cwd: dir.path });
    assert.equal(missing.code, 2, "the default store does not have this thread");
    assert.match(missing.stderr, /No thread with id/);

    const answered = await runCli(["respond", waiting.id, question?.callId ?? "", "use 4", "--db", db], { cwd: dir.path });
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /answer by cli:tester: use 4/);
    assert.match(answered.stdout, /done: Thanks, noted\./);
  });

  test("threads ls filters, render prints the model input with tokens, fork copies a prefix and resume runs it", async () => {
    const listed = await runCli(["threads", "ls", "--status", "done", "--agent", "calculator", "--json"], { cwd: dir.path });
    assert.equal(listed.code, 0, listed.stderr);
    const page = json<{ threads: Array<{ id: string; status: string; agent: string }> }>(listed);
    assert.ok(page.threads.length >= 2);
    assert.ok(page.threads.every((thread) => thread.status === "done" && thread.agent === "calculator"));
    const id = page.threads[0]?.id ?? "";

    const table = await runCli(["threads", "ls"], { cwd: dir.path });
    assert.match(table.stdout, /^id\s+agent\s+status\s+events\s+updated/m);

    const rendered = await runCli(["threads", "render", id], { cwd: dir.path });
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.match(rendered.stdout, /── system \(\d+ tokens\) ──/);
    assert.match(rendered.stdout, /\d+ tokens in \d+ messages/);
    assert.match(rendered.stdout, /\(mode: prompt, model: script:/);
    type Rendered = { messages: Array<{ role: string; content: string }>; tokens: number; mode: string; model: string };
    const renderedJson = json<Rendered>(await runCli(["threads", "render", id, "--json"], { cwd: dir.path }));
    assert.ok(renderedJson.tokens > 0);
    assert.ok(
      renderedJson.messages.some(
        (message) => message.content.includes("can you divide 3 by 4") || message.content.includes("divide 3 by 0"),
      ),
    );
    assert.equal(renderedJson.mode, "prompt", "the scripted model the thread ran with renders in prompt mode");
    // A model that prefers tool calling gets a different prompt (the tools go as tools, not as text); it is resolved, not called.
    const asTools = json<Rendered>(
      await runCli(["threads", "render", id, "--model", "openai:gpt-4o-mini", "--json"], {
        cwd: dir.path,
        env: { OPENAI_API_KEY: "sk-not-used" },
      }),
    );
    assert.deepEqual([asTools.mode, asTools.model], ["tools", "openai:gpt-4o-mini"]);
    assert.ok(asTools.tokens < renderedJson.tokens, `${asTools.tokens} < ${renderedJson.tokens}`);

    const forked = await runCli(["fork", id, "--at", "1", "--json"], { cwd: dir.path });
    assert.equal(forked.code, 0, forked.stderr);
    const fork = json<Summary & { forkedFrom: string }>(forked);
    assert.equal(fork.forkedFrom, id);
    assert.equal(fork.version, 1);
    assert.equal(fork.status, "running");

    const resumed = await runCli(["resume", fork.id, "--json"], { cwd: dir.path });
    assert.equal(resumed.code, 3, resumed.stderr);
    assert.equal(json<Summary>(resumed).status, "awaiting_approval");

    const badFork = await runCli(["fork", id, "--at", "99"], { cwd: dir.path });
    assert.equal(badFork.code, 2);
    assert.match(badFork.stderr, /Cannot fork thread .* at event 99/);
  });

  test("a failed thread exits 4 and says how to go on; a model that cannot answer exits 2 with the resume command", async () => {
    const invalid = `script:${join(fixtures, "invalid-replies.json")}`;
    const failed = await runCli(["run", `${join(fixtures, "two-agents.ts")}#limited`, "go", "--model", invalid], { cwd: dir.path });
    assert.equal(failed.code, 4, failed.stderr);
    assert.match(failed.stdout, /failed\s+\(limited, 3 events\)/);
    assert.match(failed.stdout, /Reached maxSteps \(1\)/);
    assert.match(failed.stdout, /agentfold message thr_\w+ '<what to do now>'/);

    const exhausted = await runCli(["run", `${join(fixtures, "two-agents.ts")}#helper`, "go", "--model", invalid], { cwd: dir.path });
    assert.equal(exhausted.code, 2);
    assert.match(
      exhausted.stderr,
      /has 1 steps, but thread (thr_\w+) asked for model call 2\. Add a step to the script\. Thread \1 is saved \(2 events\); .*agentfold resume \1/,
    );
  });

  test("message reopens a done thread and runs it again", async () => {
    const model = `script:${join(fixtures, "two-answers.json")}`;
    const first = json<Summary>(
      await runCli(["run", `${join(fixtures, "two-agents.ts")}#helper`, "hello", "--model", model, "--json"], { cwd: dir.path }),
    );
    assert.deepEqual([first.status, first.result], ["done", "first answer"]);
    const second = await runCli(["message", first.id, "and again", "--json"], { cwd: dir.path });
    assert.equal(second.code, 0, second.stderr);
    const summary = json<Summary>(second);
    assert.deepEqual([summary.id, summary.status, summary.result], [first.id, "done", "second answer"]);
  });
});
