/**
 * The calculator's evals, checked without a real model: a scripted stand-in that answers each case
 * the way a good model would passes every case, and one that always finishes at once fails the cases
 * it should. This tests the cases (their threads end where the model decides, their checks tell
 * right from wrong); how well a real model does is what `agentfold test --model <spec>` measures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ModelRequest } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { runEvals } from "@agentfold/evals";
import suite from "./calculator.eval.ts";

/** The rendered thread the model received. */
function threadText(request: ModelRequest): string {
  return request.messages.at(-1)!.content;
}

/** Answers like a careful model: by what the thread says so far. */
function standIn(request: ModelRequest): unknown {
  const text = threadText(request);
  if (text.includes("lets try 12 instead")) return { intent: "multiply", a: 3, b: 12 };
  if (text.includes("fe1iiaff10")) return { intent: "request_more_information", question: "What number is fe1iiaff10?" };
  if (text.includes("<add_result>")) return { intent: "done_for_now", message: "The result is 18." };
  if (text.includes("multiply 3 and 4")) return { intent: "multiply", a: 4, b: 3 };
  return { intent: "request_more_information", question: "What would you like me to calculate?" };
}

test("a stand-in that answers like a good model passes every case", async () => {
  const steps = Array.from({ length: 8 }, () => standIn);
  const report = await runEvals([{ suite, name: "calculator" }], { model: new ScriptedModel(steps), runs: 2 });
  assert.deepEqual(
    report.cases.filter((entry) => !entry.ok).map((entry) => [entry.name, entry.results[0]?.failures]),
    [],
  );
  assert.equal(report.cases.length, 5);
});

test("a stand-in that always finishes at once fails the cases that need a question or a calculation", async () => {
  const steps = Array.from({ length: 8 }, () => ({ intent: "done_for_now", message: "Done." }));
  const report = await runEvals([{ suite, name: "calculator" }], { model: new ScriptedModel(steps) });
  assert.deepEqual(
    report.cases.map((entry) => [entry.name, entry.ok]),
    [
      ["hello! asks for more information", false],
      ["multiplies 3 and 4", false],
      ["ends at 18 with done_for_now", false],
      ["asks what fe1iiaff10 means", false],
      ["multiplies by 12 after the clarification", false],
    ],
  );
  assert.match(
    report.cases[2]!.results[0]!.failures[0]!,
    /done_for_now args\.message: expected a string matching \/\\b18\\b\/, got "Done\."/,
  );
});
