/**
 * `GET /v1/threads?q=`: search by agent, status, intent and text, within the caller's tenant and
 * agents, paged like the plain listing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Thread } from "agentfold";
import { hashArgs } from "agentfold/runtime";
import { createMemoryStore } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { parseSearch } from "../src/thread-search.ts";
import { appFetcher, get } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

/** A calculator thread waiting on the approval of a divide. */
function waitingDivide(message: string, tenant?: string): Thread {
  const args = { a: 3, b: 4 };
  return Thread.start(message, { agent: "calculator", ...(tenant ? { metadata: { tenant } } : {}) }).append([
    { type: "model_decision", calls: [{ callId: "call-1", intent: "divide", args }], model: "script:test" },
    { type: "approval_requested", callId: "call-1", intent: "divide", args, argsHash: hashArgs(args) },
  ]);
}

/** A worker thread that finished. */
function finishedWork(message: string, answer: string): Thread {
  return Thread.start(message, { agent: "worker" }).append([
    { type: "model_decision", calls: [{ callId: "call-1", intent: "done_for_now", args: { message: answer } }], model: "script:test" },
    { type: "done", message: answer },
  ]);
}

async function setup(threads: Thread[], apiKeys: Record<string, unknown> | false = false) {
  const store = createMemoryStore();
  for (const thread of threads) await store.create(thread);
  const agents = createTestAgents();
  const { app } = createServer({
    store,
    agents: [agents.calculator, agents.worker],
    model: createTestModel(),
    apiKeys: apiKeys as never,
    onError: () => {},
  });
  const fetch = appFetcher(app);
  return async (query: string, headers: Record<string, string> = {}) => {
    const response = await get(fetch, `/v1/threads?${query}`, headers);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as { threads: { id: string }[]; nextCursor?: string };
  };
}

const ids = (page: { threads: { id: string }[] }) => page.threads.map((thread) => thread.id);

describe("GET /v1/threads?q=", () => {
  it("finds threads by text, intent, agent and status, every word, any case", async () => {
    const refund = waitingDivide("Refund order 42 by dividing the total");
    const invoice = waitingDivide("split the invoice");
    const report = finishedWork("write the weekly report", "The report is sent to Alice.");
    const list = await setup([refund, invoice, report]);

    assert.deepEqual(ids(await list("q=refund")), [refund.id]);
    assert.deepEqual(ids(await list("q=REFUND%20order")), [refund.id]);
    assert.deepEqual(ids(await list("q=refund%20invoice")), [], "every word must match");
    assert.deepEqual(ids(await list("q=divide")), [invoice.id, refund.id], "by intent");
    assert.deepEqual(ids(await list("q=worker")), [report.id], "by agent");
    assert.deepEqual(ids(await list("q=awaiting")), [invoice.id, refund.id], "by status");
    assert.deepEqual(ids(await list("q=done")), [report.id], "by status");
    assert.deepEqual(ids(await list("q=alice")), [report.id], "by what the agent said");
    assert.deepEqual(ids(await list(`q=${report.id}`)), [report.id], "by id");
  });

  it("limits a word to a field with agent:, status:, intent: or text:", async () => {
    // Its text names the other agent and an intent; the field words must not match it.
    const mention = finishedWork("ask the calculator to divide", "Asked.");
    const divide = waitingDivide("split the bill");
    const list = await setup([mention, divide]);
    assert.deepEqual(ids(await list("q=calculator")), [divide.id, mention.id]);
    assert.deepEqual(ids(await list("q=agent:calculator")), [divide.id]);
    assert.deepEqual(ids(await list("q=intent:divide")), [divide.id]);
    assert.deepEqual(ids(await list("q=text:divide")), [mention.id]);
    assert.deepEqual(ids(await list("q=status:done")), [mention.id]);
  });

  it("combines with status and agent, and pages with the cursor", async () => {
    const threads = Array.from({ length: 5 }, (_, index) => waitingDivide(`refund ${index}`));
    const other = finishedWork("refund report", "done");
    const list = await setup([...threads, other]);
    assert.deepEqual(ids(await list("q=refund&agent=worker")), [other.id]);
    assert.deepEqual(ids(await list("q=refund&status=awaiting_approval")).length, 5);
    const first = await list("q=refund&limit=4");
    assert.deepEqual(ids(first), [
      other.id,
      ...threads
        .slice(2)
        .reverse()
        .map((thread) => thread.id),
    ]);
    assert.ok(first.nextCursor);
    const second = await list(`q=refund&limit=4&cursor=${encodeURIComponent(first.nextCursor)}`);
    assert.deepEqual(ids(second), [threads[1]!.id, threads[0]!.id]);
    assert.equal(second.nextCursor, undefined);
    assert.equal((await list("q=")).threads.length, 6, "an empty search lists everything");
  });

  it("searches only the caller's tenant", async () => {
    const mine = waitingDivide("refund mine", "acme");
    const theirs = waitingDivide("refund theirs", "globex");
    const list = await setup([mine, theirs], { alice: { key: "alice-key-0001", tenant: "acme" } });
    assert.deepEqual(ids(await list("q=refund", { authorization: "Bearer alice-key-0001" })), [mine.id]);
  });

  it("parses field words and leaves other colons alone", () => {
    assert.deepEqual(parseSearch("  Agent:Notes  https://x intent: "), [
      { field: "agent", value: "notes" },
      { field: undefined, value: "https://x" },
      { field: undefined, value: "intent:" },
    ]);
  });
});
