/**
 * Printed commands start the way the CLI was started, also in messages written by other packages
 * (`@agentfold/evals`, `@agentfold/models`), which cannot know it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { withCommandName } from "../src/command-name.ts";
import { main } from "../src/main.ts";
import { calculatorModule, captureStream, cleanEnv, fixtures, json, runCli, tempDir } from "./helpers.ts";

describe("command words in printed commands", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("command-name");
  });
  after(() => dir.remove());

  test("withCommandName starts each agentfold command the given way, and only those", () => {
    const name = "npx agentfold";
    assert.equal(
      withCommandName("Record it first: agentfold test a.eval.ts --record.", name),
      "Record it first: npx agentfold test a.eval.ts --record.",
    );
    assert.equal(withCommandName("see agentfold threads show thr_1", name), "see npx agentfold threads show thr_1");
    for (const untouched of [
      "npx agentfold approve thr_1 call_1",
      "./agentfold approve thr_1 call_1",
      "npx @agentfold/cli threads ls",
      "the installed agentfold package",
      "agentfold runner: thread thr_1 failed",
    ]) {
      assert.equal(withCommandName(untouched, name), untouched);
    }
    assert.equal(withCommandName("see agentfold threads show thr_1", "agentfold"), "see agentfold threads show thr_1");
  });

  test("an installed CLI's errors from other packages say npx agentfold", async () => {
    const db = join(dir.path, "threads.db");
    const run = await runCli(
      ["run", calculatorModule, "divide 3 by 4", "--model", `script:${join(fixtures, "divide.json")}`, "--db", db, "--json"],
      {
        cwd: dir.path,
      },
    );
    const { id } = json<{ id: string }>(run);
    const stderr = captureStream();
    const code = await main(["threads", "export", id, "--as-eval", "case.eval.ts", "--at", "99", "--db", db], {
      stdout: captureStream(),
      stderr,
      stdin: { isTTY: false },
      env: cleanEnv(),
      cwd: dir.path,
      invokedAs: "/home/me/my-agent/node_modules/.bin/agentfold",
    });
    assert.equal(code, 2, stderr.text);
    assert.match(stderr.text, new RegExp(`see npx agentfold threads show ${id}\\)`));
  });
});
