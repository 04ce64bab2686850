/**
 * The runner with scripted models: pass-rate arithmetic, the threshold, concurrency, every kind of
 * check, and runs that produce no step.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Model, ModelRequest } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { approximately, defineEval, runEvals, type EvalSuite, type LoadedSuite } from "../src/index.ts";
import { mathAgent } from "./fixtures/agent.ts";

const right = { intent: "multiply", a: 3, b: 4 };
const wrong = { intent: "add", a: 3, b: 4 };

function alternating(): ScriptedModel {
  let calls = 0;
  return new ScriptedModel([() => (calls++ % 2 === 0 ? right : wrong)], { usage: { inputTokens: 100, outputTokens: 10, cost: 0.001 } });
}

function suiteOf(suite: EvalSuite, name = "math"): LoadedSuite[] {
  return [{ suite, name }];
}

const multiplies = defineEval({
  agent: mathAgent,
  cases: [{ name: "multiplies", thread: "multiply 3 and 4", expect: { intent: "multiply", args: { a: 3, b: 4 } } }],
});

describe("pass rates", () => {
  test("a model that alternates right and wrong passes 50% of 10 runs; tokens, cost and failures add up", async () => {
    const report = await runEvals(suiteOf(multiplies), { model: alternating(), runs: 10, concurrency: 3, threshold: 0.9 });
    const [entry] = report.cases;
    assert.ok(entry);
    assert.equal(entry.runs, 10);
    assert.equal(entry.passed, 5);
    assert.equal(entry.passRate, 0.5);
    assert.equal(entry.ok, false);
    assert.equal(report.passed, false);
    assert.equal(entry.inputTokens, 1000);
    assert.equal(entry.outputTokens, 100);
    assert.ok(Math.abs(entry.cost! - 0.01) < 1e-12);
    assert.deepEqual(
      entry.results.map((result) => result.run),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    const failed = entry.results.filter((result) => !result.passed);
    assert.equal(failed.length, 5);
    assert.match(failed[0]!.failures[0]!, /intent: expected multiply, got add\(\{"a":3,"b":4\}\)/);
    assert.equal(report.totals.runs, 10);
    assert.equal(report.totals.runsPassed, 5);
    assert.equal(report.totals.casesBelowThreshold, 1);
  });

  test("the threshold decides: 50% passes at 0.5 and fails at 0.51; 9 of 10 passes at 0.9", async () => {
    assert.equal((await runEvals(suiteOf(multiplies), { model: alternating(), runs: 4, threshold: 0.5 })).passed, true);
    assert.equal((await runEvals(suiteOf(multiplies), { model: alternating(), runs: 4, threshold: 0.51 })).passed, false);
    let calls = 0;
    const nineOfTen = new ScriptedModel([() => (calls++ === 0 ? wrong : right)]);
    const report = await runEvals(suiteOf(multiplies), { model: nineOfTen, runs: 10, threshold: 0.9 });
    assert.equal(report.cases[0]?.passRate, 0.9);
    assert.equal(report.passed, true);
  });

  test("never more runs in flight than --concurrency, and every run is a fresh model call", async () => {
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const slow: Model = {
      specificationVersion: "v1",
      id: "slow",
      async generate() {
        calls += 1;
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return { output: right };
      },
    };
    const report = await runEvals(suiteOf(multiplies), { model: slow, runs: 12, concurrency: 3 });
    assert.equal(calls, 12);
    assert.equal(most, 3);
    assert.equal(report.cases[0]?.passed, 12);
    assert.ok(report.cases[0]!.latency.p50Ms >= 4, `latency ${JSON.stringify(report.cases[0]!.latency)}`);
  });
});

describe("checks", () => {
  const checked = (expect: EvalSuite["cases"][number]["expect"], reply: unknown, thread: EvalSuite["cases"][number]["thread"] = "go") =>
    runEvals(suiteOf({ agent: mathAgent, cases: [{ name: "case", thread, expect }] }), { model: new ScriptedModel([reply]) }).then(
      (report) => report.cases[0]!.results[0]!,
    );

  test("args: deep partial, numeric tolerance, regular expressions and functions", async () => {
    assert.equal((await checked({ intent: "multiply", args: { a: 3 } }, { intent: "multiply", a: 3, b: 99 })).passed, true);
    assert.equal((await checked({ args: { a: approximately(0.33, 0.01) } }, { intent: "add", a: 1 / 3, b: 1 })).passed, true);
    assert.equal((await checked({ args: { a: 0.3 }, tolerance: 0.05 }, { intent: "add", a: 0.33, b: 1 })).passed, true);
    const regex = await checked(
      { intent: "done_for_now", args: { message: /\b18\b/ } },
      { intent: "done_for_now", message: "the answer is 17" },
    );
    assert.equal(regex.passed, false);
    assert.deepEqual(regex.failures, ['done_for_now args.message: expected a string matching /\\b18\\b/, got "the answer is 17"']);
    const custom = await checked(
      {
        args: {
          b: function even(value: unknown) {
            return typeof value === "number" && value % 2 === 0;
          },
        },
      },
      { intent: "add", a: 1, b: 3 },
    );
    assert.deepEqual(custom.failures, ["add args.b: expected a value passing even, got 3"]);
    const missing = await checked({ intent: "multiply", args: { a: 3, b: 4 } }, { intent: "multiply", a: 3, b: 5 });
    assert.deepEqual(missing.failures, ["multiply args.b: expected 4, got 5"]);
  });

  test("a /g regular expression gives the same answer on every run", async () => {
    const suite = defineEval({
      agent: mathAgent,
      cases: [{ name: "mentions 18", thread: "go", expect: { intent: "done_for_now", args: { message: /18/g } } }],
    });
    const model = new ScriptedModel([{ intent: "done_for_now", message: "the answer is 18" }]);
    const report = await runEvals(suiteOf(suite), { model, runs: 4, concurrency: 1 });
    assert.equal(report.cases[0]!.passed, 4);
  });

  test("intent lists and several calls: one call must match intent and args; calls matches all, in any order", async () => {
    const both = [
      { intent: "add", a: 1, b: 2 },
      { intent: "multiply", a: 3, b: 4 },
    ];
    assert.equal((await checked({ intent: "multiply", args: { a: 3 } }, both)).passed, true);
    assert.equal((await checked({ intent: ["ask", "done_for_now"] }, { intent: "ask", question: "which?" })).passed, true);
    assert.equal((await checked({ calls: [{ intent: "multiply", args: { a: 3, b: 4 } }, { intent: "add" }] }, both)).passed, true);
    const short = await checked({ calls: [{ intent: "multiply" }] }, both);
    assert.match(short.failures[0]!, /calls: expected 1 \(multiply\), got 2/);
  });

  test("custom predicates: false, a string and a throw fail with a reason; true passes", async () => {
    const reply = { intent: "done_for_now", message: "3 * 4 = 12" };
    assert.equal((await checked({ satisfies: (step) => step.call.args.message === "3 * 4 = 12" }, reply)).passed, true);
    const failures = (
      await checked(
        {
          satisfies: [
            { name: "short", test: (step) => String(step.call.args.message).length < 5 || "the message is too long" },
            function polite() {
              return false;
            },
            {
              name: "throws",
              test: () => {
                throw new Error("boom");
              },
            },
          ],
        },
        reply,
      )
    ).failures;
    assert.deepEqual(failures, [
      "short: the message is too long",
      'polite: returned false for done_for_now({"message":"3 * 4 = 12"})',
      "throws: threw boom",
    ]);
  });

  test("a judge model answers yes or no with a reason; its tokens are counted apart", async () => {
    const judgeRequests: ModelRequest[] = [];
    const judge = new ScriptedModel(
      [
        (request: ModelRequest) => {
          judgeRequests.push(request);
          const said = request.messages.at(-1)!.content;
          return said.includes("= 12")
            ? { intent: "verdict", answer: "yes", reason: "it says 12" }
            : '{"answer": "no", "reason": "no 12 in it"}';
        },
      ],
      { usage: { inputTokens: 50, outputTokens: 5 } },
    );
    const suite: EvalSuite = {
      agent: mathAgent,
      cases: [
        {
          name: "mentions",
          thread: "multiply 3 and 4",
          expect: { intent: "done_for_now", judge: { question: "Does the message give the result 12?", model: judge } },
        },
      ],
    };
    let calls = 0;
    const model = new ScriptedModel([() => ({ intent: "done_for_now", message: calls++ === 0 ? "3 * 4 = 12" : "I could not do it" })]);
    const report = await runEvals(suiteOf(suite), { model, runs: 2, concurrency: 1 });
    const [first, second] = report.cases[0]!.results;
    assert.equal(first?.passed, true);
    assert.deepEqual(second?.failures, ['judge "Does the message give the result 12?": no — no 12 in it']);
    assert.equal(report.cases[0]!.judgeTokens, 110);
    assert.match(
      judgeRequests[0]!.messages.at(-1)!.content,
      /<user_input>[\s\S]*multiply 3 and 4[\s\S]*Question: Does the message give the result 12\?/,
    );
  });

  test("a judge named by spec goes through judgeModel; without one the error says what to pass", async () => {
    const suite: EvalSuite = {
      agent: mathAgent,
      cases: [{ name: "judged", thread: "hi", expect: { judge: { question: "Is it polite?", model: "openai:gpt-4o-mini" } } }],
    };
    const model = new ScriptedModel([{ intent: "done_for_now", message: "hello" }]);
    const missing = await runEvals(suiteOf(suite), { model });
    assert.match(missing.cases[0]!.results[0]!.failures[0]!, /pass judgeModel to runEvals/);
    const seen: string[] = [];
    const judged = await runEvals(suiteOf(suite), {
      model,
      judgeModel: (spec) => {
        seen.push(spec);
        return new ScriptedModel(['{"answer": "yes", "reason": "it greets"}']);
      },
    });
    assert.equal(judged.passed, true);
    assert.deepEqual(seen, ["openai:gpt-4o-mini"]);
  });
});

describe("runs without a step", () => {
  test("invalid model output fails the run with the parser's message; a failed call is an error", async () => {
    const invalid = await runEvals(suiteOf(multiplies), { model: new ScriptedModel(["I think you should multiply"]) });
    const result = invalid.cases[0]!.results[0]!;
    assert.equal(result.passed, false);
    assert.equal(result.error, undefined);
    assert.match(result.failures[0]!, /the model's output was invalid: The reply was not JSON/);

    const failing: Model = {
      specificationVersion: "v1",
      id: "down",
      generate: async () => {
        throw new Error("connection refused");
      },
    };
    const down = await runEvals(suiteOf(multiplies), { model: failing, runs: 2 });
    assert.equal(down.cases[0]!.errors, 2);
    assert.match(down.cases[0]!.results[0]!.error!, /connection refused/);
  });

  test("a script that runs out is an error on every run, not a crash", async () => {
    const suite: EvalSuite = {
      agent: mathAgent,
      cases: [
        {
          name: "second turn",
          thread: [
            { type: "user_input", text: "hi" },
            { type: "model_decision", calls: [{ callId: "c1", intent: "ask", args: { question: "what?" } }] },
            {
              type: "human_request",
              callId: "c1",
              reason: "question",
              question: "what?",
              urgency: "low",
              format: "free_text",
              intent: "ask",
            },
            { type: "human_response", callId: "c1", text: "add 1 and 2", actor: "me" },
          ],
          expect: { intent: "add" },
        },
      ],
    };
    const report = await runEvals(suiteOf(suite), { model: new ScriptedModel([right]), runs: 2 });
    assert.equal(report.cases[0]!.errors, 2);
    assert.match(report.cases[0]!.results[0]!.error!, /has 1 steps, but thread .* asked for model call 2/);
  });

  test("a thread that waits for a person cannot be a case: the failure says how to end it", async () => {
    const suite: EvalSuite = {
      agent: mathAgent,
      cases: [
        {
          name: "waiting",
          thread: [
            { type: "user_input", text: "hi" },
            { type: "model_decision", calls: [{ callId: "c1", intent: "ask", args: { question: "what?" } }] },
          ],
          expect: { intent: "add" },
        },
      ],
    };
    const report = await runEvals(suiteOf(suite), { model: new ScriptedModel([right]) });
    assert.match(report.cases[0]!.results[0]!.failures[0]!, /does not end where the model decides the next step \(status awaiting_human/);
  });
});

describe("definitions", () => {
  test("defineEval rejects unknown intents, duplicate names and empty expectations, naming the case", () => {
    assert.throws(
      () => defineEval({ agent: mathAgent, cases: [{ name: "x", thread: "hi", expect: { intent: "divide" } }] }),
      /case 1 \(x\): agent "math" has no intent "divide"\. Its intents: add, multiply, ask, done_for_now/,
    );
    assert.throws(
      () =>
        defineEval({
          agent: mathAgent,
          cases: [
            { name: "x", thread: "hi", expect: { intent: "add" } },
            { name: "x", thread: "hi", expect: { intent: "add" } },
          ],
        }),
      /the name "x" is used twice/,
    );
    assert.throws(() => defineEval({ agent: mathAgent, cases: [{ name: "x", thread: "hi", expect: {} }] }), /"expect" checks nothing/);
    assert.throws(() => defineEval({ agent: mathAgent, cases: [] }), /non-empty array/);
  });
});
