/** The public surface of @agentfold/evals, pinned: a change to it is deliberate. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as evals from "../src/index.ts";

test("the runtime exports of @agentfold/evals", () => {
  assert.deepEqual(Object.keys(evals).sort(), [
    "approximately",
    "assertRecordable",
    "caseThread",
    "cassettePath",
    "checkStep",
    "defaultEvalPattern",
    "defineEval",
    "describePattern",
    "escapeXml",
    "evalCase",
    "evalModels",
    "expectPromptSnapshot",
    "exportCase",
    "findEvalFiles",
    "formatCost",
    "isEvalSuite",
    "judgePrompt",
    "judgeStep",
    "junitReport",
    "lineDiff",
    "loadEvalFile",
    "loadThreadFile",
    "matchArgs",
    "oneOf",
    "progressBar",
    "renderPromptText",
    "runEvals",
    "summarize",
    "textReport",
    "updateSnapshotsVariable",
    "validateSuite",
  ]);
});

test("matchArgs: nested objects, arrays, missing keys and oneOf, each failure with its path", () => {
  assert.deepEqual(evals.matchArgs({ a: { b: [1, 2] }, c: "x" }, { a: { b: [1, 2] } }), []);
  assert.deepEqual(evals.matchArgs({ a: { b: [1, 3] } }, { a: { b: [1, 2] } }), ["a.b[1]: expected 2, got 3"]);
  assert.deepEqual(evals.matchArgs({ a: [1] }, { a: [1, 2] }), ["a: expected 2 items, got 1: [1]"]);
  assert.deepEqual(evals.matchArgs({}, { a: 1 }), ["a: missing (expected 1)"]);
  assert.deepEqual(evals.matchArgs({ a: "1" }, { a: 1 }), ['a: expected 1, got "1"']);
  assert.deepEqual(evals.matchArgs({ a: 3, b: 4 }, evals.oneOf({ a: 4, b: 3 }, { a: 3, b: 4 })), []);
  assert.deepEqual(evals.matchArgs({ a: 3, b: 5 }, evals.oneOf({ a: 4, b: 3 }), {}, "args"), [
    'args: expected one of {"a":4,"b":3}, got {"a":3,"b":5}',
  ]);
  assert.deepEqual(evals.matchArgs(null, { a: 1 }), ["expected an object, got null"]);
});
