/**
 * `defineEval`: an agent and the cases it must pass. A case is a thread (a user message, inline
 * events, or a thread file) plus what the NEXT step must look like. The definition is checked when
 * it is made, so a typo in a case fails before any model is called.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigurationError, Thread, type Agent, type Model, type NewEvent, type ToolCall } from "agentfold";
import { THREAD_SCHEMA_VERSION } from "agentfold/runtime";
import type { ArgsPattern } from "./match-args.ts";

/** Where a case's thread comes from: a user message, events (`at` optional), or a loaded thread. */
export type CaseThread = string | readonly NewEvent[] | Thread;

/** The step the model took, as checks see it. */
export interface DecidedStep {
  /** Every call of the decision, in the order the model gave them. */
  calls: readonly ToolCall[];
  /** The first call: most steps have exactly one. */
  call: ToolCall;
  /** The thread with the decision appended. */
  thread: Thread;
}

/**
 * A custom check. Return `true` (or nothing) to pass, `false` or a string saying what is wrong to
 * fail; a thrown error fails too, with its message.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a predicate that only asserts returns nothing, typed `void`
export type StepPredicate = (step: DecidedStep) => boolean | string | void | Promise<boolean | string | void>;

/** A model-graded check: another model answers `question` about the step with yes or no. */
export interface JudgeCheck {
  /** A yes/no question about the step, e.g. "Does the message tell the user the result is 18?". */
  question: string;
  /** The judge: a `Model`, or a spec string. Default: the model under test. */
  model?: Model | string;
  /** Names the check in reports. Default: the question. */
  name?: string;
}

/** One call the step must contain: its intent, and (optionally) a pattern for its arguments. */
export interface CallPattern {
  intent: string;
  args?: ArgsPattern;
}

/** What the next step must look like. Every field given must hold. */
export interface Expectation {
  /** The intent of a call in the step (one of several when given a list). */
  intent?: string | readonly string[];
  /**
   * A deep-partial pattern for the arguments of that call: listed keys must match, others are
   * ignored. Values may be literals, `RegExp`s (for strings), `approximately(n, tolerance)` or
   * functions `(value) => boolean`.
   */
  args?: ArgsPattern;
  /** Exactly these calls, in any order (for steps with several calls). */
  calls?: readonly CallPattern[];
  /** Absolute tolerance for every number in `args` and `calls`. Default 1e-9. */
  tolerance?: number;
  /** Custom checks, by function or `{ name, test }`. */
  satisfies?: StepPredicate | { name: string; test: StepPredicate } | ReadonlyArray<StepPredicate | { name: string; test: StepPredicate }>;
  /** Model-graded checks. */
  judge?: JudgeCheck | readonly JudgeCheck[];
}

export interface EvalCase {
  /** Names the case in reports; unique within its suite. */
  name: string;
  thread: CaseThread;
  expect: Expectation;
}

export interface EvalSuite {
  agent: Agent;
  /** Names the suite in reports. Default: the agent's name (or the eval file's name). */
  name?: string;
  cases: readonly EvalCase[];
}

const suiteMark = Symbol.for("agentfold.evalSuite");

/**
 * Checks a suite: an agent, named cases with known intents, valid patterns. Throws a
 * `ConfigurationError` that names the case and what to fix.
 *
 * @example
 * validateSuite({ agent: calculator, cases: [{ name: "greets", thread: "hello!", expect: { intent: "request_more_information" } }] });
 */
