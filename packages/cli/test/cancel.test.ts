/**
 * `agentfold cancel`: the API's cancel on a local store — the thread stops, who canceled and why are
 * recorded; a thread that already ended is refused with its status.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createSqliteStore } from "@agentfold/stores";
import type { Agent } from "agentfold";
import { calculatorModule, fixtures, json, runCli, tempDir } from "./helpers.ts";

const divideScript = `script:${join(fixtures, "divide.json")}`;

describe("agentfold cancel", () => {
  let dir: ReturnType<typeof tempDir>;
  let db: string;
  before(() => {
    dir = tempDir("cancel");
    db = join(dir.path, "threads.db");
  });
  after(() => dir.remove());

  async function waitingThread(): Promise<string> {
    const run = await runCli(["run", calculatorModule, "divide 3 by 4", "--model", divideScript, "--db", db, "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    return json<{ id: string }>(run).id;
  }

  test("cancels a waiting thread: exit 0, the state printed, actor and reason stored", async () => {
    const id = await waitingThread();
    const result = await runCli(["cancel", id, "--reason", "wrong numbers", "--db", db], { cwd: dir.path });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`thread ${id}\\s+canceled`));
    assert.match(result.stdout, /✖ wrong numbers/);
    const shown = json<{ status: string; events: Array<{ type: string; actor?: string; reason?: string }> }>(
      await runCli(["threads", "show", id, "--db", db, "--json"], { cwd: dir.path }),
    );
    assert.equal(shown.status, "canceled");
    assert.deepEqual(shown.events.at(-1), { ...shown.events.at(-1), type: "cancel", actor: "cli:tester", reason: "wrong numbers" });
  });

  test("--json prints the canceled thread like the API", async () => {
    const id = await waitingThread();
    const result = await runCli(["cancel", id, "--db", db, "--json"], { cwd: dir.path });
    assert.equal(result.code, 0, result.stderr);
    const summary = json<{ id: string; status: string; pending: unknown[]; next: unknown[] }>(result);
    assert.equal(summary.id, id);
    assert.equal(summary.status, "canceled");
    assert.deepEqual(summary.pending, []);
    assert.deepEqual(summary.next, []);
  });

  test("refuses a thread that already ended, and an unknown thread", async () => {
    const id = await waitingThread();
    assert.equal((await runCli(["cancel", id, "--db", db], { cwd: dir.path })).code, 0);
    const again = await runCli(["cancel", id, "--db", db], { cwd: dir.path });
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`^error: Thread ${id} is already canceled; nothing to cancel\\.`));
    const unknown = await runCli(["cancel", "thr_nope", "--db", db], { cwd: dir.path });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No thread with id "thr_nope"/);
  });

  test("a thread started outside the CLI finds its agent module in AGENTFOLD_AGENTS, like approve does", async () => {
    const calculator = ((await import(calculatorModule)) as { default: Agent }).default;
    const started = calculator.start("multiply 3 and 4");
    const store = createSqliteStore({ path: db });
    await store.create(started);
    await store.close();
    const without = await runCli(["cancel", started.id, "--db", db], { cwd: dir.path });
    assert.equal(without.code, 2);
    assert.match(without.stderr, /AGENTFOLD_AGENTS=<module>/);
    const result = await runCli(["cancel", started.id, "--db", db, "--json"], {
      cwd: dir.path,
      env: { AGENTFOLD_AGENTS: calculatorModule },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json<{ status: string }>(result).status, "canceled");
  });

  test("canceling a child lets its parent go on with the parent's own model: the parent finishes, it does not fail", async () => {
    const family = join(fixtures, "family.ts");
    const run = await runCli(
      ["run", family, "I want my $20 back", "--model", `script:${join(fixtures, "family.json")}`, "--db", db, "--json"],
      {
        cwd: dir.path,
      },
    );
    assert.equal(run.code, 3, run.stderr);
    const parent = json<{ id: string; pending: { childThreadId?: string }[] }>(run);
    const childId = parent.pending[0]!.childThreadId!;
    const canceled = await runCli(["cancel", childId, "--reason", "not this way", "--db", db, "--json"], { cwd: dir.path });
    assert.equal(canceled.code, 0, canceled.stderr);
    assert.equal(canceled.stderr, "", "no warning: the parent ran without trouble");
    assert.equal(json<{ status: string }>(canceled).status, "canceled");
    const shown = json<{ status: string; result?: string }>(
      await runCli(["threads", "show", parent.id, "--db", db, "--json"], { cwd: dir.path }),
    );
    assert.deepEqual([shown.status, shown.result], ["done", "your refund is on its way"]);
  });
});
