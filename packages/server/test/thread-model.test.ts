/**
 * Which model the runner gives a thread: the launch's spec, the server's when it overrides, the spec
 * `agentfold run` recorded on a thread it started, the agent's own, else the server's.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineAgent, doneForNow, Thread, type Model } from "agentfold";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createRunner } from "../src/index.ts";

const named = (id: string): Model => Object.assign(new ScriptedModel([{ intent: "done_for_now", message: id }]), { id });
const models = new Map(["script:launch.json", "script:run.json", "script:agent.json"].map((spec) => [spec, named(spec)]));
const server = named("server");
const agent = defineAgent({ name: "notes", model: "script:agent.json", tools: [doneForNow()] });

function chooser(modelOverridesAgents: boolean) {
  const runner = createRunner({
    store: createMemoryStore(),
    agents: [agent],
    model: server,
    resolveModel: (spec) => models.get(spec) ?? Promise.reject(new Error(`unknown spec ${spec}`)),
    modelOverridesAgents,
  });
  return runner.models;
}

const started = (metadata: Record<string, unknown>) => Thread.start("hi", { agent: "notes", metadata: metadata as never });

describe("the model a served thread runs with", () => {
  it("a thread agentfold run started goes on with the model it ran with, unless the launch named one or serve --model overrides", async () => {
    const cli = { cli: { module: "/tmp/agent.ts", model: "script:run.json" } };
    assert.equal((await chooser(false).forThread(started(cli), agent)).id, "script:run.json");
    assert.equal((await chooser(false).forThread(started({ ...cli, model: "script:launch.json" }), agent)).id, "script:launch.json");
    assert.equal((await chooser(true).forThread(started(cli), agent)).id, "server");
    assert.equal((await chooser(false).forThread(started({}), agent)).id, "script:agent.json");
  });
});
