/**
 * Per-agent models, an agent's own plan and handoffs, over HTTP against real server processes on one
 * SQLite file: the agent's model unless the launch names one the server allows, its own plan run by
 * the server like the default, a handoff after which the server steps the thread with the new agent
 * — in any process.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFakeClock, createMemoryStore } from "agentfold/testing";
import { createRunner, resolveServerModel } from "../src/index.ts";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { advanceUntil } from "./support/fake-time.ts";
import { createOwnFlowAgents, settleMs } from "./support/own-flow-agents.ts";
import { get, post, urlFetcher } from "./support/http.ts";

const serverScript = fileURLToPath(new URL("./support/own-flow-server.ts", import.meta.url));

const scripts: Record<string, unknown[]> = {
  server: [{ intent: "done_for_now", message: "from the server's model" }],
  modeled: [{ intent: "done_for_now", message: "from the agent's model" }],
  launch: [
    { intent: "release", version: "3.0" },
    { intent: "done_for_now", message: "from the launch's model" },
  ],
  releaser: [
    { intent: "release", version: "2.0" },
    { intent: "done_for_now", message: "released 2.0" },
  ],
  handoff: [
    { intent: "transfer_to_billing", reason: "a refund question" },
    { intent: "refund", amount: 20 },
    { intent: "done_for_now", message: "refunded 20" },
  ],
};

describe("own models, own plans and handoffs over HTTP", () => {
  let dir: string;
  let env: Record<string, string>;
  let first: ChildServer;
  let second: ChildServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "agentfold-own-flow-"));
    for (const [name, steps] of Object.entries(scripts)) writeFileSync(join(dir, `${name}.json`), JSON.stringify({ steps }));
    env = { TEST_DB: join(dir, "threads.db"), TEST_SCRIPTS: dir, TEST_LAUNCH_MODELS: `script:${join(dir, "launch.json")}` };
    [first, second] = await Promise.all([startChildServer(env, serverScript), startChildServer(env, serverScript)]);
  });
  after(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("an agent runs with its own model; a launch may name an allowed one, which every later step uses, in any process", async () => {
    const own = await post(urlFetcher(first.url), "/v1/threads", { agent: "modeled", message: "hi" });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.events.at(-1).message, "from the agent's model");

    const spec = `script:${join(dir, "launch.json")}`;
    const launched = await post(urlFetcher(first.url), "/v1/threads", { agent: "releaser", message: "release", model: spec });
    assert.equal(launched.body.status, "awaiting_approval");
    assert.equal(launched.body.metadata.model, spec);
    assert.equal(launched.body.pending[0].args.version, "3.0", "the launch's model chose");
    // Approved through the other process: it runs the thread with the model the launch named.
    const approved = await post(urlFetcher(second.url), `/v1/threads/${launched.body.id}/approvals/${launched.body.pending[0].callId}`, {
      approved: true,
    });
    // The releaser's own plan then waits for the release to settle (see the next test).
    assert.equal(approved.body.status, "waiting", JSON.stringify(approved.body));
    const decision = approved.body.events.findLast((event: { type: string }) => event.type === "model_decision");
    assert.equal(decision.calls[0].args.message, "from the launch's model");
    assert.equal(decision.model, spec);

    const refused = await post(urlFetcher(first.url), "/v1/threads", { agent: "modeled", message: "hi", model: "openai:gpt-4o" });
    assert.equal(refused.status, 400);
    assert.match(
      refused.body.error.message,
      /"model": "openai:gpt-4o" is not a model a launch may choose here\. Allowed: script:.*modeled\.json, script:.*launch\.json/,
    );
    const agents = await get(urlFetcher(first.url), "/v1/agents");
    assert.match(agents.body.agents.find((agent: { name: string }) => agent.name === "modeled").model, /^script:.*modeled\.json$/);
  });

  it("a server whose agent names a model it cannot use does not start, and says which agent", async () => {
    const broken = mkdtempSync(join(tmpdir(), "agentfold-own-flow-broken-"));
    writeFileSync(join(broken, "server.json"), JSON.stringify({ steps: scripts.server }));
    try {
      await assert.rejects(
        startChildServer({ ...env, TEST_DB: join(broken, "threads.db"), TEST_SCRIPTS: broken }, serverScript),
        /The model "script:.*modeled\.json" of agent "modeled" \(defineAgent\(\{ model \}\)\) cannot be used/,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it("the server runs an agent's own plan like the default: a durable wait, then a check chosen by code, then done", async () => {
    const launched = await post(urlFetcher(first.url), "/v1/threads", { agent: "releaser", message: "release 2.0" });
    assert.equal(launched.body.status, "awaiting_approval");
    const approved = await post(urlFetcher(second.url), `/v1/threads/${launched.body.id}/approvals/${launched.body.pending[0].callId}`, {
      approved: true,
    });
    assert.equal(approved.body.status, "waiting", JSON.stringify(approved.body));
    const released = approved.body.events.find((event: { intent?: string; type: string }) => event.type === "tool_result");
    assert.equal(approved.body.waiting.until, new Date(Date.parse(released.at) + settleMs).toISOString());
    assert.equal(approved.body.waiting.reason, "the release settles");
    // A person may wake it before the 10 minutes (the fake-clock test below waits them out), here through the other process.
    const woken = await post(urlFetcher(first.url), `/v1/threads/${launched.body.id}/wake`);
    assert.equal(woken.body.status, "done", JSON.stringify(woken.body));
    const types = woken.body.events.map((event: { type: string; intent?: string }) =>
      event.intent ? `${event.type}:${event.intent}` : event.type,
    );
    assert.deepEqual(types.slice(-7), [
      "tool_started:release",
      "tool_result:release",
      "model_decision",
      "timer_set",
      "timer_fired",
      "tool_result:verify",
      "done",
    ]);
    assert.match(woken.body.events.at(-2).callId, /^plan_\d+$/);
  });

  it("a handoff passes the thread to another agent, which the server runs for every later step", async () => {
    const launched = await post(urlFetcher(first.url), "/v1/threads", { agent: "triage", message: "I want my $20 back" });
    assert.equal(launched.body.status, "awaiting_approval", JSON.stringify(launched.body));
    assert.equal(launched.body.agent, "billing", "the agent driving the thread now");
    const handoff = launched.body.events.find((event: { type: string }) => event.type === "handoff");
    assert.deepEqual(
      { from: handoff.from, to: handoff.to, reason: handoff.reason },
      { from: "triage", to: "billing", reason: "a refund question" },
    );
    assert.equal(launched.body.pending[0].intent, "refund");
    // billing's approval, decided through the other process, runs billing's tool and finishes.
    const approved = await post(urlFetcher(second.url), `/v1/threads/${launched.body.id}/approvals/${launched.body.pending[0].callId}`, {
      approved: true,
    });
    assert.equal(approved.body.status, "done", JSON.stringify(approved.body));
    assert.deepEqual(approved.body.events.find((event: { type: string }) => event.type === "tool_result").result, { refunded: 20 });
    const listed = await get(urlFetcher(first.url), "/v1/threads?agent=triage");
    assert.ok(
      listed.body.threads.some((thread: { id: string }) => thread.id === launched.body.id),
      "listed under the agent it was launched for",
    );
    const agents = await get(urlFetcher(first.url), "/v1/agents");
    const tool = agents.body.agents.find((agent: { name: string }) => agent.name === "triage").tools[0];
    assert.deepEqual({ kind: tool.kind, handoffTo: tool.handoffTo }, { kind: "handoff", handoffTo: "billing" });
  });
});

describe("an agent's own plan under the runner (fake clock)", () => {
  it("the release waits 10 minutes, not less, then the runner's wake-up verifies it and finishes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentfold-own-flow-clock-"));
    writeFileSync(join(dir, "releaser.json"), JSON.stringify({ steps: scripts.releaser }));
    const clock = createFakeClock("2026-12-01T09:00:00.000Z");
    const store = createMemoryStore({ clock });
    const releaser = createOwnFlowAgents(dir).find((agent) => agent.name === "releaser")!;
    const runner = createRunner({
      store,
      agents: [releaser],
      model: await resolveServerModel(`script:${join(dir, "releaser.json")}`),
      resolveModel: resolveServerModel,
      clock,
      onError: (error) => assert.fail(String(error)),
    });
    try {
      await runner.start();
      const thread = releaser.start("release 2.0", { clock });
      await store.create(thread);
      const { thread: pending } = await runner.advance(thread.id);
      const { settled } = await runner.change(thread.id, (current, agent) => agent.approve(current, pending!.pending[0]!.callId));
      const { thread: waiting } = await settled;
      assert.equal(waiting?.status, "waiting");
      await clock.advance(settleMs - 1_000);
      assert.equal((await store.load(thread.id))?.status, "waiting", "not before 10 minutes");
      await advanceUntil(clock, async () => (await store.load(thread.id))?.status === "done", { stepMs: 100, limitMs: 10_000 });
      const done = (await store.load(thread.id))!;
      const fired = done.events.find((event) => event.type === "timer_fired");
      assert.equal(fired?.type === "timer_fired" && fired.early, undefined, "fired on time, not woken");
      assert.deepEqual(
        done.events.slice(-3).map((event) => (event.type === "tool_result" ? `${event.type}:${event.intent}` : event.type)),
        ["timer_fired", "tool_result:verify", "done"],
      );
    } finally {
      await runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
