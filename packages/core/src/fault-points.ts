/**
 * Fault points: named places where a process can be made to die (SIGKILL) or to throw after a commit,
 * so crash recovery is tested against the real product, not a model of it. Armed by
 * `AGENTFOLD_FAULT=<point>[:probability]` (several, comma-separated); `commit-then-throw:<point>[:probability]`
 * throws `FaultInjectedError` instead of killing, to test retries of a commit whose outcome the caller
 * did not learn. The variable is read once, when this module loads; unset, a fault point costs one
 * boolean check. See docs/faults.md.
 *
 * This file is in core's main entry, which loads no `node:*` module: the environment is read through
 * `globalThis.process`, and `process.kill` is a global.
 */
import { AgentfoldError, ConfigurationError } from "./errors.ts";

/** Every fault point, in the order a tool step meets them. */
export const faultPointNames = [
  /** The model replied; its decision is not committed yet. */
  "model-replied",
  /** A call's `tool_started` is committed; the tool has not run. */
  "tool-started",
  /** The tool ran; its result is not committed yet. */
  "tool-ran",
  /** Inside a SQLite group commit: the batch is written, the COMMIT not yet run. */
  "group-commit",
  /** A person's change or a launch is committed; the HTTP reply is not sent. */
  "before-reply",
  /** A lease renewal was granted by the store. */
  "lease-renewal",
  /** A cancel is committed; the work it stops is not aborted yet. */
  "cancel",
] as const;

export type FaultPointName = (typeof faultPointNames)[number];

/** What happens at an armed point: the process dies, or the caller gets an error after the commit. */
export type FaultMode = "kill" | "commit-then-throw";

export interface ArmedFault {
  mode: FaultMode;
  /** From 0 to 1: the chance that each pass through the point fires. */
  probability: number;
}

/** Thrown at a point armed with `commit-then-throw:`: what came before it is committed. */
export class FaultInjectedError extends AgentfoldError {
  readonly point: FaultPointName;
  constructor(point: FaultPointName) {
    super("fault_injected", `AGENTFOLD_FAULT: injected failure at "${point}", after its commit.`);
    this.point = point;
  }
}

/**
 * Parses an `AGENTFOLD_FAULT` value. Throws `ConfigurationError` naming the valid points for an
 * unknown point, and for a probability that is not a number from 0 to 1.
 *
 * @example
 * parseFaultSpec("tool-started:0.5,commit-then-throw:group-commit");
 * // Map { "tool-started" => { mode: "kill", probability: 0.5 }, "group-commit" => { mode: "commit-then-throw", probability: 1 } }
 */
export function parseFaultSpec(text: string): Map<FaultPointName, ArmedFault> {
  const armed = new Map<FaultPointName, ArmedFault>();
  for (const part of text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)) {
    const fields = part.split(":");
    const mode: FaultMode = fields[0] === "commit-then-throw" ? "commit-then-throw" : "kill";
    if (mode === "commit-then-throw") fields.shift();
    const [name = "", probabilityText, ...rest] = fields;
    if (!(faultPointNames as readonly string[]).includes(name)) {
      throw new ConfigurationError(
        `AGENTFOLD_FAULT names an unknown fault point "${name}" (in "${part}"). Valid points: ${faultPointNames.join(", ")}; write <point>[:probability] or commit-then-throw:<point>[:probability], comma-separated.`,
      );
    }
    // Number("") is 0: an empty probability ("tool-started:") is a typo, not "never".
    const probability = probabilityText === undefined ? 1 : probabilityText.trim() === "" ? Number.NaN : Number(probabilityText);
    if (rest.length > 0 || !(probability >= 0 && probability <= 1)) {
      throw new ConfigurationError(
        `AGENTFOLD_FAULT: "${part}" has an invalid probability; write a number from 0 to 1 after the point, e.g. "${name}:0.5", or none for always.`,
      );
    }
    armed.set(name as FaultPointName, { mode, probability });
  }
  return armed;
}

const spec = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.AGENTFOLD_FAULT;
const armedFaults = spec ? parseFaultSpec(spec) : undefined;
const anyArmed = armedFaults !== undefined && armedFaults.size > 0;

/**
 * Fires the fault armed at `point`, if any: kills the process with SIGKILL, or (commit-then-throw)
 * throws `FaultInjectedError`. Where a point has a commit in the middle, the caller passes `stage`:
 * a kill fires at `"before-commit"`, a throw at `"after-commit"`; elsewhere both fire at the one call.
 *
 * @example
 * faultPoint("group-commit", "before-commit");
 * db.exec("COMMIT");
 * faultPoint("group-commit", "after-commit");
 */
export function faultPoint(point: FaultPointName, stage?: "before-commit" | "after-commit"): void {
  if (!anyArmed) return;
  fire(point, stage);
}

function fire(point: FaultPointName, stage: "before-commit" | "after-commit" | undefined): void {
  const armed = armedFaults!.get(point);
  if (!armed) return;
  if (armed.mode === "kill" ? stage === "after-commit" : stage === "before-commit") return;
  if (armed.probability < 1 && !(Math.random() < armed.probability)) return;
  if (armed.mode === "commit-then-throw") throw new FaultInjectedError(point);
  const processObject = (globalThis as { process?: { pid: number; kill(pid: number, signal: string): void } }).process;
  processObject?.kill(processObject.pid, "SIGKILL");
}
