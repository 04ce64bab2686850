/**
 * Tool sources in core, with a source made here: the fold tracks each source's last list and the
 * turn it belongs to; the step records a list before a decision when the turn has none and it
 * changed; the thread offers its recorded list; misconfigured sources are definition errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError, defineAgent, defineTool, doneForNow, type AnyTool, type ListedTool, type ToolSource } from "agentfold";
import { createFakeClock, ScriptedModel } from "agentfold/testing";

const clock = createFakeClock("2026-01-01T00:00:00.000Z", { tickMs: 1000 });
const listed = (...names: string[]): ListedTool[] =>
  names.map((name) => ({ name, description: `the ${name} tool`, inputSchema: { type: "object", properties: {} } }));

/** A source whose list the test changes, as a server's would. */
function changingSource(name: string, initial: ListedTool[]): ToolSource & { change(list: ListedTool[]): void } {
  let current = initial;
  const toolsFor = (list: readonly ListedTool[]): AnyTool[] =>
    list.map((tool) =>
      defineTool({
        intent: tool.name,
        description: tool.description ?? tool.name,
        args: structuredClone(tool.inputSchema),
        run: () => `${tool.name} ran`,
        source,
      }),
    );
  const source: ToolSource & { change(list: ListedTool[]): void } = {
    name,
    get tools() {
      return tools;
    },
    list: async () => structuredClone(current),
    toolsFor,
    change(list) {
      current = list;
    },
  };
  const tools = toolsFor(initial);
  return source;
}

const offered = (model: ScriptedModel) => model.requests.at(-1)?.intents.map((intent) => intent.intent);

test("a list is recorded before the first decision, kept for the turn although the source changed, and recorded again by the next turn", async () => {
  const source = changingSource("remote", listed("lookup", "delete"));
  const agent = defineAgent({ name: "remote", tools: [...source.tools, doneForNow()] });
  const model = new ScriptedModel([
    { intent: "lookup" },
    { intent: "delete" },
    { intent: "done_for_now", message: "ok" },
    { intent: "done_for_now", message: "again" },
  ]);
  let thread = await agent.step(agent.start("go", { clock }), { model, clock });
  assert.deepEqual(thread.state.toolLists.get("remote"), { index: 1, sinceInput: true });

  source.change(listed("lookup"));
  thread = await agent.run(thread, { model, clock });
  assert.deepEqual(offered(model), ["lookup", "delete", "done_for_now"], "the turn keeps its list");
  assert.ok(thread.events.some((event) => event.type === "tool_result" && event.intent === "delete"));
  assert.equal(thread.events.filter((event) => event.type === "tools_listed").length, 1);

  thread = agent.message(thread, "more", { clock });
  assert.equal(thread.state.toolLists.get("remote")?.sinceInput, false);
  thread = await agent.run(thread, { model, clock });
  const lists = thread.events.filter((event) => event.type === "tools_listed");
  assert.deepEqual(
    lists.map((event) => event.tools.map((tool) => tool.name)),
    [["lookup", "delete"], ["lookup"]],
  );
  assert.deepEqual(offered(model), ["lookup", "done_for_now"]);
  assert.doesNotMatch(agent.render(thread).context, /tools_listed|the lookup tool/);
});

test("a recorded list is the thread's, whatever the source lists now: a reloaded thread plans and renders with it", async () => {
  const source = changingSource("remote", listed("lookup", "purge_all"));
  const agent = defineAgent({ name: "remote", tools: [...source.tools, doneForNow()] });
  const model = new ScriptedModel([{ intent: "done_for_now", message: "ok" }]);
  const thread = await agent.run(agent.start("go", { clock }), { model, clock });

  const later = changingSource("remote", listed("lookup"));
  const reloaded = defineAgent({ name: "remote", tools: [...later.tools, doneForNow()] });
  const prompt = (of: typeof thread) =>
    reloaded
      .render(of)
      .messages.map((message) => message.content)
      .join("\n");
  assert.match(prompt(thread), /\bpurge_all\b/, "the thread's recorded list");
  assert.doesNotMatch(prompt(thread.fork(1)), /\bpurge_all\b/, "a fork from before the list: the live one");
});

test("two sources with one name, or a recorded tool that takes a tool's intent, are configuration errors", async () => {
  const one = changingSource("same", listed("a"));
  const two = changingSource("same", listed("b"));
  assert.throws(
    () => defineAgent({ name: "twice", tools: [...one.tools, ...two.tools, doneForNow()] }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /two tool sources are named "same"/);
      return true;
    },
  );

  const source = changingSource("remote", listed("lookup", "done_for_now"));
  const agent = defineAgent({ name: "clash", tools: [source.tools[0]!, doneForNow()] });
  const model = new ScriptedModel([{ intent: "lookup" }]);
  source.change(listed("lookup", "status"));
  const thread = await agent.step(agent.start("go", { clock }), { model, clock });
  assert.deepEqual(offered(model), ["lookup", "status", "done_for_now"], "status is new; the source's done_for_now was left out");
  const clashing = changingSource("remote", listed("lookup"));
  const clash = defineAgent({
    name: "clash",
    tools: [...clashing.tools, defineTool({ intent: "status", description: "s", args: { type: "object", properties: {} } })],
  });
  assert.throws(
    () => clash.nextAction(thread),
    /the tools "remote" listed for thread .* include intent "status", which another tool of the agent has\. Give the source a prefix/,
  );
});
