/**
 * The calculator's default prompt, snapshotted: a change to the prompt, the context renderer or a
 * tool's description shows up as a diff of `calculator-prompt.snapshot.txt` in review. Accept an
 * intended change with AGENTFOLD_UPDATE_SNAPSHOTS=1.
 */
import { test } from "node:test";
import { expectPromptSnapshot } from "@agentfold/evals";
import { calculator } from "./agent.ts";

test("the calculator's default prompt for a first message", () => {
  expectPromptSnapshot(
    calculator,
    calculator.start("can you multiply 3 and 4?"),
    new URL("./calculator-prompt.snapshot.txt", import.meta.url),
  );
});
