/**
 * The report as text for a terminal: one line per case with its pass rate, tokens, cost and
 * latency, the reasons of failed runs under it, and a summary line.
 */
import type { CaseReport, EvalReport } from "./summarize.ts";

/** Colours for the text report; the identity function leaves it plain. */
export type Paint = (style: "green" | "red" | "yellow" | "gray" | "bold", text: string) => string;

const plain: Paint = (_style, text) => text;

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

/** A cost with enough digits to be useful for cheap models. */
export function formatCost(cost: number | undefined): string {
  if (cost === undefined) return "–";
  if (cost === 0) return "$0";
  return cost >= 0.01 ? `$${cost.toFixed(2)}` : `$${cost.toPrecision(2)}`;
}

function formatTokens(tokens: number): string {
  return tokens.toLocaleString("en-US");
}

function formatMs(milliseconds: number): string {
  return milliseconds >= 1000 ? `${(milliseconds / 1000).toFixed(1)} s` : `${Math.round(milliseconds)} ms`;
}

function caseLines(entry: CaseReport, paint: Paint, width: number, maxReasons: number): string[] {
  const mark = entry.ok ? paint("green", "✓") : paint("red", "✗");
  const rate = `${entry.passed}/${entry.runs} ${percent(entry.passRate).padStart(6)}`;
  const numbers = `${formatTokens(entry.inputTokens + entry.outputTokens).padStart(9)} tok  ${formatCost(entry.cost).padStart(8)}  p50 ${formatMs(entry.latency.p50Ms)}`;
  const lines = [`  ${mark} ${entry.name.padEnd(width)}  ${entry.ok ? rate : paint("red", rate)}  ${paint("gray", numbers)}`];
  const failed = entry.results.filter((result) => !result.passed);
  for (const result of failed.slice(0, maxReasons)) {
    lines.push(paint("gray", `      run ${result.run}: ${result.failures.join("; ")}`));
  }
  if (failed.length > maxReasons)
    lines.push(paint("gray", `      … and ${failed.length - maxReasons} more failed runs (--reporter json lists all)`));
  return lines;
}

/**
 * Renders the report for people.
 *
 * @example
 * console.log(textReport(report));
 */
export function textReport(report: EvalReport, options: { paint?: Paint; maxReasons?: number } = {}): string {
  const paint = options.paint ?? plain;
  const maxReasons = options.maxReasons ?? 3;
  const lines: string[] = [];
  const suites = new Map<string, CaseReport[]>();
  for (const entry of report.cases) suites.set(entry.suite, [...(suites.get(entry.suite) ?? []), entry]);
  const width = Math.min(48, Math.max(...report.cases.map((entry) => entry.name.length), 4));
  for (const [suite, cases] of suites) {
    const models = [...new Set(cases.map((entry) => entry.model))].join(", ");
    lines.push(
      paint("bold", `${suite}`) +
        paint("gray", `  (${cases[0]?.file ?? "inline"} · ${models} · ${report.runs} run${report.runs === 1 ? "" : "s"} per case)`),
    );
    for (const entry of cases) lines.push(...caseLines(entry, paint, width, maxReasons));
    lines.push("");
  }
  const { totals } = report;
  const verdict = report.passed
    ? paint("green", `${totals.cases} of ${totals.cases} cases at or above ${percent(report.threshold)}`)
    : paint("red", `${totals.casesBelowThreshold} of ${totals.cases} cases below ${percent(report.threshold)}`);
  lines.push(
    `${verdict}${paint("gray", ` · ${totals.runsPassed}/${totals.runs} runs passed · ${formatTokens(totals.inputTokens + totals.outputTokens)} tokens${totals.judgeTokens > 0 ? ` (+${formatTokens(totals.judgeTokens)} judge)` : ""} · ${formatCost(totals.cost)} · ${formatMs(report.durationMs)}`)}`,
  );
  return lines.join("\n");
}
