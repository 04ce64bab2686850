/**
 * Recovery on the default lease and sweep: two server processes on one Postgres; one is advancing a
 * thread through a slow tool. While it lives, the other's sweeps leave the thread alone (its lease is
 * renewed past the first expiry); once it is SIGKILLed, the other resumes the thread and finishes it.
 * How long that takes is measured in bench/recovery.bench.ts, not asserted here.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { get, post, urlFetcher } from "./support/http.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_recovery_${process.pid}_${Date.now().toString(36)}`;
const directory = mkdtempSync(join(tmpdir(), "agentfold-recovery-"));
const children: ChildServer[] = [];
const client = new pg.Client({ connectionString: postgresUrl });

after(async () => {
  for (const child of children) await child.stop("SIGKILL");
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await client.end();
  rmSync(directory, { recursive: true, force: true });
});

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(50);
  }
}

function runLog(path: string): { key: string; pid: number }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { key: string; pid: number });
}

async function leaseOf(id: string): Promise<{ owner: string | null; expiresAt: number }> {
  const result = await client.query(`SELECT lease_owner, lease_expires_at FROM "${schema}".threads WHERE id = $1`, [id]);
  const row = result.rows[0] as { lease_owner: string | null; lease_expires_at: Date | null };
  return { owner: row.lease_owner, expiresAt: row.lease_expires_at?.getTime() ?? 0 };
}

describe("recovery after kill -9 on the default lease", () => {
  it("another process leaves live work alone, then resumes the thread once its process is killed", async () => {
    await client.connect();
    const log = join(directory, "runs.jsonl");
    const env = { TEST_DB: postgresUrl, TEST_SCHEMA: schema, TEST_RUN_LOG: log };
    const first = await startChildServer({ ...env, TEST_WORK_MS: "600000" });
    children.push(first);
    const launched = await post(urlFetcher(first.url), "/v1/threads?wait=0", { agent: "worker", message: "work" });
    assert.equal(launched.status, 202, JSON.stringify(launched.body));
    const id = launched.body.id as string;
    await waitFor("the tool to start", async () => (runLog(log).length > 0 ? true : undefined));
    assert.equal(runLog(log)[0]!.pid, first.child.pid);

    // Started once the tool runs, so its sweeps (one at start, then every third of the ttl) find
    // the thread `running` under a live lease.
    const second = await startChildServer({ ...env, TEST_WORK_MS: "0" });
    children.push(second);
    const taken = await leaseOf(id);
    // Past the expiry the lease had when the second process started, it is still the first's:
    // renewed, not lapsed, so the second's sweeps meanwhile were refused.
    await waitFor("a renewal past the first expiry", async () => {
      const lease = await leaseOf(id);
      return Date.now() > taken.expiresAt && lease.expiresAt > taken.expiresAt ? lease : undefined;
    });
    assert.equal((await leaseOf(id)).owner, taken.owner);
    assert.equal(runLog(log).length, 1, "the second process did not run the tool while the first was alive");
    const before = await get(urlFetcher(second.url), `/v1/threads/${id}`);
    assert.equal(before.body.status, "running");

    await first.stop("SIGKILL");
    const done = await waitFor("the second process to finish the thread", async () => {
      const thread = await get(urlFetcher(second.url), `/v1/threads/${id}`);
      return thread.body.status === "done" ? thread.body : undefined;
    });
    assert.deepEqual(done.events.slice(0, before.body.version), before.body.events, "what was stored before the kill is kept");
    assert.deepEqual(
      done.events.map((event: { type: string }) => event.type),
      ["user_input", "model_decision", "tool_started", "tool_started", "tool_result", "model_decision", "done"],
    );
    const runs = runLog(log);
    assert.deepEqual(
      runs.map((run) => run.pid),
      [first.child.pid, second.child.pid],
      "the tool ran again once, in the second process",
    );
    assert.equal(runs[0]!.key, runs[1]!.key, "with the same idempotency key");
  });
});
