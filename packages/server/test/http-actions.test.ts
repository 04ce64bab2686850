import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { appFetcher, get, post, type Fetcher } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

function setup(options: { apiKeys?: string; model?: ScriptedModel } = {}) {
  const agents = createTestAgents();
  const store = createMemoryStore();
  const { app, runner } = createServer({
    store,
    agents: [agents.calculator, agents.worker],
    model: options.model ?? createTestModel(),
    apiKeys: options.apiKeys ?? false,
    onError: () => {},
  });
  return { app, runner, store, fetch: appFetcher(app), ...agents };
}

async function launchDivide(fetch: Fetcher, headers: Record<string, string> = {}) {
  const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" }, headers);
  assert.equal(launched.status, 200, JSON.stringify(launched.body));
  assert.equal(launched.body.status, "awaiting_approval");
  return launched.body as { id: string; version: number; pending: { callId: string; argsHash: string }[] };
}

describe("HTTP API: approvals", () => {
  it("approves with edited args: exactly those run, the actor is recorded, the thread finishes", async () => {
    const { fetch, divideRuns } = setup();
    const thread = await launchDivide(fetch);
    const callId = thread.pending[0]!.callId;
    const approved = await post(fetch, `/v1/threads/${thread.id}/approvals/${callId}`, {
      approved: true,
      args: { a: 10, b: 4 },
      comment: "use 10",
      argsHash: thread.pending[0]!.argsHash,
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");
    const decision = approved.body.events.find((event: { type: string }) => event.type === "approval_decision");
    assert.equal(decision.actor, "anonymous");
    assert.equal(decision.comment, "use 10");
    assert.deepEqual(decision.args, { a: 10, b: 4 });
    assert.ok(decision.at);
    const result = approved.body.events.find((event: { type: string }) => event.type === "tool_result");
    assert.equal(result.result, 2.5);
    assert.equal(divideRuns.get(`${thread.id}:${callId}`), 1);
  });

  it("rejects with a comment; the model sees it and goes on", async () => {
    const { fetch, divideRuns } = setup();
    const thread = await launchDivide(fetch);
    const rejected = await post(fetch, `/v1/threads/${thread.id}/approvals/${thread.pending[0]!.callId}`, {
      approved: false,
      comment: "not now",
    });
    assert.equal(rejected.status, 200);
    assert.equal(rejected.body.status, "done");
    assert.equal(divideRuns.size, 0);
    const decision = rejected.body.events.find((event: { type: string }) => event.type === "approval_decision");
    assert.deepEqual([decision.approved, decision.comment], [false, "not now"]);
  });

  it("409s a decision on a call that is decided or not pending, saying what the state is", async () => {
    const { fetch } = setup();
    const thread = await launchDivide(fetch);
    const callId = thread.pending[0]!.callId;
    assert.equal((await post(fetch, `/v1/threads/${thread.id}/approvals/${callId}`, { approved: true })).status, 200);
    const again = await post(fetch, `/v1/threads/${thread.id}/approvals/${callId}`, { approved: true });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "conflict");
    assert.match(again.body.error.message, /already decided/);
    assert.match(again.body.error.message, /Thread status: done/);
    const unknown = await post(fetch, `/v1/threads/${thread.id}/approvals/call_99_0`, { approved: false });
    assert.equal(unknown.status, 409);
    assert.match(unknown.body.error.message, /not pending/);
  });

  it("400s edited args that fail the tool's schema, and other bad decisions", async () => {
    const { fetch } = setup();
    const thread = await launchDivide(fetch);
    const path = `/v1/threads/${thread.id}/approvals/${thread.pending[0]!.callId}`;
    const invalid = await post(fetch, path, { approved: true, args: { a: 1, b: "four" } });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.error.message, /Edited arguments for "divide" are invalid: b:/);
    for (const body of [
      {},
      { approved: "yes" },
      { approved: false, args: { a: 1, b: 2 } },
      { approved: true, args: [1] },
      { approved: true, nope: 1 },
    ]) {
      const response = await post(fetch, path, body);
      assert.equal(response.status, 400, JSON.stringify(body));
    }
    const hash = await post(fetch, path, { approved: true, argsHash: "0".repeat(64) });
    assert.equal(hash.status, 409);
    assert.match(hash.body.error.message, /hash mismatch/);
    const still = await get(fetch, `/v1/threads/${thread.id}`);
    assert.equal(still.body.status, "awaiting_approval");
    assert.equal(still.body.version, thread.version, "nothing was appended");
  });

  it("20 concurrent approvals of one call: one 200, nineteen 409, the tool ran once, no fork", async () => {
    const { fetch, divideRuns } = setup();
    const thread = await launchDivide(fetch);
    const callId = thread.pending[0]!.callId;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        post(fetch, `/v1/threads/${thread.id}/approvals/${callId}`, { approved: true, args: { a: index, b: 1 } }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, ...Array(19).fill(409)]);
    assert.equal(divideRuns.get(`${thread.id}:${callId}`), 1);
    const final = await get(fetch, `/v1/threads/${thread.id}`);
    assert.equal(final.body.events.filter((event: { type: string }) => event.type === "approval_decision").length, 1);
    assert.equal(final.body.events.filter((event: { type: string }) => event.type === "tool_started").length, 1);
  });
});

