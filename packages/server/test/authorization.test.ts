import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigurationError, defineAgent, defineTool, doneForNow, type ModelRequest } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { createMemoryStore } from "agentfold/testing";
import { createServer, parseApiKeys } from "../src/index.ts";
import { appFetcher, get, post, type Fetcher } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const keys = {
  alice: { key: "alice-key-0001", tenant: "acme" },
  bob: { key: "bob-key-000002", tenant: "globex" },
  carol: { key: "carol-key-0003", tenant: "acme", agents: ["worker"] },
  dave: { key: "dave-key-00004", tenant: "acme", agents: ["calculator"], decide: ["request_more_information"] },
  legacy: "legacy-key-0005",
} as const;
const as = (name: keyof typeof keys) => {
  const entry = keys[name];
  return { authorization: `Bearer ${typeof entry === "string" ? entry : entry.key}` };
};

function setup(options: { cors?: { origins: readonly string[] } } = {}) {
  const agents = createTestAgents();
  const store = createMemoryStore();
  const { app } = createServer({
    store,
    agents: [agents.calculator, agents.worker],
    model: createTestModel(),
    apiKeys: keys,
    onError: () => {},
    ...options,
  });
  return { app, store, fetch: appFetcher(app), ...agents };
}

async function launchDivide(fetch: Fetcher, who: keyof typeof keys) {
  const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" }, as(who));
  assert.equal(launched.status, 200, JSON.stringify(launched.body));
  assert.equal(launched.body.status, "awaiting_approval");
  return launched.body as { id: string; version: number; metadata: Record<string, unknown>; pending: { callId: string }[] };
}

describe("authorization: tenants", () => {
  it("each key sees only its tenant's threads; another tenant's thread is a 404 on every route", async () => {
    const { fetch } = setup();
    const mine = await launchDivide(fetch, "alice");
    const theirs = await launchDivide(fetch, "bob");
    assert.deepEqual(mine.metadata, { tenant: "acme" });
    assert.deepEqual(theirs.metadata, { tenant: "globex" });

    const missing = await get(fetch, "/v1/threads/thr_nothing_here", as("bob"));
    const callId = mine.pending[0]!.callId;
    const attempts = [
      () => get(fetch, `/v1/threads/${mine.id}`, as("bob")),
      () => get(fetch, `/v1/threads/${mine.id}/context`, as("bob")),
      () =>
        fetch(`/v1/threads/${mine.id}/stream`, { headers: as("bob") }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as any,
        })),
      () => post(fetch, `/v1/threads/${mine.id}/fork`, { atEvent: 1 }, as("bob")),
      () => post(fetch, `/v1/threads/${mine.id}/cancel`, {}, as("bob")),
      () => post(fetch, `/v1/threads/${mine.id}/approvals/${callId}`, { approved: true }, as("bob")),
      () => post(fetch, `/v1/threads/${mine.id}/responses/${callId}`, { text: "yes" }, as("bob")),
      () => post(fetch, `/v1/threads/${mine.id}/messages`, { text: "hello" }, as("bob")),
    ];
    for (const attempt of attempts) {
      const answer = await attempt();
      assert.equal(answer.status, 404, JSON.stringify(answer.body));
      // The same answer as for an id that does not exist: ids of other tenants cannot be probed.
      assert.equal(answer.body.error.message, missing.body.error.message.replace("thr_nothing_here", mine.id));
    }
    const after = await get(fetch, `/v1/threads/${mine.id}`, as("alice"));
    assert.equal(after.body.status, "awaiting_approval", "nothing bob sent changed alice's thread");
    assert.equal(after.body.version, mine.version, "and appended nothing to it");

    const listedByAlice = await get(fetch, "/v1/threads", as("alice"));
    const listedByBob = await get(fetch, "/v1/threads", as("bob"));
    assert.deepEqual(
      listedByAlice.body.threads.map((thread: { id: string }) => thread.id),
      [mine.id],
    );
    assert.deepEqual(
      listedByBob.body.threads.map((thread: { id: string }) => thread.id),
      [theirs.id],
    );
    assert.deepEqual(
      (await get(fetch, "/v1/threads?agent=calculator", as("bob"))).body.threads.map((thread: { id: string }) => thread.id),
      [theirs.id],
    );
  });

  it("a fork keeps the tenant; plain name:key keys are the default tenant and record none", async () => {
    const { fetch } = setup();
    const mine = await launchDivide(fetch, "alice");
    const forked = await post(fetch, `/v1/threads/${mine.id}/fork`, { atEvent: 1 }, as("alice"));
    assert.equal(forked.status, 200, JSON.stringify(forked.body));
    assert.equal(forked.body.metadata.tenant, "acme");
    assert.equal((await get(fetch, `/v1/threads/${forked.body.id}`, as("bob"))).status, 404);

    const legacy = await launchDivide(fetch, "legacy");
    assert.deepEqual(legacy.metadata, {});
    assert.equal((await get(fetch, `/v1/threads/${legacy.id}`, as("alice"))).status, 404);
    assert.deepEqual(
      (await get(fetch, "/v1/threads", as("legacy"))).body.threads.map((thread: { id: string }) => thread.id),
      [legacy.id],
    );
  });

  it("a client cannot set the tenant on launch", async () => {
    const { fetch } = setup();
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "hi", metadata: { tenant: "globex" } }, as("alice"));
    assert.equal(launched.status, 400);
    assert.match(launched.body.error.message, /metadata\.tenant/);
  });
});

