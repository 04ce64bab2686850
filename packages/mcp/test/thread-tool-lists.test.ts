/**
 * The tool list a thread saw: recorded as a `tools_listed` event before the first decision, again
 * only when a new turn finds the server's list changed, never shown to the model as context; a
 * thread (and a fork of it) keeps offering the list it recorded after the server dropped a tool, and
 * calling that tool is an error naming the server's current tools. The server is the SDK-written
 * test server over stdio; "a later version" of it is the same server started without `echo`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, doneForNow, type Thread } from "agentfold";
import { createFakeClock, ScriptedModel } from "agentfold/testing";
import { mcpTools, type McpToolSet } from "@agentfold/mcp";
import { fixtures } from "./support.ts";

const clock = createFakeClock("2026-01-01T00:00:00.000Z", { tickMs: 1000 });
// toolsCache: false: these tests start "versions" of one server (by env, which the cache key leaves
// out) and run in the repository's directory; tools-cache.test.ts covers the cache.
const testServer = { name: "test", command: process.execPath, args: [`${fixtures}test-server.ts`], toolsCache: false as const };

let current: McpToolSet;
let later: McpToolSet;
before(async () => {
  current = await mcpTools(testServer);
  later = await mcpTools({ ...testServer, env: { TEST_SERVER_WITHOUT_ECHO: "1", PATH: process.env.PATH ?? "" } });
});
after(async () => {
  await current.close();
  await later.close();
});

const lists = (thread: Thread) => thread.events.filter((event) => event.type === "tools_listed");
const names = (event: ReturnType<typeof lists>[number] | undefined) => event?.tools.map((tool) => tool.name);
const offered = (model: ScriptedModel) => model.requests.at(-1)?.intents.map((intent) => intent.intent);

test("the list is recorded before the first decision, not again while it is the same, again when a new turn finds it changed; the model's context never shows it", async () => {
  const first = defineAgent({ name: "lists", tools: [...current.tools, doneForNow()] });
  const model = new ScriptedModel([
    { intent: "echo", text: "hi" },
    { intent: "done_for_now", message: "said hi" },
    { intent: "done_for_now", message: "again" },
    { intent: "done_for_now", message: "with the new list" },
    { intent: "done_for_now", message: "still the new list" },
  ]);
  let thread = await first.run(first.start("say hi", { clock }), { model, clock });
  assert.equal(thread.status, "done");
  assert.deepEqual(
    thread.events.slice(0, 3).map((event) => event.type),
    ["user_input", "tools_listed", "model_decision"],
  );
  const [listed] = lists(thread);
  assert.equal(listed?.source, "test");
  assert.deepEqual(names(listed), ["echo", "crash", "fail", "retire_echo"]);
  const echo = listed?.tools[0];
  assert.equal(echo?.description, "Echo the text back");
  assert.equal(echo?.annotations?.readOnlyHint, true);
  assert.equal(echo?.inputSchema.type, "object");

  const context = first.render(thread).context;
  assert.doesNotMatch(context, /tools_listed|Echo the text back|retire_echo/, "the list is not in the context");
  assert.ok(
    model.requests.every((request) => request.messages.every((message) => !message.content.includes("tools_listed"))),
    "no model request quoted the event",
  );

  thread = await first.run(first.message(thread, "again", { clock }), { model, clock });
  assert.equal(lists(thread).length, 1, "an unchanged list is not recorded again");

  // The module loaded again while the server no longer lists echo: the next turn records the change.
  const second = defineAgent({ name: "lists", tools: [...later.tools, doneForNow()] });
  thread = await second.run(second.message(thread, "once more", { clock }), { model, clock });
  assert.equal(lists(thread).length, 2);
  assert.deepEqual(names(lists(thread)[1]), ["crash", "fail", "retire_echo"]);
  assert.deepEqual(offered(model), ["crash", "fail", "retire_echo", "done_for_now"]);
  thread = await second.run(second.message(thread, "and again", { clock }), { model, clock });
  assert.equal(lists(thread).length, 2);
});

test("after the server dropped a tool, the thread and a fork of it still offer the recorded list; calling the dropped tool is an error naming the server's current tools", async () => {
  const first = defineAgent({ name: "pinned", tools: [...current.tools, doneForNow()] });
  // crash needs approval (it is not read-only): the thread pauses mid-turn.
  let thread = await first.run(first.start("go", { clock }), { model: new ScriptedModel([{ intent: "crash" }]), clock });
  assert.equal(thread.status, "awaiting_approval");
  thread = first.reject(thread, thread.pending[0]!.callId, { comment: "not now", clock });
  const cut = thread.version;

  // Another process, whose module listed the server without echo, takes the thread on.
  const second = defineAgent({ name: "pinned", tools: [...later.tools, doneForNow()] });
  const fresh = new ScriptedModel([{ intent: "done_for_now", message: "ok" }]);
  await second.run(second.start("go", { clock }), { model: fresh, clock });
  assert.deepEqual(offered(fresh), ["crash", "fail", "retire_echo", "done_for_now"], "a new thread gets the live list");

  // A scripted model answers a thread's k-th model call with its k-th step: the first was the crash.
  const model = new ScriptedModel([
    { intent: "crash" },
    { intent: "echo", text: "hi" },
    { intent: "done_for_now", message: "echo is gone" },
  ]);
  const continued = await second.run(thread, { model, clock });
  assert.deepEqual(offered(model), ["echo", "crash", "fail", "retire_echo", "done_for_now"], "the thread offers its recorded list");
  assert.equal(lists(continued).length, 1, "the same turn records nothing new");
  assert.equal(continued.status, "done");
  const error = continued.events.find((event) => event.type === "error");
  assert.equal(error?.type === "error" && error.intent, "echo");
  assert.match(
    error?.type === "error" ? error.message : "",
    /^MCP server "test" no longer lists the tool "echo" \(it lists: crash, fail, retire_echo\)\..*choose another tool/,
  );

  const fork = thread.fork(cut);
  assert.equal(second.nextAction(fork).type, "decide");
  assert.match(
    second
      .render(fork)
      .messages.map((message) => message.content)
      .join("\n"),
    /\becho\b/,
    "the fork's prompt offers echo",
  );
  const forkModel = new ScriptedModel([{ intent: "crash" }, { intent: "done_for_now", message: "forked" }]);
  const forked = await second.run(fork, { model: forkModel, clock });
  assert.deepEqual(offered(forkModel), ["echo", "crash", "fail", "retire_echo", "done_for_now"], "the fork offers the recorded list");
  assert.equal(lists(forked).length, 1);
});

test("a tool of the set left out of the agent's tools stays out of the thread's tools", async () => {
  const agent = defineAgent({ name: "picked", tools: [...current.tools.filter((tool) => tool.intent !== "crash"), doneForNow()] });
  const model = new ScriptedModel([{ intent: "done_for_now", message: "ok" }]);
  const thread = await agent.run(agent.start("go", { clock }), { model, clock });
  assert.deepEqual(names(lists(thread)[0]), ["echo", "crash", "fail", "retire_echo"], "the whole list is recorded");
  assert.deepEqual(offered(model), ["echo", "fail", "retire_echo", "done_for_now"]);
});
