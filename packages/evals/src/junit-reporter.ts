/**
 * The report as JUnit XML, the format CI systems (GitHub Actions reporters, GitLab, Jenkins, Azure)
 * read: one `<testsuite>` per eval suite, one `<testcase>` per case. A case below the threshold is
 * a `<failure>` (an `<error>` when every run failed to produce a step); its body lists the failed
 * runs. Pass rate, runs, tokens and cost are `<properties>` of the case.
 */
import type { CaseReport, EvalReport } from "./summarize.ts";

/** Escapes text for XML and drops characters XML 1.0 cannot hold. */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- removing the control characters XML forbids is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;")
      .replaceAll("'", "&apos;")
  );
}

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join("");
}

function seconds(milliseconds: number): string {
  return (milliseconds / 1000).toFixed(3);
}

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

function caseXml(entry: CaseReport, threshold: number, indent: string): string {
  const time = entry.results.reduce((sum, result) => sum + result.latencyMs, 0);
  const properties = [
    ["pass_rate", entry.passRate.toFixed(4)],
    ["runs", entry.runs],
    ["passed_runs", entry.passed],
    ["threshold", threshold],
    ["model", entry.model],
    ["input_tokens", entry.inputTokens],
    ["output_tokens", entry.outputTokens],
    ["judge_tokens", entry.judgeTokens],
    ...(entry.cost === undefined ? [] : [["cost", entry.cost.toFixed(6)]]),
    ["latency_p50_ms", entry.latency.p50Ms],
  ]
    .map(([name, value]) => `${indent}    <property${attributes({ name: String(name), value: String(value) })}/>`)
    .join("\n");
  const failedRuns = entry.results.filter((result) => !result.passed);
  const details = failedRuns.map((result) => `run ${result.run}: ${result.failures.join("; ")}`).join("\n");
  const summary = `pass rate ${percent(entry.passRate)} (${entry.passed}/${entry.runs}) is below the threshold ${percent(threshold)}`;
  let outcome = "";
  if (!entry.ok) {
    const tag = entry.errors === entry.runs ? "error" : "failure";
    const type = tag === "error" ? "ModelCallError" : "BelowThreshold";
    outcome = `\n${indent}  <${tag}${attributes({ message: summary, type })}>${escapeXml(details)}</${tag}>`;
  }
  const output =
    failedRuns.length > 0 && entry.ok
      ? `\n${indent}  <system-out>${escapeXml(`passed at ${percent(entry.passRate)}; failed runs:\n${details}`)}</system-out>`
      : "";
  return (
    `${indent}<testcase${attributes({ name: entry.name, classname: entry.suite, file: entry.file, time: seconds(time) })}>\n` +
    `${indent}  <properties>\n${properties}\n${indent}  </properties>${outcome}${output}\n` +
    `${indent}</testcase>`
  );
}

/**
 * Renders the report as a JUnit XML document.
 *
 * @example
 * writeFileSync("evals.junit.xml", junitReport(report));
 */
export function junitReport(report: EvalReport, name = "agentfold evals"): string {
  const suites = new Map<string, CaseReport[]>();
  for (const entry of report.cases) suites.set(entry.suite, [...(suites.get(entry.suite) ?? []), entry]);
  const failuresOf = (cases: readonly CaseReport[]) => cases.filter((entry) => !entry.ok && entry.errors !== entry.runs).length;
  const errorsOf = (cases: readonly CaseReport[]) => cases.filter((entry) => !entry.ok && entry.errors === entry.runs).length;
  const timeOf = (cases: readonly CaseReport[]) =>
    cases.reduce((sum, entry) => sum + entry.results.reduce((inner, result) => inner + result.latencyMs, 0), 0);
  const body = [...suites.entries()]
    .map(([suite, cases]) => {
      const header = attributes({
        name: suite,
        tests: cases.length,
        failures: failuresOf(cases),
        errors: errorsOf(cases),
        skipped: 0,
        time: seconds(timeOf(cases)),
        timestamp: report.startedAt.replace(/\.\d+Z$/, ""),
        file: cases[0]?.file,
      });
      return `  <testsuite${header}>\n${cases.map((entry) => caseXml(entry, report.threshold, "    ")).join("\n")}\n  </testsuite>`;
    })
    .join("\n");
  const header = attributes({
    name,
    tests: report.cases.length,
    failures: failuresOf(report.cases),
    errors: errorsOf(report.cases),
    time: seconds(report.durationMs),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${header}>\n${body}\n</testsuites>\n`;
}
