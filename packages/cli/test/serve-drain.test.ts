/**
 * The container's entry point as a process: the Dockerfile's CMD (read from the Dockerfile, its
 * paths mapped to this repository) on Postgres. It starts and is ready; SIGTERM during a running step
 * lets a short step finish, and a step longer than --drain-timeout is stopped with its lease released,
 * so a second server goes on with the thread. Nothing is lost, and the process exits 0.
 * (No container runtime is assumed: the image itself is built in CI where one exists.)
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { bin, cleanEnv, fixtures, repoRoot, tempDir } from "./helpers.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const database = `agentfold_drain_${process.pid}_${Date.now().toString(36)}`;
const databaseUrl = (() => {
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
})();
const apiKey = "drain-test-key-0001";

/** The Dockerfile's CMD, with the image's paths mapped to this repository's. */
function entryPoint(): string[] {
  const line = readFileSync(join(repoRoot, "Dockerfile"), "utf8")
    .split("\n")
    .find((candidate) => candidate.startsWith("CMD "));
  assert.ok(line, "the Dockerfile has a CMD");
  const command = JSON.parse(line.slice("CMD ".length)) as string[];
  const paths: Record<string, string> = {
    node: process.execPath,
    "/app/node_modules/@agentfold/cli/bin/agentfold.js": bin,
    "/app/agents/agent.ts": join(fixtures, "slow-work.ts"),
  };
  for (const path of ["node", "/app/node_modules/@agentfold/cli/bin/agentfold.js", "/app/agents/agent.ts"]) {
    assert.ok(command.includes(path), `the CMD names ${path}: ${line}`);
  }
  return command.map((part) => paths[part] ?? part);
}

/** Every server started, so `after` ends the ones a failed test left running. */
const children: Served[] = [];

interface Served {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
  output(): string;
}

/** Runs the entry point (plus `extra` arguments, which win over the CMD's) and waits for its banner. */
async function serve(extra: string[], env: Record<string, string>): Promise<Served> {
  const [command, ...args] = entryPoint();
  const child = spawn(command!, [...args, "--port", "0", "--json", ...extra], {
    env: cleanEnv({
      AGENTFOLD_DB: databaseUrl,
      AGENTFOLD_API_KEYS: `ops:${apiKey}`,
      AGENTFOLD_MODEL: `script:${join(fixtures, "work.json")}`,
      ...env,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
  const served = { child, url: "", exit, output: () => `${stdout}\n${stderr}` };
  children.push(served);
  // --json prints one JSON document (over several lines) once listening.
  for (const started = Date.now(); !stdout.endsWith("}\n"); await sleep(50)) {
    if (Date.now() - started > 20_000 || child.exitCode !== null) throw new Error(`serve did not start:\n${stdout}\n${stderr}`);
  }
  served.url = (JSON.parse(stdout) as { url: string }).url.replace("0.0.0.0", "127.0.0.1");
  return served;
}

async function call(url: string, path: string, body?: unknown) {
  const response = await fetch(new URL(path, url), {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

function runs(log: string): { key: string; pid: number }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { key: string; pid: number });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (const started = Date.now(); ; await sleep(50)) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > 30_000) throw new Error(`Timed out waiting for ${what}.`);
  }
}

/** Launches the worker on `served` and waits until its tool runs there. */
async function launchWork(served: Served, log: string): Promise<string> {
  const launched = await call(served.url, "/v1/threads?wait=0", { agent: "worker", message: "work" });
  assert.equal(launched.status, 202, JSON.stringify(launched.body));
  await waitFor("the tool to start", () => (runs(log).length > 0 ? true : undefined));
  assert.equal(runs(log)[0]!.pid, served.child.pid);
  return launched.body.id as string;
}

describe("the container entry point, run as a process", () => {
  let dir: ReturnType<typeof tempDir>;
  before(async () => {
    dir = tempDir("drain");
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
  });
  after(async () => {
    for (const served of children) if (served.child.exitCode === null) served.child.kill("SIGKILL");
    await Promise.all(children.map((served) => served.exit));
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    dir.remove();
  });

  test("is ready; on SIGTERM a step that ends within the drain deadline finishes, and it exits 0", async () => {
    const log = join(dir.path, "finish.jsonl");
    const served = await serve([], { WORK_LOG: log, WORK_MS: "1500" });
    assert.deepEqual(await call(served.url, "/readyz"), { status: 200, body: { ready: true } });
    const id = await launchWork(served, log);

    served.child.kill("SIGTERM");
    assert.equal(await served.exit, 0, served.output());
    const reader = new pg.Client({ connectionString: databaseUrl });
    await reader.connect();
    const row = (await reader.query("SELECT status, lease_owner FROM agentfold.threads WHERE id = $1", [id])).rows[0];
    await reader.end();
    assert.deepEqual(row, { status: "done", lease_owner: null });
    assert.equal(runs(log).length, 1, "the tool ran once, in the drained process");
  });

  test("a step longer than the drain deadline is released on SIGTERM; another server finishes the thread", async () => {
    const log = join(dir.path, "release.jsonl");
    // A 10-minute lease: only a released lease, not an expired one, lets the next server in during this test.
    const first = await serve(["--lease-ttl", "600", "--drain-timeout", "300ms"], { WORK_LOG: log, WORK_MS: "600000" });
    const id = await launchWork(first, log);
    const before = await call(first.url, `/v1/threads/${id}`);

    first.child.kill("SIGTERM");
    assert.equal(await first.exit, 0, first.output());
    // `serve` on Postgres keeps a work queue: the released thread was handed over through it.
    const queue = new pg.Client({ connectionString: databaseUrl });
    await queue.connect();
    const handedOver = (await queue.query("SELECT count(*)::int AS jobs FROM agentfold_queue.job WHERE singleton_key = $1", [id])).rows[0];
    await queue.end();
    assert.deepEqual(handedOver, { jobs: 1 }, "one request for the thread waits in the queue");

    // Its first sweep, at start, finds the thread left running with its lease free.
    const second = await serve(["--lease-ttl", "600"], { WORK_LOG: log, WORK_MS: "0" });
    const done = await waitFor("the second server to finish the thread", async () => {
      const thread = await call(second.url, `/v1/threads/${id}`);
      return thread.body.status === "done" ? thread.body : undefined;
    });
    assert.deepEqual(done.events.slice(0, before.body.version), before.body.events, "nothing stored before the drain is lost");
    assert.deepEqual(
      done.events.map((event: { type: string }) => event.type),
      ["user_input", "model_decision", "tool_started", "tool_started", "tool_result", "model_decision", "done"],
    );
    assert.deepEqual(
      runs(log).map((run) => run.pid),
      [first.child.pid, second.child.pid],
    );
    second.child.kill("SIGTERM");
    assert.equal(await second.exit, 0, second.output());
  });
});
