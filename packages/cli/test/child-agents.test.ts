/**
 * Child agents through the CLI, each command its own process: the commands the CLI prints for a
 * child's request run as printed (no --agents), the child keeps its own model, and its parent goes
 * on; a thread the CLI did not start finds its module in agentfold.config.ts or AGENTFOLD_AGENTS.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createSqliteStore } from "@agentfold/stores";
import { ScriptedModel } from "agentfold/testing";
import { fixtures, runBin, runCli, tempDir } from "./helpers.ts";

const module = join(fixtures, "family.ts");
const script = `script:${join(fixtures, "family.json")}`;

interface Summary {
  id: string;
  status: string;
  pending: { kind: string; callId: string; childThreadId?: string }[];
}

describe("child agents through the CLI", () => {
  const dir = tempDir("family");
  after(() => dir.remove());

  test("approve <child> as threads show prints it finishes the child with its own model, then the parent", async () => {
    const run = await runBin(["run", module, "I want my $20 back", "--model", script, "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const parent = JSON.parse(run.stdout) as Summary;
    const childId = parent.pending[0]!.childThreadId!;

    const shown = await runBin(["threads", "show", childId], { cwd: dir.path });
    assert.equal(shown.code, 0, shown.stderr);
    const printed = shown.stdout.match(/agentfold approve (\S+) (\S+)/);
    assert.ok(printed, shown.stdout);
    assert.equal(printed[1], childId);

    const approved = await runBin(["approve", printed[1]!, printed[2]!, "--json"], { cwd: dir.path });
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal((JSON.parse(approved.stdout) as Summary).id, parent.id);
    assert.equal((JSON.parse(approved.stdout) as Summary).status, "done");
    const child = await runBin(["threads", "show", childId, "--json"], { cwd: dir.path });
    const childThread = JSON.parse(child.stdout) as { status: string; events: { type: string; message?: string }[] };
    assert.equal(childThread.status, "done");
    assert.equal(childThread.events.at(-1)?.message, "refund issued by the refunder");
  });

  test("a thread started elsewhere: approve --no-continue <child> finds its module in AGENTFOLD_AGENTS, resume <parent> in agentfold.config.ts", async () => {
    const project = tempDir("family-config");
    try {
      writeFileSync(join(project.path, "agentfold.config.ts"), `export default { agents: ${JSON.stringify(module)} };\n`);
      // Started as a server would: no record of a module on the thread.
      const db = join(project.path, "agents.db");
      const store = createSqliteStore({ path: db });
      const { default: support } = await import("./fixtures/family.ts");
      const started = support.start("I want my $20 back");
      await store.create(started);
      const model = new ScriptedModel([
        { intent: "refunder", message: "refund $20" },
        { intent: "done_for_now", message: "your refund is on its way" },
      ]);
      const commit = (next: typeof started, previous: typeof started) => store.append(next, { expectedVersion: previous.version });
      const waiting = await support.run(started, { model, threads: store, commit });
      await store.close();
      const item = waiting.pending[0]!;
      assert.ok(item.kind === "child");

      const env = { AGENTFOLD_DB: db, AGENTFOLD_MODEL: script };
      const child = JSON.parse(
        (await runCli(["threads", "show", item.childThreadId, "--json"], { cwd: project.path, env })).stdout,
      ) as Summary;
      const approved = await runBin(["approve", item.childThreadId, child.pending[0]!.callId, "--no-continue", "--json"], {
        cwd: dir.path,
        env: { ...env, AGENTFOLD_AGENTS: module },
      });
      // Recorded only: the child can go on, and its parent will run it.
      assert.equal(approved.stderr, "");
      assert.deepEqual(
        [(JSON.parse(approved.stdout) as Summary).status, (JSON.parse(approved.stdout) as Summary).pending],
        ["running", []],
      );

      const resumed = await runBin(["resume", waiting.id, "--json"], { cwd: project.path, env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal((JSON.parse(resumed.stdout) as Summary).status, "done");
    } finally {
      project.remove();
    }
  });

  test("without --agents, a recorded module or configuration, the error says the three ways to name it", async () => {
    const project = tempDir("family-none");
    try {
      const db = join(project.path, "agents.db");
      const store = createSqliteStore({ path: db });
      const { default: support } = await import("./fixtures/family.ts");
      const started = support.start("hello");
      await store.create(started);
      await store.close();
      const resumed = await runCli(["resume", started.id, "--db", db], { cwd: project.path });
      assert.equal(resumed.code, 2, resumed.stderr);
      assert.match(resumed.stderr, /Pass --agents <module>, set AGENTFOLD_AGENTS=<module>, or write agentfold\.config\.ts/);
    } finally {
      project.remove();
    }
  });
});
