/**
 * The report of an eval run: per case, the pass rate against the threshold, tokens, cost and
 * latency; over all cases, the totals. Plain JSON, so `--reporter json` prints it as is.
 */
import type { RunResult } from "./run-evals.ts";

export interface Latency {
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface CaseReport {
  suite: string;
  file?: string;
  name: string;
  /** The model under test. */
  model: string;
  runs: number;
  passed: number;
  /** passed / runs, 0..1. */
  passRate: number;
  /** Whether the pass rate reaches the threshold. */
  ok: boolean;
  /** Runs that produced no step at all (the model call failed). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  /** Total cost of the model under test and the judges, when the adapters report prices. */
  cost?: number;
  judgeTokens: number;
  latency: Latency;
  results: RunResult[];
}

export interface EvalReport {
  /** Every case reached the threshold. */
  passed: boolean;
  threshold: number;
  /** Runs per case. */
  runs: number;
  startedAt: string;
  durationMs: number;
  cases: CaseReport[];
  totals: {
    cases: number;
    casesBelowThreshold: number;
    runs: number;
    runsPassed: number;
    inputTokens: number;
    outputTokens: number;
    judgeTokens: number;
    cost?: number;
  };
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index]!;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function sumCost(values: ReadonlyArray<number | undefined>): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : known.reduce((sum, value) => sum + value, 0);
}

/**
 * Builds the report from the runs of every case.
 *
 * @example
 * const report = summarize({ cases: [{ suite: "calc", name: "adds", model: "script:x", results }], runs: 2, threshold: 0.9, startedAt, durationMs: 10 });
 * report.cases[0].passRate; // 0.5 when one of two runs passed
 */
export function summarize(input: {
  cases: ReadonlyArray<{ suite: string; file?: string; name: string; model: string; results: RunResult[] }>;
  runs: number;
  threshold: number;
  startedAt: string;
  durationMs: number;
}): EvalReport {
  const cases: CaseReport[] = input.cases.map((entry) => {
    const { results } = entry;
    const passed = results.filter((result) => result.passed).length;
    const passRate = results.length === 0 ? 0 : passed / results.length;
    const latencies = results.map((result) => result.latencyMs).sort((left, right) => left - right);
    const cost = sumCost(results.flatMap((result) => [result.usage.cost, result.judgeUsage.cost]));
    return {
      suite: entry.suite,
      ...(entry.file === undefined ? {} : { file: entry.file }),
      name: entry.name,
      model: entry.model,
      runs: results.length,
      passed,
      passRate,
      // A small epsilon keeps 9/10 at a 0.9 threshold from failing on floating point.
      ok: passRate + 1e-12 >= input.threshold,
      errors: results.filter((result) => result.error !== undefined).length,
      inputTokens: results.reduce((sum, result) => sum + result.usage.inputTokens, 0),
      outputTokens: results.reduce((sum, result) => sum + result.usage.outputTokens, 0),
      ...(cost === undefined ? {} : { cost }),
      judgeTokens: results.reduce((sum, result) => sum + result.judgeUsage.inputTokens + result.judgeUsage.outputTokens, 0),
      latency: {
        meanMs: round(latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length)),
        p50Ms: round(percentile(latencies, 0.5)),
        p95Ms: round(percentile(latencies, 0.95)),
        maxMs: round(latencies.at(-1) ?? 0),
      },
      results,
    };
  });
  const cost = sumCost(cases.map((entry) => entry.cost));
  return {
    passed: cases.every((entry) => entry.ok),
    threshold: input.threshold,
    runs: input.runs,
    startedAt: input.startedAt,
    durationMs: round(input.durationMs),
    cases,
    totals: {
      cases: cases.length,
      casesBelowThreshold: cases.filter((entry) => !entry.ok).length,
      runs: cases.reduce((sum, entry) => sum + entry.runs, 0),
      runsPassed: cases.reduce((sum, entry) => sum + entry.passed, 0),
      inputTokens: cases.reduce((sum, entry) => sum + entry.inputTokens, 0),
      outputTokens: cases.reduce((sum, entry) => sum + entry.outputTokens, 0),
      judgeTokens: cases.reduce((sum, entry) => sum + entry.judgeTokens, 0),
      ...(cost === undefined ? {} : { cost }),
    },
  };
}