export function validateSuite(suite: EvalSuite, where = "defineEval"): EvalSuite {
  if (suite === null || typeof suite !== "object")
    throw new ConfigurationError(`${where}: expected { agent, cases }, got ${String(suite)}.`);
  const agent = suite.agent as Partial<Agent> | undefined;
  if (!agent || typeof agent.name !== "string" || typeof agent.decide !== "function" || typeof agent.render !== "function") {
    throw new ConfigurationError(`${where}: "agent" must be an agent made with defineAgent().`);
  }
  if (!Array.isArray(suite.cases) || suite.cases.length === 0) {
    throw new ConfigurationError(`${where}: "cases" must be a non-empty array of { name, thread, expect }.`);
  }
  const intents = new Set(agent.tools!.map((tool) => tool.intent));
  const known = [...intents].join(", ");
  const names = new Set<string>();
  for (const [index, entry] of suite.cases.entries()) {
    const label = `${where}, case ${index + 1}`;
    if (!entry || typeof entry.name !== "string" || entry.name.trim() === "")
      throw new ConfigurationError(`${label}: give the case a non-empty "name".`);
    if (names.has(entry.name))
      throw new ConfigurationError(`${label}: the name ${JSON.stringify(entry.name)} is used twice; case names must be unique.`);
    names.add(entry.name);
    const thread = entry.thread;
    if (!(typeof thread === "string" || Array.isArray(thread) || thread instanceof Thread)) {
      throw new ConfigurationError(
        `${label} (${entry.name}): "thread" must be a user message, an array of events, or a Thread (see loadThreadFile).`,
      );
    }
    const expect = entry.expect;
    if (!expect || typeof expect !== "object")
      throw new ConfigurationError(
        `${label} (${entry.name}): "expect" is missing; say what the next step must be, e.g. { intent: "multiply" }.`,
      );
    const checks = ["intent", "args", "calls", "satisfies", "judge"].filter(
      (key) => (expect as Record<string, unknown>)[key] !== undefined,
    );
    if (checks.length === 0)
      throw new ConfigurationError(
        `${label} (${entry.name}): "expect" checks nothing; give at least one of intent, args, calls, satisfies, judge.`,
      );
    const wanted = [
      ...(expect.intent === undefined ? [] : typeof expect.intent === "string" ? [expect.intent] : expect.intent),
      ...(expect.calls ?? []).map((call: CallPattern) => call.intent),
    ];
    for (const intent of wanted) {
      if (!intents.has(intent))
        throw new ConfigurationError(`${label} (${entry.name}): agent "${agent.name}" has no intent "${intent}". Its intents: ${known}.`);
    }
    if (expect.tolerance !== undefined && !(expect.tolerance >= 0))
      throw new ConfigurationError(`${label} (${entry.name}): "tolerance" must be a number >= 0.`);
    for (const judge of expect.judge === undefined ? [] : Array.isArray(expect.judge) ? expect.judge : [expect.judge as JudgeCheck]) {
      if (typeof judge?.question !== "string" || judge.question.trim() === "")
        throw new ConfigurationError(`${label} (${entry.name}): a judge check needs a yes/no "question".`);
    }
  }
  return suite;
}

/**
 * Defines an eval suite: the default export of an `*.eval.ts` file, run by `agentfold test`.
 *
 * @example
 * export default defineEval({
 *   agent: calculator,
 *   cases: [
 *     { name: "multiplies", thread: "can you multiply 3 and 4?", expect: { intent: "multiply", args: { a: 3, b: 4 } } },
 *   ],
 * });
 */
export function defineEval<T extends EvalSuite>(suite: T): T {
  validateSuite(suite);
  Object.defineProperty(suite, suiteMark, { value: true });
  return suite;
}

/**
 * Names a case with its types checked; the same as writing the object inline.
 *
 * @example
 * const greets = evalCase({ name: "greets", thread: "hello!", expect: { intent: "request_more_information" } });
 */
export function evalCase(entry: EvalCase): EvalCase {
  return entry;
}

/** Whether a module export looks like an eval suite (made with `defineEval` or written as a plain object). */
export function isEvalSuite(value: unknown): value is EvalSuite {
  if (value === null || typeof value !== "object") return false;
  if ((value as Record<symbol, unknown>)[suiteMark] === true) return true;
  const candidate = value as Partial<EvalSuite>;
  return Array.isArray(candidate.cases) && typeof candidate.agent === "object" && candidate.agent !== null;
}

/**
 * Loads a stored thread file (the JSON of `Thread.toJSON()` or `agentfold threads show --json`) as a
 * case's thread. Resolve paths next to the eval file with `new URL("./x.json", import.meta.url)`.
 *
 * @example
 * thread: loadThreadFile(new URL("./fixtures/ends-at-18.json", import.meta.url)),
 */
export function loadThreadFile(file: string | URL): Thread {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigurationError(
      `Cannot read the thread file ${path}: ${(error as Error).message}. Pass new URL("./file.json", import.meta.url) for a file next to the eval.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`The thread file ${path} is not JSON: ${(error as Error).message}`);
  }
  // `agentfold threads show --json` prints the events of the current version without the version field.
  if (value !== null && typeof value === "object" && !("schemaVersion" in value) && Array.isArray((value as { events?: unknown }).events)) {
    const shown = value as { id?: unknown; agent?: unknown; events: unknown[] };
    value = {
      schemaVersion: THREAD_SCHEMA_VERSION,
      id: typeof shown.id === "string" ? shown.id : "thr_eval",
      ...(typeof shown.agent === "string" ? { agent: shown.agent } : {}),
      events: shown.events,
    };
  }
  return Thread.fromJSON(value);
}
