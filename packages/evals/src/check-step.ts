/**
 * Checking one decided step against a case's expectation. Returns every reason it fails (not just
 * the first), so one report line says all that was wrong with a run.
 */
import type { Model, ModelUsage, ToolCall } from "agentfold";
import type { CallPattern, DecidedStep, Expectation, JudgeCheck, StepPredicate } from "./define-eval.ts";
import { judgeStep } from "./judge.ts";
import { matchArgs } from "./match-args.ts";

/** The outcome of the checks of one run. */
export interface StepCheck {
  failures: string[];
  /** Tokens and cost the judges used. */
  judgeUsage: ModelUsage;
}

/** How the checks reach judge models. */
export interface CheckOptions {
  /** The model under test: the judge when a check names none. */
  model: Model;
  /** Turns a judge's spec string into a model. */
  judgeModel: (spec: string) => Model;
  /** The rendered thread before the step, shown to judges. */
  context: string;
  /** Identifies the run, e.g. `calculator/multiplies/3`. */
  id: string;
  signal?: AbortSignal;
}

function describeCall(call: ToolCall): string {
  return `${call.intent}(${JSON.stringify(call.args)})`;
}

function describeCalls(calls: readonly ToolCall[]): string {
  return calls.map(describeCall).join(", ");
}

function list<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** The failures of `intent` + `args`: one call must match both. */
function checkIntentAndArgs(expect: Expectation, calls: readonly ToolCall[], tolerance: number): string[] {
  const intents = list(expect.intent);
  const candidates = intents.length === 0 ? calls : calls.filter((call) => intents.includes(call.intent));
  if (candidates.length === 0) {
    const wanted = intents.length === 1 ? intents[0] : `one of ${intents.join(", ")}`;
    return [`intent: expected ${wanted}, got ${describeCalls(calls)}`];
  }
  if (expect.args === undefined) return [];
  let best: string[] | undefined;
  for (const call of candidates) {
    const mismatches = matchArgs(call.args, expect.args, { tolerance }, "args");
    if (mismatches.length === 0) return [];
    if (!best || mismatches.length < best.length) best = mismatches.map((text) => `${call.intent} ${text}`);
  }
  return best ?? [];
}

/** The failures of `calls`: exactly these calls, in any order. */
function checkCalls(patterns: readonly CallPattern[], calls: readonly ToolCall[], tolerance: number): string[] {
  if (patterns.length !== calls.length) {
    return [
      `calls: expected ${patterns.length} (${patterns.map((pattern) => pattern.intent).join(", ")}), got ${calls.length}: ${describeCalls(calls)}`,
    ];
  }
  const unused = [...calls];
  const failures: string[] = [];
  for (const pattern of patterns) {
    const index = unused.findIndex(
      (call) =>
        call.intent === pattern.intent && (pattern.args === undefined || matchArgs(call.args, pattern.args, { tolerance }).length === 0),
    );
    if (index >= 0) {
      unused.splice(index, 1);
      continue;
    }
    const sameIntent = unused.find((call) => call.intent === pattern.intent);
    failures.push(
      sameIntent && pattern.args !== undefined
        ? `calls: ${pattern.intent} ${matchArgs(sameIntent.args, pattern.args, { tolerance }, "args").join("; ")}`
        : `calls: expected a ${pattern.intent} call, got ${describeCalls(calls)}`,
    );
  }
  return failures;
}

async function runPredicate(name: string, test: StepPredicate, step: DecidedStep): Promise<string | undefined> {
  try {
    const result = await test(step);
    if (result === undefined || result === true) return undefined;
    if (result === false) return `${name}: returned false for ${describeCalls(step.calls)}`;
    return `${name}: ${result}`;
  } catch (error) {
    return `${name}: threw ${error instanceof Error ? error.message : String(error)}`;
  }
}

function addUsage(total: ModelUsage, usage: ModelUsage | undefined): void {
  if (!usage) return;
  total.inputTokens += usage.inputTokens;
  total.outputTokens += usage.outputTokens;
  if (usage.cost !== undefined) total.cost = (total.cost ?? 0) + usage.cost;
}

/**
 * Runs every check of `expect` on the step.
 *
 * @example
 * const { failures } = await checkStep(step, { intent: "multiply", args: { a: 3, b: 4 } }, options);
 * failures; // [] when the step was multiply(3, 4)
 */
export async function checkStep(step: DecidedStep, expect: Expectation, options: CheckOptions): Promise<StepCheck> {
  const tolerance = expect.tolerance ?? 1e-9;
  const failures: string[] = [];
  const judgeUsage: ModelUsage = { inputTokens: 0, outputTokens: 0 };
  if (expect.intent !== undefined || expect.args !== undefined) failures.push(...checkIntentAndArgs(expect, step.calls, tolerance));
  if (expect.calls !== undefined) failures.push(...checkCalls(expect.calls, step.calls, tolerance));
  for (const [index, entry] of list(expect.satisfies).entries()) {
    const { name, test } = typeof entry === "function" ? { name: entry.name || `satisfies[${index}]`, test: entry } : entry;
    const failure = await runPredicate(name, test, step);
    if (failure) failures.push(failure);
  }
  for (const check of list<JudgeCheck>(expect.judge)) {
    const name = check.name ?? `judge "${check.question}"`;
    try {
      const model =
        check.model === undefined ? options.model : typeof check.model === "string" ? options.judgeModel(check.model) : check.model;
      const verdict = await judgeStep({
        model,
        question: check.question,
        context: options.context,
        calls: step.calls,
        id: `${options.id}/judge/${check.name ?? check.question}`,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      addUsage(judgeUsage, verdict.usage);
      if (!verdict.passed) failures.push(`${name}: no — ${verdict.reason}`);
    } catch (error) {
      failures.push(`${name}: the judge model failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { failures, judgeUsage };
}