describe("HTTP API: responses, messages, cancel, fork, context", () => {
  const askModel = () =>
    new ScriptedModel([
      { intent: "request_more_information", question: "Which numbers?" },
      { intent: "done_for_now", message: "thanks" },
      { intent: "done_for_now", message: "second answer" },
    ]);

  it("answers a question and the agent goes on; 409 for a call that is not a question", async () => {
    const { fetch } = setup({ model: askModel() });
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide" });
    assert.equal(launched.body.status, "awaiting_human");
    const question = launched.body.pending[0];
    assert.deepEqual([question.kind, question.question], ["question", "Which numbers?"]);
    const bad = await post(fetch, `/v1/threads/${launched.body.id}/responses/${question.callId}`, { text: 3 });
    assert.equal(bad.status, 400);
    const empty = await post(fetch, `/v1/threads/${launched.body.id}/responses/${question.callId}`, { text: "" });
    assert.equal(empty.status, 400);
    const answered = await post(fetch, `/v1/threads/${launched.body.id}/responses/${question.callId}`, { text: "3 and 4" });
    assert.equal(answered.status, 200);
    assert.equal(answered.body.status, "done");
    const response = answered.body.events.find((event: { type: string }) => event.type === "human_response");
    assert.deepEqual([response.text, response.actor], ["3 and 4", "anonymous"]);
    const twice = await post(fetch, `/v1/threads/${launched.body.id}/responses/${question.callId}`, { text: "again" });
    assert.equal(twice.status, 409);
    assert.match(twice.body.error.message, /already decided|not pending/);

    const { fetch: fetch2 } = setup();
    const divide = await launchDivide(fetch2);
    const wrongKind = await post(fetch2, `/v1/threads/${divide.id}/responses/${divide.pending[0]!.callId}`, { text: "yes" });
    assert.equal(wrongKind.status, 409);
    assert.match(wrongKind.body.error.message, /approve or reject/);
  });

  it("takes a new message on a finished thread and runs again", async () => {
    const { fetch } = setup({ model: askModel() });
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide" });
    await post(fetch, `/v1/threads/${launched.body.id}/responses/${launched.body.pending[0].callId}`, { text: "3 and 4" });
    const message = await post(fetch, `/v1/threads/${launched.body.id}/messages`, { text: "and now?" });
    assert.equal(message.status, 200);
    assert.equal(message.body.status, "done");
    assert.equal(message.body.events.at(-1).message, "second answer");
    const input = message.body.events.filter((event: { type: string }) => event.type === "user_input").at(-1);
    assert.deepEqual([input.text, input.source], ["and now?", "http"]);
    assert.equal((await post(fetch, `/v1/threads/${launched.body.id}/messages`, {})).status, 400);
    assert.equal((await post(fetch, `/v1/threads/${launched.body.id}/messages`, { text: "" })).status, 400);
  });

  it("cancels a thread; canceling again is a 409", async () => {
    const { fetch } = setup();
    const thread = await launchDivide(fetch);
    const canceled = await post(fetch, `/v1/threads/${thread.id}/cancel`, { reason: "no longer needed" });
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.status, "canceled");
    assert.deepEqual(canceled.body.pending, []);
    assert.equal(canceled.body.events.at(-1).reason, "no longer needed");
    const withoutBody = await post(fetch, `/v1/threads/${thread.id}/cancel`);
    assert.equal(withoutBody.status, 409);
    assert.match(withoutBody.body.error.message, /already canceled/);
    const approve = await post(fetch, `/v1/threads/${thread.id}/approvals/${thread.pending[0]!.callId}`, { approved: true });
    assert.equal(approve.status, 409);
  });

  it("cancels a thread that is mid-step", async () => {
    const agents = createTestAgents({ workMs: 300 });
    const { app } = createServer({
      store: createMemoryStore(),
      agents: [agents.worker],
      model: createTestModel(),
      apiKeys: false,
      onError: () => {},
    });
    const fetch = appFetcher(app);
    const launched = await post(fetch, "/v1/threads?wait=0.05", { message: "work" });
    assert.equal(launched.body.status, "running");
    const canceled = await post(fetch, `/v1/threads/${launched.body.id}/cancel`, {});
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.status, "canceled");
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = await get(fetch, `/v1/threads/${launched.body.id}`);
    assert.equal(after.body.status, "canceled");
  });

  it("forks a thread from its first events; the fork runs like a launch", async () => {
    const { fetch } = setup();
    const thread = await launchDivide(fetch);
    const forked = await post(fetch, `/v1/threads/${thread.id}/fork`, { atEvent: 1 });
    assert.equal(forked.status, 200);
    assert.notEqual(forked.body.id, thread.id);
    assert.equal(forked.body.status, "awaiting_approval");
    assert.equal(forked.body.metadata.forkedFrom, thread.id);
    assert.equal(forked.body.metadata.forkedAt, 1);
    for (const atEvent of [0, 999, "1", 1.5]) {
      const bad = await post(fetch, `/v1/threads/${thread.id}/fork`, { atEvent });
      assert.equal(bad.status, 400, String(atEvent));
    }
    // Out of range, either way: the message gives the range that is accepted.
    for (const atEvent of [0, 999]) {
      const bad = await post(fetch, `/v1/threads/${thread.id}/fork`, { atEvent });
      assert.match(bad.body.error.message, new RegExp(`use 1\\.\\.${thread.version}\\)`), JSON.stringify(bad.body));
      assert.doesNotMatch(bad.body.error.message, /0\.\./);
    }
    assert.equal((await post(fetch, "/v1/threads/thr_nope/fork", { atEvent: 1 })).status, 404);
  });

  it("a fork right after an approval asks again and does not run the tool; it records who forked", async () => {
    const { fetch, divideRuns } = setup({ apiKeys: "alice:alice-secret-key,bob:bob-secret-key" });
    const alice = { authorization: "Bearer alice-secret-key" };
    const bob = { authorization: "Bearer bob-secret-key" };
    const thread = await launchDivide(fetch, alice);
    const callId = thread.pending[0]!.callId;
    const approved = await post(fetch, `/v1/threads/${thread.id}/approvals/${callId}`, { approved: true }, alice);
    assert.equal(approved.body.status, "done");
    const types: string[] = approved.body.events.map((event: { type: string }) => event.type);
    // Cut right after the approval, and right after the tool started: neither may run divide again.
    for (const atEvent of [types.indexOf("approval_decision") + 1, types.indexOf("tool_started") + 1]) {
      const forked = await post(fetch, `/v1/threads/${thread.id}/fork`, { atEvent }, bob);
      assert.equal(forked.status, 200, JSON.stringify(forked.body));
      assert.equal(forked.body.status, "awaiting_approval", `fork at ${atEvent}`);
      assert.deepEqual(
        forked.body.pending.map((item: { callId: string }) => item.callId),
        [callId],
      );
      assert.ok(!forked.body.events.some((event: { type: string }) => event.type === "approval_decision" || event.type === "tool_started"));
      assert.equal(forked.body.metadata.forkedBy, "bob");
      assert.equal(forked.body.metadata.forkedFrom, thread.id);
    }
    assert.deepEqual([...divideRuns.values()], [1], "divide ran once, on alice's approval");
  });

  it("shows the exact model input and its token count", async () => {
    const { fetch } = setup();
    const thread = await launchDivide(fetch);
    const context = await get(fetch, `/v1/threads/${thread.id}/context`);
    assert.equal(context.status, 200);
    assert.ok(context.body.messages.length >= 1);
    assert.ok(context.body.tokens > 0);
    assert.match(context.body.context, /divide 3 by 4/);
    assert.ok(context.body.messages.some((message: { content: string }) => message.content.includes(context.body.context)));
    assert.equal((await get(fetch, "/v1/threads/thr_nope/context")).status, 404);
  });
});

