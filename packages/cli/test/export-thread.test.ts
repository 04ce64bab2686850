/**
 * `agentfold threads export --as-eval` finds the thread's agent the way every command does (a thread
 * the CLI did not start included), and says what to do when the agent is not an export it can import.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createSqliteStore } from "@agentfold/stores";
import type { Agent } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { calculatorModule, fixtures, json, runCli, tempDir } from "./helpers.ts";

describe("threads export --as-eval", () => {
  const dir = tempDir("export");
  const db = join(dir.path, "threads.db");
  after(() => dir.remove());

  test("a thread started outside the CLI finds its module in AGENTFOLD_AGENTS and imports the agent's export", async () => {
    const calculator = ((await import(calculatorModule)) as { default: Agent }).default;
    const started = calculator.start("multiply 3 and 4");
    const store = createSqliteStore({ path: db });
    await store.create(started);
    // Run as a server would: no record of a module on the thread.
    const model = new ScriptedModel([
      { intent: "multiply", a: 3, b: 4 },
      { intent: "done_for_now", message: "12" },
    ]);
    const commit = (next: typeof started, previous: typeof started) => store.append(next, { expectedVersion: previous.version });
    await calculator.run(started, { model, threads: store, commit });
    await store.close();
    const result = await runCli(["threads", "export", started.id, "--as-eval", "cases/outside.eval.ts", "--db", db], {
      cwd: dir.path,
      env: { AGENTFOLD_AGENTS: calculatorModule },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      readFileSync(join(dir.path, "cases/outside.eval.ts"), "utf8"),
      /import \{ calculator \} from "[^"]*examples\/calculator\/agent\.ts";/,
    );
  });

  test("a child agent's thread, whose agent the module does not export, is refused with what to do", async () => {
    const run = await runCli(
      [
        "run",
        join(fixtures, "family.ts"),
        "I want my $20 back",
        "--model",
        `script:${join(fixtures, "family.json")}`,
        "--db",
        db,
        "--json",
      ],
      {
        cwd: dir.path,
      },
    );
    assert.equal(run.code, 3, run.stderr);
    const childId = json<{ pending: { childThreadId?: string }[] }>(run).pending[0]!.childThreadId!;
    const result = await runCli(["threads", "export", childId, "--as-eval", "cases/child.eval.ts", "--db", db], { cwd: dir.path });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /is run by agent "refunder", which .*family\.ts does not export \(it is a child agent, reached through its parent's tool\)\. Export it/,
    );
  });
});
