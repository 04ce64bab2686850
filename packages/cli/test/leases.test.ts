/**
 * The CLI writes a thread only under its lease, like a server's runner: a server's crash recovery on
 * the same database leaves a live CLI run alone, and a thread another process is advancing is a clear
 * error with exit code 7.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createRunner } from "@agentfold/server";
import { createSqliteStore } from "@agentfold/stores";
import { applyChange } from "../src/drive-thread.ts";
import { createOutput } from "../src/output.ts";
import { calculator } from "../../../examples/calculator/agent.ts";
import { deploybot } from "./fixtures/slow-deploy.ts";
import { calculatorModule, fixtures, json, runCli, tempDir } from "./helpers.ts";

describe("the CLI takes the thread's lease", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("leases");
  });
  after(() => dir.remove());

  test("a server sweeping the same database does not take over a live agentfold run", async () => {
    const db = join(dir.path, "shared.db");
    const log = join(dir.path, "deploys.log");
    const serverStore = createSqliteStore({ path: db });
    // A server's runner that looks for "crashed" threads every 50 ms.
    const runner = createRunner({
      store: serverStore,
      agents: [deploybot],
      model: new ScriptedModel([
        { intent: "deploy", tag: "v1" },
        { intent: "done_for_now", message: "deployed" },
      ]),
      sweepIntervalMs: 50,
      onError: () => {},
    });
    await runner.start();
    // The deploy tool of the fixture reads these when it runs, in this process.
    process.env.DEPLOY_LOG = log;
    process.env.DEPLOY_MS = "800";
    try {
      const run = await runCli(
        ["run", join(fixtures, "slow-deploy.ts"), "deploy v1", "--model", `script:${join(fixtures, "deploy.json")}`, "--db", db, "--json"],
        { cwd: dir.path },
      );
      assert.equal(run.code, 0, run.stderr);
      const summary = json<{ id: string; status: string; result: string }>(run);
      assert.equal(summary.status, "done");
      assert.equal(summary.result, "deployed v1");
      const stored = (await serverStore.load(summary.id))!;
      assert.deepEqual(
        stored.events.map((event) => event.type),
        ["user_input", "model_decision", "tool_started", "tool_result", "model_decision", "done"],
      );
      assert.equal(readFileSync(log, "utf8").trim().split("\n").length, 1, "deploy ran once");
    } finally {
      delete process.env.DEPLOY_LOG;
      delete process.env.DEPLOY_MS;
      await runner.close();
      await serverStore.close();
    }
  });

  test("approve on a thread another process is advancing exits 7 and changes nothing; it goes through once the lease is free", async () => {
    const db = join(dir.path, "busy.db");
    const run = await runCli(
      ["run", calculatorModule, "divide 3 by 4", "--model", `script:${join(fixtures, "divide.json")}`, "--db", db, "--json"],
      { cwd: dir.path },
    );
    assert.equal(run.code, 3, run.stderr);
    const { id } = json<{ id: string }>(run);
    const store = createSqliteStore({ path: db });
    try {
      const lease = (await store.acquireLease(id, "server:elsewhere", 60_000))!;
      const before = (await store.load(id))!;
      const busy = await runCli(["approve", id, "call_1_0", "--db", db], { cwd: dir.path, env: { AGENTFOLD_LEASE_WAIT_MS: "200" } });
      assert.equal(busy.code, 7, busy.stderr);
      assert.match(busy.stderr, new RegExp(`Thread ${id} is being advanced right now by another process .*retry`));
      assert.equal((await store.load(id))!.version, before.version);
      const busyJson = await runCli(["approve", id, "call_1_0", "--db", db, "--json"], {
        cwd: dir.path,
        env: { AGENTFOLD_LEASE_WAIT_MS: "0" },
      });
      assert.equal(busyJson.code, 7);
      assert.equal(json<{ error: { code: string } }>(busyJson).error.code, "thread_busy");

      await store.releaseLease(lease);
      const approved = await runCli(["approve", id, "call_1_0", "--db", db, "--json"], { cwd: dir.path });
      assert.equal(approved.code, 0, approved.stderr);
      assert.equal(json<{ status: string }>(approved).status, "done");
    } finally {
      await store.close();
    }
  });

  test("a decision that loses a race to a write without the lease says the call was already decided", async () => {
    const store = createMemoryStore();
    const model = new ScriptedModel([{ intent: "divide", a: 3, b: 4 }]);
    const waiting = await calculator.run(calculator.start("divide 3 by 4"), { model });
    await store.create(waiting);
    const callId = waiting.pending[0]!.callId;
    // Someone else approves first (e.g. the web inbox, between our read and our write).
    await store.append(calculator.approve(waiting, callId, { actor: "alice" }), { expectedVersion: waiting.version });
    // Our read happened before alice's write.
    let loads = 0;
    const racing = { ...store, load: async (threadId: string) => (loads++ === 0 ? waiting : store.load(threadId)) };
    const lease = (await store.acquireLease(waiting.id, "cli:test", 10_000))!;
    await assert.rejects(
      applyChange(
        { out: createOutput({ json: true }), store: racing, lease: { fence: lease.token, signal: new AbortController().signal } },
        waiting.id,
        (current) => calculator.approve(current, callId, { actor: "bob" }),
      ),
      /Call call_1_0 is not pending .*\(it was already decided\)\. Thread status: running/,
    );
    assert.equal(loads, 2);
  });
});