describe("HTTP API: API keys", () => {
  it("requires a bearer key when keys are set and records the key's name as the actor", async () => {
    const { fetch } = setup({ apiKeys: "alice:alice-secret-key,ci:ci-secret-key" });
    const none = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide" });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "unauthorized");
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="agentfold"');
    const wrong = await get(fetch, "/v1/threads", { authorization: "Bearer nope-nope-nope" });
    assert.equal(wrong.status, 401);
    const basic = await get(fetch, "/v1/threads", { authorization: "Basic YWxpY2U6eA==" });
    assert.equal(basic.status, 401);
    assert.equal((await get(fetch, "/healthz")).status, 200);
    const thread = await launchDivide(fetch, { authorization: "Bearer ci-secret-key" });
    const approved = await post(
      fetch,
      `/v1/threads/${thread.id}/approvals/${thread.pending[0]!.callId}`,
      { approved: true },
      { authorization: "Bearer alice-secret-key" },
    );
    assert.equal(approved.status, 200);
    assert.equal(approved.body.events[0].actor, "ci");
    assert.equal(approved.body.events.find((event: { type: string }) => event.type === "approval_decision").actor, "alice");
  });

  it("reads AGENTFOLD_API_KEYS and rejects malformed key lists", () => {
    const agents = createTestAgents();
    const previous = process.env.AGENTFOLD_API_KEYS;
    process.env.AGENTFOLD_API_KEYS = "broken";
    try {
      assert.throws(() => createServer({ store: createMemoryStore(), agents: [agents.calculator], model: createTestModel() }), /name:key/);
    } finally {
      if (previous === undefined) delete process.env.AGENTFOLD_API_KEYS;
      else process.env.AGENTFOLD_API_KEYS = previous;
    }
  });
});

