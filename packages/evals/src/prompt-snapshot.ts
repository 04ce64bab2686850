/**
 * Prompt snapshots: the exact model input `agent.render(thread)` produces, saved as a text file next
 * to the test. A change to the prompt, the context renderer or a tool's description then shows up as
 * a diff in review, and a test fails until the new snapshot is accepted.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { AssertionError } from "node:assert";
import { fileURLToPath } from "node:url";
import type { Agent, OutputMode, Thread } from "agentfold";
import { lineDiff } from "./line-diff.ts";

/** The environment variable that accepts new snapshots. */
export const updateSnapshotsVariable = "AGENTFOLD_UPDATE_SNAPSHOTS";

export interface PromptSnapshotOptions {
  /** Output mode to render for (the default prompt differs by mode). Default: the agent's, else `prompt`. */
  mode?: OutputMode;
  /** Where update and CI settings are read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** What happened to the snapshot. */
export type SnapshotOutcome = "matched" | "written" | "updated";

/**
 * The text a snapshot file holds: each message under a header with its role, then the token count.
 *
 * @example
 * renderPromptText(calculator, calculator.start("hello!"));
 */
export function renderPromptText(agent: Agent, thread: Thread, mode?: OutputMode): string {
  const rendered = agent.render(thread, mode === undefined ? {} : { mode });
  const blocks = rendered.messages.map((message) => `===== ${message.role} =====\n${message.content.replace(/\n*$/, "")}`);
  return `${blocks.join("\n\n")}\n\n===== ${rendered.tokens} tokens in ${rendered.messages.length} messages =====\n`;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

/**
 * Compares `agent.render(thread)` with the snapshot file and throws an `AssertionError` with a line
 * diff when they differ. `AGENTFOLD_UPDATE_SNAPSHOTS=1` writes the new text instead. A missing file is
 * written — except under `CI=true`, where it is a failure, so a snapshot is never silently made in CI.
 *
 * @example
 * test("the calculator's prompt", () => {
 *   expectPromptSnapshot(calculator, calculator.start("hello!"), new URL("./prompt.snapshot.txt", import.meta.url));
 * });
 */
export function expectPromptSnapshot(
  agent: Agent,
  thread: Thread,
  file: string | URL,
  options: PromptSnapshotOptions = {},
): SnapshotOutcome {
  const env = options.env ?? process.env;
  const path = file instanceof URL ? fileURLToPath(file) : file;
  const actual = renderPromptText(agent, thread, options.mode);
  const update = truthy(env[updateSnapshotsVariable]);
  if (!existsSync(path)) {
    if (truthy(env.CI) && !update) {
      throw new AssertionError({
        message: `The prompt snapshot ${path} does not exist. Create it locally (run the test once, or with ${updateSnapshotsVariable}=1), review it and commit it; CI never writes snapshots.`,
        actual,
        expected: undefined,
        operator: "expectPromptSnapshot",
      });
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return "written";
  }
  const expected = readFileSync(path, "utf8").replaceAll("\r\n", "\n");
  if (expected === actual) return "matched";
  if (update) {
    writeFileSync(path, actual);
    return "updated";
  }
  throw new AssertionError({
    message:
      `The prompt of agent "${agent.name}" changed (snapshot ${path}).\n` +
      `If the change is intended, accept it with ${updateSnapshotsVariable}=1 and commit the file.\n\n${lineDiff(expected, actual)}`,
    actual,
    expected,
    operator: "expectPromptSnapshot",
  });
}
