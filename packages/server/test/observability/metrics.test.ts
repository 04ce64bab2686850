import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { startServer, type RunningServer } from "../../src/index.ts";
import { get, post, urlFetcher, type Fetcher } from "../support/http.ts";
import { parsePrometheusText, sample } from "../support/prometheus-text.ts";
import { createRetryingModel, retryingModelId } from "../support/retrying-model.ts";
import { createTestAgents } from "../support/test-agent.ts";

const opsKey = "ops-key-0123456789abcdef";
const limitedKey = "limited-key-0123456789abcdef";
const ops = { authorization: `Bearer ${opsKey}` };

async function scrape(fetch: Fetcher, headers: Record<string, string> = ops) {
  const response = await fetch("/metrics", { headers });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

describe("GET /metrics", () => {
  let server: RunningServer;
  let fetch: Fetcher;
  before(async () => {
    server = await startServer({
      store: createMemoryStore(),
      agents: [createTestAgents().calculator],
      model: createRetryingModel(),
      port: 0,
      apiKeys: { ops: opsKey, limited: { key: limitedKey, agents: ["calculator"] } },
      onError: () => {},
    });
    fetch = urlFetcher(server.url);
  });
  after(() => server.close());

  it("needs an API key that covers every agent", async () => {
    assert.equal((await scrape(fetch, {})).status, 401);
    const limited = await scrape(fetch, { authorization: `Bearer ${limitedKey}` });
    assert.equal(limited.status, 403);
    assert.match(limited.text, /may not read \/metrics/);
  });

  it("counts steps, model calls, tokens, retries, tool runs, waiting threads and requests", async () => {
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" }, ops);
    assert.equal(launched.body.status, "awaiting_approval");
    const waiting = await scrape(fetch);
    assert.equal(waiting.status, 200);
    assert.match(waiting.type ?? "", /^text\/plain/);
    let families = parsePrometheusText(waiting.text);
    assert.equal(sample(families, "agentfold_threads", { agent: "calculator", status: "awaiting_approval" })?.value, "1");
    assert.equal(sample(families, "agentfold_model_call_retries_total", { agent: "calculator", model: retryingModelId })?.value, "1");
    assert.equal(sample(families, "agentfold_approvals_requested_total", { agent: "calculator", tool: "divide" })?.value, "1");

    const callId = launched.body.pending[0].callId as string;
    const approved = await post(fetch, `/v1/threads/${launched.body.id}/approvals/${callId}`, { approved: true }, ops);
    assert.equal(approved.body.status, "done");
    const { text } = await scrape(fetch);
    families = parsePrometheusText(text);
    assert.equal(sample(families, "agentfold_threads", { agent: "calculator", status: "awaiting_approval" }), undefined);
    assert.equal(sample(families, "agentfold_steps_total", { agent: "calculator", action: "decide" })?.value, "2");
    assert.equal(sample(families, "agentfold_steps_total", { agent: "calculator", action: "run_tool" })?.value, "1");
    assert.equal(sample(families, "agentfold_model_calls_total", { model: retryingModelId, outcome: "ok" })?.value, "2");
    assert.equal(sample(families, "agentfold_model_tokens_total", { model: retryingModelId, type: "input" })?.value, "270");
    assert.equal(sample(families, "agentfold_model_tokens_total", { model: retryingModelId, type: "output" })?.value, "16");
    // One series per histogram here: the parser keeps a histogram's buckets but not its labels.
    assert.equal(families.get("agentfold_tool_run_duration_seconds")?.type, "HISTOGRAM");
    assert.equal(sample(families, "agentfold_tool_run_duration_seconds")?.buckets?.["+Inf"], "1");
    assert.equal(sample(families, "agentfold_model_call_duration_seconds")?.buckets?.["+Inf"], "2");
    assert.equal(sample(families, "agentfold_queue_lag_seconds")?.buckets?.["+Inf"], "2");
    assert.match(text, /^agentfold_tool_run_duration_seconds_count\{agent="calculator",tool="divide",outcome="ok"\} 1$/m);
    assert.equal(sample(families, "agentfold_runs_total", { agent: "calculator", status: "done" })?.value, "1");
    assert.equal(sample(families, "agentfold_runs_total", { agent: "calculator", status: "awaiting_approval" })?.value, "1");
    // Requests by the route as registered: the thread's id is never a label.
    assert.equal(sample(families, "agentfold_http_requests_total", { method: "POST", route: "/v1/threads", status: "200" })?.value, "1");
    assert.ok(sample(families, "agentfold_http_requests_total", { method: "POST", route: "/v1/threads/:id/approvals/:callId" }));
    assert.ok(!waiting.text.includes(launched.body.id));
  });
});

describe("GET /metrics, configured open or off", () => {
  it("open: no key needed even when keys are set; off: a 404", async () => {
    const open = await startServer({
      store: createMemoryStore(),
      agents: [createTestAgents().calculator],
      model: createRetryingModel(),
      port: 0,
      apiKeys: { ops: opsKey },
      metrics: "open",
    });
    const off = await startServer({
      store: createMemoryStore(),
      agents: [createTestAgents().calculator],
      model: createRetryingModel(),
      port: 0,
      apiKeys: false,
      metrics: false,
    });
    try {
      const scraped = await scrape(urlFetcher(open.url), {});
      assert.equal(scraped.status, 200);
      assert.ok(parsePrometheusText(scraped.text).has("agentfold_steps_total"));
      assert.equal((await get(urlFetcher(off.url), "/metrics")).status, 404);
    } finally {
      await open.close();
      await off.close();
    }
  });
});