/** Reads SSE messages from a response until `count` arrived. */
async function readEvents(
  response: Response,
  until: number | ((event: string) => boolean),
): Promise<{ id: string; event: string; data: any }[]> {
  const finished = (messages: { event: string }[]) =>
    typeof until === "number" ? messages.length >= until : messages.length > 0 && until(messages.at(-1)!.event);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const messages: { id: string; event: string; data: any }[] = [];
  let buffer = "";
  while (!finished(messages)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((line) => !line.startsWith(":"))
          .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
      );
      if (fields.data !== undefined)
        messages.push({ id: fields.id ?? "", event: fields.event ?? "message", data: JSON.parse(fields.data) });
    }
  }
  await reader.cancel();
  return messages;
}

describe("HTTP API: stream", () => {
  it("streams stored events, then new ones as they are appended, with sequence ids", async () => {
    const { fetch } = setup();
    const thread = await launchDivide(fetch);
    const response = await fetch(`/v1/threads/${thread.id}/stream`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
    const reading = readEvents(response, (event) => event === "done");
    const approved = await post(fetch, `/v1/threads/${thread.id}/approvals/${thread.pending[0]!.callId}`, { approved: true });
    assert.equal(approved.body.status, "done");
    const received = await reading;
    // The model's reply streams as model_delta messages without an id (never stored); the rest are the stored events.
    const deltas = received.filter((message) => message.event === "model_delta");
    assert.ok(deltas.every((message) => !message.id));
    const messages = received.filter((message) => message.event !== "model_delta");
    assert.deepEqual(
      messages.map((message) => Number(message.id)),
      Array.from({ length: approved.body.version }, (_, index) => index + 1),
    );
    assert.deepEqual(
      messages.map((message) => message.event),
      approved.body.events.map((event: { type: string }) => event.type),
    );
    assert.equal(messages.at(-1)!.data.sequence, approved.body.version);
    assert.equal(messages.at(-1)!.data.type, "done");
  });

  it("resumes after ?after= or Last-Event-ID", async () => {
    const { fetch } = setup();
    const thread = await launchDivide(fetch);
    const after = await readEvents(await fetch(`/v1/threads/${thread.id}/stream?after=2`), thread.version - 2);
    assert.deepEqual(
      after.map((message) => message.id),
      Array.from({ length: thread.version - 2 }, (_, index) => String(index + 3)),
    );
    const resumed = await readEvents(await fetch(`/v1/threads/${thread.id}/stream`, { headers: { "last-event-id": "2" } }), 1);
    assert.deepEqual(
      resumed.map((message) => message.id),
      ["3"],
    );
    assert.equal((await fetch(`/v1/threads/${thread.id}/stream?after=-1`)).status, 400);
    assert.equal((await fetch(`/v1/threads/${thread.id}/stream`, { headers: { "last-event-id": "x" } })).status, 400);
    assert.equal((await fetch("/v1/threads/thr_nope/stream")).status, 404);
  });
});
