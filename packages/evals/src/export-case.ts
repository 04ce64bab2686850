/**
 * Turning a stored thread into an eval file: the events up to a point become the case's thread, and
 * the model decision that followed becomes the expectation. A production mistake becomes a
 * regression test by exporting the thread and correcting `expect`.
 */
import { ConfigurationError, type Event, type Thread, type ToolCall } from "agentfold";
import type { CallPattern, Expectation } from "./define-eval.ts";

export interface ExportCaseOptions {
  thread: Thread;
  /**
   * The event (index, as `agentfold threads show` numbers them) after which the model's next
   * decision is expected. Default: just before the thread's last decision.
   */
  at?: number;
  /** How the eval file imports the agent: a module specifier and the export holding the agent. */
  agentImport: { specifier: string; exportName: string };
  /** The case name. Default: `<thread id> after event #<n>`. */
  name?: string;
}

export interface ExportedCase {
  /** The eval file's source. */
  source: string;
  name: string;
  /** How many events the case's thread has (events #0 to #count-1 of the original). */
  eventCount: number;
  /** The index of the decision that became the expectation. */
  decisionIndex: number;
  expect: Expectation;
}

function withoutTime(event: Event): Record<string, unknown> {
  const { at: _at, ...rest } = event;
  return rest;
}

function findDecision(events: readonly Event[], at: number | undefined, threadId: string): number {
  const decisions = events.flatMap((event, index) => (event.type === "model_decision" ? [index] : []));
  if (decisions.length === 0)
    throw new ConfigurationError(
      `Thread ${threadId} has no model decision, so there is no step to expect. Export a thread in which the model chose at least one step.`,
    );
  if (at === undefined) return decisions.at(-1)!;
  if (!Number.isInteger(at) || at < 0 || at >= events.length) {
    throw new ConfigurationError(
      `--at must be an event number from 0 to ${events.length - 1} (thread ${threadId} has ${events.length} events; see agentfold threads show ${threadId}), got ${at}.`,
    );
  }
  for (let index = at + 1; index < events.length; index += 1) {
    const event = events[index]!;
    if (event.type === "model_decision") return index;
    if (event.type === "error" && event.source !== "tool") {
      throw new ConfigurationError(
        `The model's step after event #${at} was not a decision: event #${index} is an error (${event.message}). ` +
          `Export with --at ${index} to expect the step after it, or write the expected step into the case by hand.`,
      );
    }
  }
  throw new ConfigurationError(
    `No model decision follows event #${at} in thread ${threadId}. Decisions are at events ${decisions.map((index) => `#${index}`).join(", ")}; pick an --at before one of them.`,
  );
}

function expectationOf(calls: readonly ToolCall[]): Expectation {
  if (calls.length === 1) return { intent: calls[0]!.intent, args: calls[0]!.args };
  return { calls: calls.map((call): CallPattern => ({ intent: call.intent, args: call.args })) };
}

function indentJson(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replaceAll("\n", `\n${indent}`);
}

function isIdentifier(name: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(name);
}

/**
 * Writes the source of an eval file with one case from `thread`.
 *
 * @example
 * const { source } = exportCase({ thread, at: 0, agentImport: { specifier: "./agent.ts", exportName: "calculator" } });
 * writeFileSync("regressions/thr_abc.eval.ts", source);
 */
export function exportCase(options: ExportCaseOptions): ExportedCase {
  const { thread, agentImport } = options;
  const events = thread.events;
  const decisionIndex = findDecision(events, options.at, thread.id);
  const decision = events[decisionIndex] as Extract<Event, { type: "model_decision" }>;
  const expect = expectationOf(decision.calls);
  const name = options.name ?? `${thread.id} after event #${decisionIndex - 1}`;
  const binding = agentImport.exportName === "default" || !isIdentifier(agentImport.exportName) ? "agent" : agentImport.exportName;
  const importLine =
    agentImport.exportName === "default"
      ? `import ${binding} from ${JSON.stringify(agentImport.specifier)};`
      : isIdentifier(agentImport.exportName)
        ? `import { ${binding} } from ${JSON.stringify(agentImport.specifier)};`
        : `import { ${JSON.stringify(agentImport.exportName)} as ${binding} } from ${JSON.stringify(agentImport.specifier)};`;
  const caseEvents = events.slice(0, decisionIndex).map(withoutTime);
  // Text inside the doc comment must not close it.
  const model = decision.model ? `, answered by ${decision.model.replaceAll("*/", "* /")}` : "";
  const source = `/**
 * An eval case from thread ${thread.id.replaceAll("*/", "* /")}${thread.agent ? ` (agent ${thread.agent.replaceAll("*/", "* /")})` : ""}.
 * The case is the thread's first ${caseEvents.length} events; the expectation is the step the model
 * took next (event #${decisionIndex}${model}). If that step was a mistake, change \`expect\` to the
 * right one: the case then fails until the agent gets it right.
 *
 * Run it: agentfold test <this file> --model <spec> --runs 5
 */
import type { EvalSuite } from "@agentfold/evals";
${importLine}

const suite: EvalSuite = {
  agent: ${binding},
  cases: [
    {
      name: ${JSON.stringify(name)},
      thread: ${indentJson(caseEvents, "      ")},
      expect: ${indentJson(expect, "      ")},
    },
  ],
};

export default suite;
`;
  return { source, name, eventCount: caseEvents.length, decisionIndex, expect };
}
