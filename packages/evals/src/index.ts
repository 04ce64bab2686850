/**
 * `@agentfold/evals`: test prompts the way you test code. A case is a thread plus what the next step
 * must be; the runner asks the model N times and reports the pass rate per case.
 *
 * @example
 * import { defineEval, approximately } from "@agentfold/evals";
 * export default defineEval({
 *   agent: calculator,
 *   cases: [{ name: "multiplies", thread: "can you multiply 3 and 4?", expect: { intent: "multiply", args: { a: 3, b: 4 } } }],
 * });
 */

// Defining evals
export {
  defineEval,
  evalCase,
  isEvalSuite,
  validateSuite,
  loadThreadFile,
  type EvalSuite,
  type EvalCase,
  type CaseThread,
  type Expectation,
  type CallPattern,
  type JudgeCheck,
  type StepPredicate,
  type DecidedStep,
} from "./define-eval.ts";
export { matchArgs, approximately, oneOf, describePattern, type ArgsPattern, type ValueMatcher } from "./match-args.ts";
export { checkStep, type StepCheck, type CheckOptions } from "./check-step.ts";
export { judgeStep, judgePrompt, type Verdict } from "./judge.ts";

// Running evals
export { runEvals, caseThread, type LoadedSuite, type RunResult, type RunEvalsOptions, type EvalProgress } from "./run-evals.ts";
export { findEvalFiles, loadEvalFile, defaultEvalPattern } from "./eval-files.ts";
export { evalModels, cassettePath, assertRecordable, type EvalModels, type EvalModelsOptions, type CassetteMode } from "./eval-models.ts";

// Reports
export { summarize, type EvalReport, type CaseReport, type Latency } from "./summarize.ts";
export { textReport, formatCost, type Paint } from "./text-reporter.ts";
export { junitReport, escapeXml } from "./junit-reporter.ts";
export { progressBar, type ProgressBar } from "./progress-bar.ts";

// Prompt snapshots
export {
  expectPromptSnapshot,
  renderPromptText,
  updateSnapshotsVariable,
  type PromptSnapshotOptions,
  type SnapshotOutcome,
} from "./prompt-snapshot.ts";
export { lineDiff } from "./line-diff.ts";

// Threads to cases
export { exportCase, type ExportCaseOptions, type ExportedCase } from "./export-case.ts";
