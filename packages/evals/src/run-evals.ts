/**
 * The eval runner: every case of every suite runs N times (a fresh decision each time, never a
 * cached one), at most `concurrency` at once. Each run takes the case's thread, asks the agent for
 * the next step with `agent.decide` — the same code path production uses — and checks the step.
 */
import { Thread, type Agent, type Model, type ModelUsage, type ToolCall } from "agentfold";
import type { CaseThread, DecidedStep, EvalCase, EvalSuite } from "./define-eval.ts";
import { checkStep } from "./check-step.ts";
import { summarize, type EvalReport } from "./summarize.ts";

/** A suite with where it came from. */
export interface LoadedSuite {
  suite: EvalSuite;
  /** Names the suite in reports. */
  name: string;
  /** The eval file as shown in reports (relative to the working directory), when loaded from one. */
  file?: string;
  /** The eval file's absolute path: cassettes live next to it. */
  path?: string;
}

/** The outcome of one run of one case. */
export interface RunResult {
  /** 1-based. */
  run: number;
  passed: boolean;
  /** Why the run failed (empty when it passed). */
  failures: string[];
  /** Set when the run could not produce a step at all (the model call failed, a script ran out). */
  error?: string;
  /** The calls the model chose (empty when it produced none). */
  calls: ToolCall[];
  /** Tokens and cost of the model under test. */
  usage: ModelUsage;
  /** Tokens and cost of judge models. */
  judgeUsage: ModelUsage;
  /** Wall time of the decision, in milliseconds. */
  latencyMs: number;
  /** The model that answered. */
  model?: string;
}

/** Where the runner is, for progress bars. */
export interface EvalProgress {
  done: number;
  total: number;
  failed: number;
  /** The run that just finished: `suite › case`. */
  last: string;
}

export interface RunEvalsOptions {
  /** The model under test, or one per suite (e.g. a cassette per eval file). */
  model: Model | ((suite: LoadedSuite) => Model);
  /** Turns a judge's spec string into a model. Default: `resolveModel(spec)` of `@agentfold/models`. */
  judgeModel?: (spec: string, suite: LoadedSuite) => Model;
  /** Runs per case. Default 1. */
  runs?: number;
  /** Runs in flight at once, over all cases. Default 4. */
  concurrency?: number;
  /** The pass rate every case must reach, 0..1. Default 0.9. */
  threshold?: number;
  onProgress?: (progress: EvalProgress) => void;
  signal?: AbortSignal;
}

/** Case threads made from a message or events get this time, so their rendering never changes. */
const caseTime = "2000-01-01T00:00:00.000Z";
const caseClock = { now: () => new Date(caseTime) };

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "case"
  );
}

/**
 * The thread a case starts from. Messages and events become a thread with a fixed id and time, so
 * the model input is the same on every run, in every process (cassettes match on it).
 *
 * @example
 * const thread = caseThread(calculator, "calculator", { name: "greets", thread: "hello!", expect: { intent: "request_more_information" } });
 */
export function caseThread(agent: Agent, suiteName: string, entry: Pick<EvalCase, "name" | "thread">): Thread {
  const source: CaseThread = entry.thread;
  if (source instanceof Thread) return source;
  const id = `eval_${slug(suiteName)}_${slug(entry.name)}`;
  if (typeof source === "string") return Thread.start(source, { id, agent: agent.name, clock: caseClock });
  return Thread.create({ id, agent: agent.name }).append(source, caseClock);
}

