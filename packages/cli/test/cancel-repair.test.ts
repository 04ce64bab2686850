/**
 * `agentfold cancel` finishes a cancel cascade a crash cut short, as a server's recovery sweep does
 * (the CLI has no sweep): a family whose parent is canceled while its child still waits for an
 * approval. `cancel <parent>` cancels the child in the name of whoever canceled the parent (exit 0),
 * a second time changes nothing (exit 2); `approve <child>` on such a family is refused, finishes the
 * cascade and says so; the child's tool never runs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createSqliteStore } from "@agentfold/stores";
import { fixtures, json, runCli, tempDir } from "./helpers.ts";

const family = join(fixtures, "family.ts");
const script = `script:${join(fixtures, "family.json")}`;

interface Shown {
  status: string;
  version: number;
  pending: { callId: string }[];
  events: { type: string; actor?: string; reason?: string }[];
}

describe("agentfold cancel on a family whose cancel was cut short", () => {
  let dir: ReturnType<typeof tempDir>;
  let db: string;
  before(() => {
    dir = tempDir("cancel-repair");
    db = join(dir.path, "threads.db");
  });
  after(() => dir.remove());

  /** A parent waiting for its child's approval, then the parent's cancel stored alone: what a process that died mid-cascade leaves. */
  async function cutShort(): Promise<{ parentId: string; childId: string; childCallId: string }> {
    const run = await runCli(["run", family, "I want my $20 back", "--model", script, "--db", db, "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const parent = json<{ id: string; pending: { childThreadId?: string }[] }>(run);
    const childId = parent.pending[0]!.childThreadId!;
    const child = json<Shown>(await runCli(["threads", "show", childId, "--db", db, "--json"], { cwd: dir.path }));
    const store = createSqliteStore({ path: db });
    try {
      const { default: support } = await import("./fixtures/family.ts");
      const stored = (await store.load(parent.id))!;
      await store.append(support.cancel(stored, { actor: "alice", reason: "customer withdrew" }), { expectedVersion: stored.version });
    } finally {
      await store.close();
    }
    return { parentId: parent.id, childId, childCallId: child.pending[0]!.callId };
  }

  const show = async (id: string) => json<Shown>(await runCli(["threads", "show", id, "--db", db, "--json"], { cwd: dir.path }));

  test("cancel <parent> cancels the child the cascade missed, in the parent's canceler's name; again, nothing to do", async () => {
    const { parentId, childId } = await cutShort();
    assert.equal((await show(childId)).status, "awaiting_approval", "the crash left the child waiting");

    const repaired = await runCli(["cancel", parentId, "--db", db, "--json"], { cwd: dir.path });
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stderr, new RegExp(`had not reached ${childId}`));
    assert.equal(json<{ status: string }>(repaired).status, "canceled");
    const child = await show(childId);
    assert.equal(child.status, "canceled");
    assert.deepEqual(child.pending, []);
    const cancel = child.events.at(-1);
    assert.deepEqual([cancel?.type, cancel?.actor], ["cancel", "alice"]);

    const again = await runCli(["cancel", parentId, "--db", db], { cwd: dir.path });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already canceled; nothing to cancel/);
    assert.equal((await show(childId)).version, child.version);
  });

  test("cancel <child> under a canceled parent finishes the parent's cascade", async () => {
    const { childId } = await cutShort();
    const result = await runCli(["cancel", childId, "--db", db, "--json"], { cwd: dir.path });
    assert.equal(result.code, 0, result.stderr);
    const child = await show(childId);
    assert.equal(child.status, "canceled");
    assert.equal(child.events.at(-1)?.actor, "alice");
  });

  test("approve <child> under a canceled parent is refused, finishes the cascade, and the refund never runs", async () => {
    const { parentId, childId, childCallId } = await cutShort();
    const approved = await runCli(["approve", childId, childCallId, "--db", db], { cwd: dir.path });
    assert.notEqual(approved.code, 0);
    assert.match(approved.stderr, new RegExp(`${parentId} is canceled and no longer waits for it`));
    assert.match(approved.stderr, new RegExp(`Its cancel had not reached ${childId}; they are canceled now`));
    const child = await show(childId);
    assert.equal(child.status, "canceled");
    assert.equal(
      child.events.some((event) => event.type === "tool_started"),
      false,
      "the refund never ran",
    );
  });
});
