/**
 * `agentfold test`: runs eval files (`*.eval.ts`). Each case runs N times against the model; the
 * report shows the pass rate per case with tokens, cost and latency, and the exit code says whether
 * every case reached the threshold. `--record` and `--replay` keep a cassette next to each eval file.
 */
import { dirname, relative, resolve } from "node:path";
import type { Command } from "commander";
import type { CassetteMode, EvalReport, LoadedSuite } from "@agentfold/evals";
import { CliError, ExitCode } from "../exit-codes.ts";
import { commandName } from "../command-name.ts";
import { typeScriptUnsupported } from "../load-agents.ts";
import { modelSpec } from "../load-model.ts";
import type { CommandContext } from "./context.ts";
import { absoluteModelSpec } from "./shared.ts";
// Not imported: see load-agents.ts.
const { mkdirSync, writeFileSync } = process.getBuiltinModule("node:fs");

const reporters = ["text", "json", "junit"] as const;
type Reporter = (typeof reporters)[number];

interface TestOptions {
  model?: string;
  runs: string;
  concurrency: string;
  threshold: string;
  reporter?: string;
  output?: string;
  record?: boolean;
  replay?: boolean;
  price?: string;
  json?: boolean;
}

function wholeNumber(text: string, name: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new CliError(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}.`);
  }
  return value;
}

function parseThreshold(text: string): number {
  const trimmed = text.trim();
  const value = trimmed.endsWith("%") ? Number(trimmed.slice(0, -1)) / 100 : Number(trimmed);
  if (trimmed === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new CliError(`--threshold must be a pass rate from 0 to 1 (or 0% to 100%), e.g. --threshold 0.9, got ${JSON.stringify(text)}.`);
  }
  return value;
}

function parsePrice(text: string | undefined): { inputPerMillionTokens: number; outputPerMillionTokens: number } | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(",").map((part) => Number(part.trim()));
  if (parts.length !== 2 || parts.some((part) => !Number.isFinite(part) || part < 0)) {
    throw new CliError(
      `--price takes the USD price per million input and output tokens, e.g. --price 0.15,0.6, got ${JSON.stringify(text)}.`,
    );
  }
  return { inputPerMillionTokens: parts[0]!, outputPerMillionTokens: parts[1]! };
}

function parseReporter(options: TestOptions): Reporter {
  if (options.json) {
    if (options.reporter !== undefined && options.reporter !== "json")
      throw new CliError(`--json and --reporter ${options.reporter} disagree; pick one.`);
    return "json";
  }
  const reporter = options.reporter ?? "text";
  if (!(reporters as readonly string[]).includes(reporter))
    throw new CliError(`Unknown reporter ${JSON.stringify(reporter)}. Use one of: ${reporters.join(", ")}.`);
  return reporter as Reporter;
}

type Evals = typeof import("@agentfold/evals");

function render(
  { junitReport, textReport }: Evals,
  report: EvalReport,
  reporter: Reporter,
  paint?: (style: "green" | "red" | "yellow" | "gray" | "bold", text: string) => string,
): string {
  if (reporter === "json") return `${JSON.stringify(report, null, 2)}\n`;
  if (reporter === "junit") return junitReport(report);
  return `${textReport(report, paint ? { paint } : {})}\n`;
}

/** Adds `test` to the program. */
export function registerTestCommand(program: Command, context: CommandContext): void {
  program
    .command("test")
    .description(
      "Run eval files (*.eval.ts): each case is a thread plus what the next step must be. Every case runs --runs times; the command fails (exit 6) when a case passes less often than --threshold.",
    )
    .argument("[patterns...]", "eval files, directories or globs (default: **/*.eval.ts, outside node_modules)")
    .option("-m, --model <spec>", "the model under test (else AGENTFOLD_MODEL, else the default model)")
    .option("--runs <n>", "runs per case", "1")
    .option("--concurrency <n>", "runs in flight at once", "4")
    .option("--threshold <rate>", "the pass rate every case must reach, 0..1 or a percentage", "0.9")
    .option("--reporter <name>", `report format: ${reporters.join(", ")} (default text)`)
    .option("-o, --output <file>", "write the report to a file (then a text summary goes to stdout)")
    .option("--record", "call the model and save every exchange as a cassette next to each eval file")
    .option("--replay", "answer from the cassettes next to the eval files: offline, same adapter code")
    .option("--price <input,output>", "USD per million input and output tokens of --model, for the cost column")
    .option("--json", "the same as --reporter json")
    .addHelpText(
      "after",
      `
A case passes a run when every check of its expectation holds for the step the model chose: the
intent, the arguments (deep partial, numbers within a tolerance, regular expressions), custom
predicates and model-graded questions.

Exit codes: 0 every case reached the threshold; 6 a case did not; 2 bad input (no eval files, an
invalid case, a missing cassette); 1 unexpected error.

Examples:
  $ agentfold test --model openai:gpt-4o-mini --runs 5
  $ agentfold test examples/calculator --model ollama:qwen2.5 --runs 10 --threshold 0.8
  $ agentfold test --model openai:gpt-4o-mini --record        # save cassettes next to the evals
  $ agentfold test --replay --reporter junit -o evals.junit.xml   # offline, for CI
  $ agentfold test "evals/**/*.eval.ts" --model anthropic:claude-haiku-4-5 --price 1,5`,
    )
    .action(async (patterns: string[], options: TestOptions) => {
      const reporter = parseReporter(options);
      const out = context.output(reporter === "json" && options.output === undefined);
      const runs = wholeNumber(options.runs, "--runs", 10_000);
      const concurrency = wholeNumber(options.concurrency, "--concurrency", 256);
      const threshold = parseThreshold(options.threshold);
      const price = parsePrice(options.price);
      if (options.record && options.replay)
        throw new CliError("--record and --replay exclude each other: record once with a real model, then replay.");
      const mode: CassetteMode = options.record ? "record" : options.replay ? "replay" : "live";
      // With --replay the cassette names the model; only an explicit --model is compared with it.
      const spec = absoluteModelSpec(mode === "replay" ? options.model : modelSpec(options.model, context.env), context.cwd);

      // Loaded by this command only: the other commands start without the eval runner.
      const evals = await import("@agentfold/evals");
      const { evalModels, findEvalFiles, junitReport, loadEvalFile, progressBar, runEvals, textReport } = evals;
      const files = await findEvalFiles(patterns, context.cwd);
      for (const file of files) {
        const unsupported = typeScriptUnsupported(file, relative(context.cwd, file) || file);
        if (unsupported) throw new CliError(unsupported);
      }
      const suites: LoadedSuite[] = [];
      for (const file of files) suites.push(...(await loadEvalFile(file, context.cwd)));
      const models = await evalModels({ mode, env: context.env, ...(spec === undefined ? {} : { spec }), ...(price ? { price } : {}) });
      // Resolve every suite's model first: a missing cassette fails before any case runs.
      for (const suite of suites) models.modelFor(suite);

      const bar = progressBar(context.stderr);
      let report: EvalReport;
      try {
        report = await runEvals(suites, {
          model: (suite) => models.modelFor(suite),
          judgeModel: (judgeSpec, suite) => models.judgeModel(judgeSpec, suite),
          runs,
          concurrency,
          threshold,
          onProgress: (progress) => bar.update(progress),
        });
      } finally {
        bar.stop();
      }

      if (options.output !== undefined) {
        const path = resolve(context.cwd, options.output);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, render(evals, report, reporter));
        out.line(textReport(report, { paint: (style, text) => out.paint(style, text) }));
        out.line(out.paint("gray", `${reporter} report written to ${options.output}`));
      } else if (reporter === "text") {
        out.line(textReport(report, { paint: (style, text) => out.paint(style, text) }));
      } else if (reporter === "json") {
        out.data(report);
      } else {
        out.line(junitReport(report).trimEnd());
      }
      if (mode === "record" && !out.json)
        out.line(out.paint("gray", `cassettes saved next to the eval files; replay them with: ${commandName()} test --replay`));
      context.exitCode = report.passed ? ExitCode.ok : ExitCode.belowThreshold;
    });
}