describe("authorization: child agents", () => {
  it("a child agent's thread belongs to its parent's tenant", async () => {
    const store = createMemoryStore();
    const refund = defineTool({
      intent: "refund",
      description: "refund",
      args: z.object({ amount: z.number() }),
      approval: "required",
      run: ({ amount }) => amount,
    });
    const refunder = defineAgent({ name: "refunder", tools: [refund, doneForNow()] });
    const support = defineAgent({ name: "support", tools: [refunder.asTool({ threads: store }), doneForNow()] });
    const isChild = (request: ModelRequest) => request.messages.some((message) => message.content.includes("<user_input>\nrefund $20"));
    const model = new ScriptedModel([
      (request: ModelRequest) => (isChild(request) ? { intent: "refund", amount: 20 } : { intent: "refunder", message: "refund $20" }),
      () => ({ intent: "done_for_now", message: "done" }),
    ]);
    const { app, runner } = createServer({
      store,
      agents: [support, refunder],
      model,
      apiKeys: { alice: { key: "alice-key-0001", tenant: "acme" }, bob: { key: "bob-key-000002", tenant: "globex" } },
      onError: () => {},
    });
    const fetch = appFetcher(app);
    const launched = await post(
      fetch,
      "/v1/threads",
      { agent: "support", message: "I want my $20 back" },
      { authorization: "Bearer alice-key-0001" },
    );
    const childId = launched.body.pending[0].childThreadId as string;
    const child = await get(fetch, `/v1/threads/${childId}`, { authorization: "Bearer alice-key-0001" });
    assert.equal(child.status, 200, JSON.stringify(child.body));
    assert.equal(child.body.metadata.tenant, "acme");
    assert.equal((await get(fetch, `/v1/threads/${childId}`, { authorization: "Bearer bob-key-000002" })).status, 404);
    await runner.close();
  });
});

describe("authorization: agent scopes", () => {
  it("a key scoped to one agent cannot launch, read or list another (403 naming its agents)", async () => {
    const { fetch } = setup();
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" }, as("carol"));
    assert.equal(launched.status, 403, JSON.stringify(launched.body));
    assert.equal(launched.body.error.code, "forbidden");
    assert.match(launched.body.error.message, /may not use agent "calculator"; it may use: worker/);

    const calculatorThread = await launchDivide(fetch, "alice");
    const read = await get(fetch, `/v1/threads/${calculatorThread.id}`, as("carol"));
    assert.equal(read.status, 403, JSON.stringify(read.body));
    assert.match(read.body.error.message, /it may use: worker/);
    assert.equal((await get(fetch, "/v1/threads?agent=calculator", as("carol"))).status, 403);

    const work = await post(fetch, "/v1/threads", { agent: "worker", message: "work" }, as("carol"));
    assert.equal(work.status, 200, JSON.stringify(work.body));
    const listed = await get(fetch, "/v1/threads", as("carol"));
    assert.deepEqual(
      listed.body.threads.map((thread: { id: string }) => thread.id),
      [work.body.id],
    );
  });
});

describe("authorization: who may decide", () => {
  it("a key without `divide` in decide gets 403; the thread records the refusal and is otherwise unchanged", async () => {
    const { fetch, divideRuns } = setup();
    const thread = await launchDivide(fetch, "dave");
    const callId = thread.pending[0]!.callId;
    const before = await get(fetch, `/v1/threads/${thread.id}`, as("dave"));

    const refused = await post(fetch, `/v1/threads/${thread.id}/approvals/${callId}`, { approved: true, args: { a: 1, b: 1 } }, as("dave"));
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, "forbidden");
    assert.match(refused.body.error.message, /may not decide calls of "divide"; it may decide: request_more_information/);

    const after = await get(fetch, `/v1/threads/${thread.id}`, as("dave"));
    assert.equal(after.body.status, "awaiting_approval");
    assert.deepEqual(after.body.pending, before.body.pending);
    assert.equal(after.body.version, before.body.version + 1);
    const audit = after.body.events.at(-1);
    assert.equal(audit.type, "custom");
    assert.equal(audit.name, "decision_refused");
    assert.deepEqual(
      { ...audit.data, reason: undefined },
      { actor: "dave", callId, intent: "divide", action: "approve", source: "http", reason: undefined },
    );
    assert.equal(divideRuns.size, 0);

    // The audit record is for people: the model's next input does not show it.
    const context = await get(fetch, `/v1/threads/${thread.id}/context`, as("dave"));
    assert.doesNotMatch(context.body.context, /decision_refused/);

    // Someone allowed decides as usual.
    const approved = await post(fetch, `/v1/threads/${thread.id}/approvals/${callId}`, { approved: true }, as("alice"));
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "done");
  });
});

