import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ConfigurationError, type Model } from "agentfold";
import { createMemoryStore } from "agentfold/testing";
import { createLogger, createServer } from "../../src/index.ts";
import { appFetcher, post } from "../support/http.ts";
import { createRetryingModel } from "../support/retrying-model.ts";
import { createTestAgents } from "../support/test-agent.ts";

const opsKey = "ops-key-0123456789abcdef";
const ops = { authorization: `Bearer ${opsKey}` };
// A credential by its shape, as a provider's error might quote it.
const leakedKey = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";

/** A pino destination that keeps each line, parsed: every line must be one JSON object. */
function captureLines() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  return {
    lines,
    raw,
    destination: {
      write(chunk: string) {
        for (const line of chunk.split("\n").filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
      },
    },
  };
}

async function serverWith(model: Model, level = "debug") {
  const capture = captureLines();
  const logger = await createLogger({ level, destination: capture.destination });
  const server = createServer({
    store: createMemoryStore(),
    agents: [createTestAgents().calculator],
    model,
    apiKeys: { ops: opsKey },
    metrics: false,
    logger,
  });
  return { ...capture, fetch: appFetcher(server.app), runner: server.runner };
}

describe("logs", () => {
  const level = process.env.AGENTFOLD_LOG_LEVEL;
  afterEach(() => {
    if (level === undefined) delete process.env.AGENTFOLD_LOG_LEVEL;
    else process.env.AGENTFOLD_LOG_LEVEL = level;
  });

  it("one JSON line per request, per step, per retry, with the fields an operator filters on", async () => {
    const { lines, raw, fetch } = await serverWith(createRetryingModel());
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" }, ops);
    const threadId = launched.body.id as string;
    const callId = launched.body.pending[0].callId as string;
    await post(fetch, `/v1/threads/${threadId}/approvals/${callId}`, { approved: true }, ops);
    await post(fetch, "/v1/threads", { agent: "calculator" }, { authorization: "Bearer wrong-key-0123456789" });

    const requests = lines.filter((line) => line.msg === "request");
    assert.deepEqual(
      requests.map(({ method, route, status, actor }) => ({ method, route, status, actor })),
      [
        { method: "POST", route: "/v1/threads", status: 200, actor: "ops" },
        { method: "POST", route: "/v1/threads/:id/approvals/:callId", status: 200, actor: "ops" },
        { method: "POST", route: "/v1/threads", status: 401, actor: "anonymous" },
      ],
    );
    for (const request of requests) {
      assert.equal(request.level, 30);
      assert.equal(typeof request.durationMs, "number");
    }

    const steps = lines.filter((line) => line.msg === "step");
    assert.deepEqual(
      steps.map(({ thread, agent, action }) => ({ thread, agent, action })),
      [
        { thread: threadId, agent: "calculator", action: "decide" },
        { thread: threadId, agent: "calculator", action: "run_tool" },
        { thread: threadId, agent: "calculator", action: "decide" },
      ],
    );
    assert.ok(steps.every((step) => typeof step.durationMs === "number" && step.durationMs >= 0));

    const retry = lines.find((line) => line.msg === "model call retried");
    assert.equal(retry?.level, 40);
    assert.deepEqual([retry?.thread, retry?.attempt, retry?.status], [threadId, 1, 429]);
    const tool = lines.find((line) => line.msg === "tool run");
    assert.deepEqual([tool?.tool, tool?.callId, tool?.outcome], ["divide", callId, "ok"]);

    // The key, the arguments and the result are never logged.
    for (const line of raw) {
      assert.ok(!line.includes(opsKey), line);
      assert.ok(!line.includes("wrong-key"), line);
      assert.ok(!line.includes("0.75"), line);
    }
  });

  it("a runner error is logged with credentials masked", async () => {
    const leaking: Model = {
      specificationVersion: "v1",
      id: "openai:gpt-test",
      generate: async () => {
        throw new ConfigurationError(`The provider refused the key ${leakedKey}; set OPENAI_API_KEY.`);
      },
    };
    const { lines, raw, fetch } = await serverWith(leaking);
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" }, ops);
    assert.equal(launched.body.status, "failed");
    const error = lines.find((line) => line.msg === "runner error") as { level: number; thread: string; err: { message: string } };
    assert.equal(error.level, 50);
    assert.equal(error.thread, launched.body.id);
    assert.match(error.err.message, /refused the key \[redacted\]/);
    assert.ok(raw.every((line) => !line.includes(leakedKey)));
  });

  it("pretty: one readable line per entry for a terminal, masked the same way", async () => {
    const written: string[] = [];
    const logger = await createLogger({ level: "info", pretty: true, destination: { write: (line: string) => void written.push(line) } });
    logger.info({ method: "POST", route: "/v1/threads", status: 200, authorization: `Bearer ${opsKey}` }, "request");
    assert.equal(written.length, 1);
    assert.match(
      written[0]!,
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}request method=POST route=\/v1\/threads status=200 authorization=\[redacted\]\n$/,
    );
  });

  it("AGENTFOLD_LOG_LEVEL chooses the level, and a wrong one says which are valid", async () => {
    process.env.AGENTFOLD_LOG_LEVEL = "warn";
    const capture = captureLines();
    const logger = await createLogger({ destination: capture.destination });
    logger.info("hidden");
    logger.warn("shown");
    assert.deepEqual(
      capture.lines.map((line) => line.msg),
      ["shown"],
    );
    process.env.AGENTFOLD_LOG_LEVEL = "verbose";
    await assert.rejects(
      createLogger(),
      /AGENTFOLD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"/,
    );
  });
});
