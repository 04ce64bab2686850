/**
 * The reports: JUnit XML that a JUnit parser (junit2json, on xml2js in strict mode) reads back with
 * the right counts, and the text report's lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse, type TestSuites } from "junit2json";
import { ScriptedModel } from "agentfold/testing";
import { escapeXml, junitReport, runEvals, textReport, type EvalSuite } from "../src/index.ts";
import { mathAgent } from "./fixtures/agent.ts";

const suite: EvalSuite = {
  agent: mathAgent,
  cases: [
    { name: "multiplies <3 & 4>", thread: "multiply 3 and 4", expect: { intent: "multiply", args: { a: 3, b: 4 } } },
    { name: 'says "done"', thread: "that is all", expect: { intent: "done_for_now", args: { message: /bye/ } } },
  ],
};

function model(): ScriptedModel {
  let calls = 0;
  return new ScriptedModel(
    [
      (request: { messages: ReadonlyArray<{ content: string }> }) => {
        if (request.messages.at(-1)!.content.includes("that is all"))
          return { intent: "done_for_now", message: 'bye \u0007 <now> & "then"' };
        return calls++ % 4 === 0 ? { intent: "add", a: 3, b: 4 } : { intent: "multiply", a: 3, b: 4 };
      },
    ],
    { usage: { inputTokens: 10, outputTokens: 2, cost: 0.0001 } },
  );
}

test("JUnit XML parses with a JUnit parser: one suite, a testcase per case, failures counted", async () => {
  const report = await runEvals([{ suite, name: "math", file: "evals/math.eval.ts" }], {
    model: model(),
    runs: 4,
    concurrency: 1,
    threshold: 0.9,
  });
  const xml = junitReport(report);
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
  const parsed = (await parse(xml)) as TestSuites;
  assert.equal(parsed.tests, 2);
  assert.equal(parsed.failures, 1);
  assert.equal(parsed.errors, 0);
  const [only] = parsed.testsuite ?? [];
  assert.equal(only?.name, "math");
  assert.equal(only?.tests, 2);
  assert.equal(only?.failures, 1);
  const [multiplies, done] = only?.testcase ?? [];
  assert.equal(multiplies?.name, "multiplies <3 & 4>");
  assert.equal(multiplies?.classname, "math");
  assert.equal(multiplies?.failure?.[0]?.message, "pass rate 75% (3/4) is below the threshold 90%");
  assert.match(multiplies?.failure?.[0]?.inner ?? "", /run 1: intent: expected multiply, got add\(\{"a":3,"b":4\}\)/);
  assert.equal(done?.name, 'says "done"');
  assert.equal(done?.failure, undefined);
  assert.ok(!xml.includes("\u0007"), "control characters are dropped");
});

test("a case whose every run failed to call the model is an <error>", async () => {
  const down = { specificationVersion: "v1" as const, id: "down", generate: async () => Promise.reject(new Error("ECONNREFUSED")) };
  const report = await runEvals([{ suite, name: "math" }], { model: down, runs: 2 });
  const parsed = (await parse(junitReport(report))) as TestSuites;
  assert.equal(parsed.errors, 2);
  assert.equal(parsed.failures, 0);
  assert.match(parsed.testsuite?.[0]?.testcase?.[0]?.error?.[0]?.inner ?? "", /ECONNREFUSED/);
});

test("escapeXml escapes markup and drops what XML 1.0 cannot hold", () => {
  assert.equal(escapeXml(`<a b="c">&'\u0000\uFFFF`), "&lt;a b=&quot;c&quot;&gt;&amp;&apos;");
});

test("the text report: a line per case with pass rate, tokens, cost and latency; reasons under failures", async () => {
  const report = await runEvals([{ suite, name: "math", file: "evals/math.eval.ts" }], { model: model(), runs: 4, concurrency: 1 });
  const text = textReport(report);
  const lines = text.split("\n");
  assert.match(lines[0]!, /^math {2}\(evals\/math\.eval\.ts · script:inline · 4 runs per case\)$/);
  assert.match(lines[1]!, /✗ multiplies <3 & 4>\s+3\/4\s+75%\s+48 tok\s+\$0\.00040\s+p50 \d+ ms/);
  assert.match(lines[2]!, /run 1: intent: expected multiply, got add/);
  assert.match(lines[3]!, /✓ says "done"\s+4\/4\s+100%/);
  assert.match(lines.at(-1)!, /^1 of 2 cases below 90% · 7\/8 runs passed · 96 tokens · \$0\.00080 · /);
});