describe("authorization: configuration", () => {
  it("accepts JSON in the variable's format and reports a bad entry in one line naming it", () => {
    const parsed = parseApiKeys(JSON.stringify({ ci: { key: "ci-key-00001", tenant: "acme", decide: ["*"] } }));
    assert.deepEqual(parsed?.callerOf("ci-key-00001"), { name: "ci", tenant: "acme", agents: undefined, decide: undefined });
    const bad: [string, RegExp][] = [
      ['{"ci": {"key": "ci-key-00001", "agents": "calculator"}}', /API key "ci": "agents" must be a non-empty list/],
      ['{"ci": {"key": "ci-key-00001", "scopes": []}}', /API key "ci" has unknown field "scopes"/],
      ['{"ci": {"key": "short"}}', /API key named "ci" is shorter than 8/],
      ['{"ci": ', /API keys: the JSON is invalid/],
    ];
    for (const [text, message] of bad) {
      assert.throws(
        () => parseApiKeys(text),
        (error: Error) => {
          assert.ok(error instanceof ConfigurationError);
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    }
  });

  it("refuses scopes naming an agent or intent the server does not have", () => {
    const agents = createTestAgents();
    const make = (apiKeys: Record<string, unknown>) => () =>
      createServer({ store: createMemoryStore(), agents: [agents.calculator], model: createTestModel(), apiKeys: apiKeys as never });
    assert.throws(
      make({ x: { key: "x-key-000001", agents: ["calculater"] } }),
      /lists agent "calculater", which this server does not run. Agents here: calculator/,
    );
    assert.throws(make({ x: { key: "x-key-000001", decide: ["divid"] } }), /may decide "divid", which no agent here has as a tool/);
  });
});

describe("CORS", () => {
  const preflight = (fetch: Fetcher, origin: string) =>
    fetch("/v1/threads", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });

  it("is off by default: no Access-Control-* headers", async () => {
    const { fetch } = setup();
    const response = await preflight(fetch, "https://inbox.example.com");
    assert.deepEqual(
      [...response.headers.keys()].filter((name) => name.startsWith("access-control-")),
      [],
    );
  });

  it("answers the configured origins only, and keys still apply", async () => {
    const { fetch } = setup({ cors: { origins: ["https://inbox.example.com"] } });
    const allowed = await preflight(fetch, "https://inbox.example.com");
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://inbox.example.com");
    assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    const other = await preflight(fetch, "https://attacker.example");
    assert.equal(other.headers.get("access-control-allow-origin"), null);

    const withoutKey = await fetch("/v1/threads", { headers: { origin: "https://inbox.example.com" } });
    assert.equal(withoutKey.status, 401);
    assert.equal(withoutKey.headers.get("access-control-allow-origin"), "https://inbox.example.com", "the page can read the 401");
    const withKey = await fetch("/v1/threads", { headers: { origin: "https://inbox.example.com", ...as("alice") } });
    assert.equal(withKey.status, 200);
    assert.equal(withKey.headers.get("access-control-allow-origin"), "https://inbox.example.com");
  });

  it("refuses an origin that is not one", () => {
    const agents = createTestAgents();
    assert.throws(
      () =>
        createServer({
          store: createMemoryStore(),
          agents: [agents.calculator],
          model: createTestModel(),
          apiKeys: false,
          cors: { origins: ["https://inbox.example.com/"] },
        }),
      /CORS origin "https:\/\/inbox.example.com\/" is invalid/,
    );
  });
});

describe("keyed launches across a change of tenant", () => {
  it("a retry with the same Idempotency-Key after the key moved to another tenant never answers with the old tenant's thread", async () => {
    const agents = createTestAgents();
    const store = createMemoryStore();
    const server = (tenant: string) =>
      appFetcher(
        createServer({
          store,
          agents: [agents.calculator],
          model: createTestModel(),
          apiKeys: { alice: { key: "alice-key-0001", tenant } },
          onError: () => {},
        }).app,
      );
    const headers = { authorization: "Bearer alice-key-0001", "idempotency-key": "launch-1" };
    const body = { agent: "calculator", message: "divide 3 by 4" };
    const first = await post(server("acme"), "/v1/threads", body, headers);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    // The same key name, now configured in another tenant, retries the launch.
    const retried = await post(server("globex"), "/v1/threads", body, headers);
    assert.notEqual(retried.body.id, first.body.id, "the other tenant's thread is not the answer");
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal((await get(server("globex"), `/v1/threads/${first.body.id}`, headers)).status, 404);
  });
});
