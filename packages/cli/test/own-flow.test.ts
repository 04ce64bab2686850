/**
 * Per-agent models, an agent's own plan and handoffs through the CLI (`main` in process, one call
 * per command, as separate processes would run them): an agent runs with its own model unless
 * --model names another, and a model that cannot be used names where it came from; approve runs an
 * agent's own plan like the default; after a handoff the CLI steps the thread with the new agent,
 * and threads show prints the handoff.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fixtures, json, runCli, serve, tempDir } from "./helpers.ts";

const module = join(fixtures, "own-flow.ts");

interface Shown {
  id: string;
  agent: string | null;
  status: string;
  pending: { kind: string; callId: string; intent?: string }[];
  events: { type: string; intent?: string; callId?: string; message?: string; from?: string; to?: string; result?: unknown }[];
}

describe("own models, own plans and handoffs through the CLI", () => {
  const dir = tempDir("own-flow");
  after(() => dir.remove());
  const show = async (id: string) => json<Shown>(await runCli(["threads", "show", id, "--json"], { cwd: dir.path }));

  test("run uses the agent's own model; --model overrides it; a model that cannot be used says where it came from", async () => {
    const own = await runCli(["run", `${module}#modeled`, "hi", "--json"], { cwd: dir.path });
    assert.equal(own.code, 0, own.stderr);
    assert.equal((await show(json<{ id: string }>(own).id)).events.at(-1)?.message, "from the agent's model");

    const override = `script:${join(fixtures, "own-flow-override.json")}`;
    const overridden = await runCli(["run", `${module}#modeled`, "hi", "--model", override, "--json"], { cwd: dir.path });
    assert.equal(overridden.code, 0, overridden.stderr);
    assert.equal((await show(json<{ id: string }>(overridden).id)).events.at(-1)?.message, "from --model");

    const broken = await runCli(["run", `${module}#misconfigured`, "hi"], { cwd: dir.path });
    assert.equal(broken.code, 2);
    assert.match(
      broken.stderr,
      /The model "script:\/nonexistent\/own-flow\.json" from agent "misconfigured" \(defineAgent\(\{ model \}\)\) cannot be used/,
    );
    const missing = await runCli(["run", `${module}#modeled`, "hi", "--model", "script:./nowhere.json"], { cwd: dir.path });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /The model "script:.*nowhere\.json" from --model cannot be used/);
  });

  test("approve runs the agent's own plan like the default: a check chosen by code, then done", async () => {
    const run = await runCli(["run", `${module}#releaser`, "release 2.0", "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const { id, pending } = json<Shown>(run);
    const approved = await runCli(["approve", id, pending[0]!.callId, "--json"], { cwd: dir.path });
    assert.equal(approved.code, 0, approved.stderr);
    const shown = await show(id);
    assert.equal(shown.status, "done");
    const tail = shown.events.slice(-3).map((event) => (event.intent ? `${event.type}:${event.intent}` : event.type));
    assert.deepEqual(tail, ["model_decision", "tool_result:verify", "done"]);
    assert.match(shown.events.at(-2)?.callId ?? "", /^plan_\d+$/);
  });

  test("after a handoff the CLI steps the thread with the new agent, and threads show prints it", async () => {
    const run = await runCli(["run", `${module}#triage`, "I want my $20 back", "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const { id } = json<Shown>(run);
    const waiting = await show(id);
    assert.equal(waiting.agent, "billing");
    assert.equal(waiting.pending[0]?.intent, "refund");

    const printed = await runCli(["threads", "show", id], { cwd: dir.path });
    assert.match(printed.stdout, /handed off from triage to billing: a refund question \[call_1_0\]/);
    assert.match(printed.stdout, /\(billing, \d+ events\)/);

    // The recorded module gives billing, which runs its approved refund and finishes.
    const approved = await runCli(["approve", id, waiting.pending[0]!.callId, "--json"], { cwd: dir.path });
    assert.equal(approved.code, 0, approved.stderr);
    const done = await show(id);
    assert.equal(done.status, "done");
    assert.deepEqual(done.events.find((event) => event.type === "tool_result")?.result, { refunded: 20 });
    assert.equal(done.events.at(-1)?.message, "refunded 20");
  });

  test("serve runs each agent with its own model unless --model; a launch may name only an allowed model", async () => {
    const override = `script:${join(fixtures, "own-flow-override.json")}`;
    const launch = async (url: string, body: Record<string, unknown>) => {
      const response = await fetch(`${url}/v1/threads`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ agent: "modeled", message: "hi", ...body }),
      });
      return { status: response.status, body: (await response.json()) as Shown & { error?: { message: string } } };
    };
    const base = ["serve", "--agents", `${module}#modeled`, "--port", "0", "--no-ui", "--json"];

    const own = await serve([...base, "--db", join(dir.path, "own.db"), "--launch-model", override], { cwd: dir.path });
    try {
      const url = own.started.url as string;
      assert.equal((await launch(url, {})).body.events.at(-1)?.message, "from the agent's model");
      assert.equal((await launch(url, { model: override })).body.events.at(-1)?.message, "from --model");
      const refused = await launch(url, { model: "openai:gpt-4o" });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error?.message ?? "", /Allowed: script:.*own-flow-modeled\.json, script:.*own-flow-override\.json/);
    } finally {
      assert.equal((await own.stop()).code, 0);
    }

    const overridden = await serve([...base, "--db", join(dir.path, "overridden.db"), "--model", override], { cwd: dir.path });
    try {
      assert.equal((await launch(overridden.started.url as string, {})).body.events.at(-1)?.message, "from --model");
    } finally {
      assert.equal((await overridden.stop()).code, 0);
    }
  });
});