function zeroUsage(): ModelUsage {
  return { inputTokens: 0, outputTokens: 0 };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the runner needs for one case, prepared once and shared by its runs. */
interface PreparedCase {
  thread: Thread;
  context: string;
}

async function prepareCase(agent: Agent, suiteName: string, entry: EvalCase, model: Model): Promise<PreparedCase> {
  let thread = caseThread(agent, suiteName, entry);
  // Prefetch and other effects that need no model call run first, as they would in production.
  if (agent.nextAction(thread).type !== "decide") thread = await agent.execute(thread, { model, clock: caseClock });
  const action = agent.nextAction(thread);
  if (action.type !== "decide") {
    const last = thread.lastEvent;
    throw new Error(
      `the thread does not end where the model decides the next step (status ${thread.status}, last event ${last ? last.type : "none"}). ` +
        "End it with a user_input, a tool_result, a human_response or an approval_decision.",
    );
  }
  return { thread, context: agent.render(thread).context };
}

async function runOnce(
  loaded: LoadedSuite,
  entry: EvalCase,
  run: number,
  prepared: Promise<PreparedCase>,
  model: Model,
  judgeModel: (spec: string) => Model,
  signal: AbortSignal | undefined,
): Promise<RunResult> {
  const agent = loaded.suite.agent;
  const result: RunResult = { run, passed: false, failures: [], calls: [], usage: zeroUsage(), judgeUsage: zeroUsage(), latencyMs: 0 };
  let ready: PreparedCase;
  try {
    ready = await prepared;
  } catch (error) {
    result.error = `cannot start the case: ${message(error)}`;
    result.failures.push(result.error);
    return result;
  }
  const started = performance.now();
  let decided: Thread;
  try {
    decided = await agent.decide(ready.thread, { model, ...(signal ? { signal } : {}) });
  } catch (error) {
    result.latencyMs = performance.now() - started;
    result.error = `the model call failed: ${message(error)}`;
    result.failures.push(result.error);
    return result;
  }
  result.latencyMs = performance.now() - started;
  const last = decided.lastEvent;
  if (last?.type === "error") {
    if (last.source === "model_call") result.error = last.message;
    result.failures.push(
      last.source === "model_call" ? last.message : `the model's output was invalid: ${last.message}${last.raw ? ` Raw: ${last.raw}` : ""}`,
    );
    return result;
  }
  if (last?.type !== "model_decision") {
    result.error = `the agent appended ${last?.type ?? "nothing"} instead of a decision`;
    result.failures.push(result.error);
    return result;
  }
  result.calls = last.calls.map((call) => ({ ...call, args: { ...call.args } }));
  if (last.usage)
    result.usage = {
      inputTokens: last.usage.inputTokens,
      outputTokens: last.usage.outputTokens,
      ...(last.usage.cost === undefined ? {} : { cost: last.usage.cost }),
    };
  if (last.model !== undefined) result.model = last.model;
  const step: DecidedStep = { calls: last.calls, call: last.calls[0]!, thread: decided };
  const checked = await checkStep(step, entry.expect, {
    model,
    judgeModel,
    context: ready.context,
    id: `${loaded.name}/${entry.name}/${run}`,
    ...(signal ? { signal } : {}),
  });
  result.failures.push(...checked.failures);
  result.judgeUsage = checked.judgeUsage;
  result.passed = result.failures.length === 0;
  return result;
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${value}.`);
  return value;
}

/**
 * Runs the suites and returns the report: pass rate, tokens, cost and latency per case.
 *
 * @example
 * const report = await runEvals([{ suite, name: "calculator" }], { model, runs: 5, concurrency: 4, threshold: 0.8 });
 * report.passed; // every case reached 80%
 */
export async function runEvals(suites: readonly LoadedSuite[], options: RunEvalsOptions): Promise<EvalReport> {
  const runs = positiveInteger(options.runs, "runs", 1);
  const concurrency = positiveInteger(options.concurrency, "concurrency", 4);
  const threshold = options.threshold ?? 0.9;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be between 0 and 1, got ${threshold}.`);
  const startedAt = new Date();
  const started = performance.now();

  const judges = new Map<string, Model>();
  const judgeFor =
    (loaded: LoadedSuite) =>
    (spec: string): Model => {
      const key = `${loaded.file ?? loaded.name}\n${spec}`;
      let judge = judges.get(key);
      if (!judge) {
        if (!options.judgeModel)
          throw new Error(
            `a judge names the model "${spec}"; pass judgeModel to runEvals (agentfold test does) or give the judge a Model.`,
          );
        judge = options.judgeModel(spec, loaded);
        judges.set(key, judge);
      }
      return judge;
    };

  interface Job {
    loaded: LoadedSuite;
    entry: EvalCase;
    run: number;
    prepared: () => Promise<PreparedCase>;
    model: Model;
    results: RunResult[];
  }
  const jobs: Job[] = [];
  const perCase: Array<{ loaded: LoadedSuite; entry: EvalCase; model: Model; results: RunResult[] }> = [];
  for (const loaded of suites) {
    const model = typeof options.model === "function" ? options.model(loaded) : options.model;
    for (const entry of loaded.suite.cases) {
      const results: RunResult[] = [];
      let preparation: Promise<PreparedCase> | undefined;
      const prepared = () => (preparation ??= prepareCase(loaded.suite.agent, loaded.name, entry, model));
      perCase.push({ loaded, entry, model, results });
      for (let run = 1; run <= runs; run += 1) jobs.push({ loaded, entry, run, prepared, model, results });
    }
  }

  let next = 0;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (next < jobs.length) {
      options.signal?.throwIfAborted();
      const job = jobs[next]!;
      next += 1;
      const result = await runOnce(job.loaded, job.entry, job.run, job.prepared(), job.model, judgeFor(job.loaded), options.signal);
      job.results.push(result);
      done += 1;
      if (!result.passed) failed += 1;
      options.onProgress?.({ done, total: jobs.length, failed, last: `${job.loaded.name} › ${job.entry.name}` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));

  return summarize({
    cases: perCase.map(({ loaded, entry, model, results }) => ({
      suite: loaded.name,
      ...(loaded.file === undefined ? {} : { file: loaded.file }),
      name: entry.name,
      model: model.id,
      results: results.sort((left, right) => left.run - right.run),
    })),
    runs,
    threshold,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - started,
  });
}
