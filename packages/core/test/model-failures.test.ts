/**
 * Model failures the model cannot fix stop the step honestly: a refused key, model or URL (401,
 * 403, 404) and a provider that outlived the retries fail the thread with a `code`, never become a
 * question for a person; resuming continues it. Retries are recorded on the thread as they happen.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { ModelCallError, StateConflictError, defineAgent, defineTool, doneForNow, Thread, type Model } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

function echoAgent() {
  const echo = defineTool({ intent: "echo", description: "say it back", args: z.object({ text: z.string() }), run: ({ text }) => text });
  return defineAgent({ name: "echo", tools: [echo, doneForNow()] });
}

function failingModel(error: Error): Model & { calls: number } {
  const model = {
    specificationVersion: "v1" as const,
    id: "provider:model-x",
    calls: 0,
    async generate(): Promise<never> {
      model.calls += 1;
      throw error;
    },
  };
  return model;
}

describe("a provider that refuses the key, the model or the URL", () => {
  for (const status of [401, 403, 404]) {
    it(`fails the thread at once on ${status}, with the provider's message, and asks nobody`, async () => {
      const agent = echoAgent();
      const model = failingModel(
        new ModelCallError(`Model provider:model-x failed: Incorrect API key provided: sk-bad. Check the API key.`, {
          retryable: false,
          status,
        }),
      );
      const thread = await agent.run(agent.start("hi"), { model });
      assert.equal(model.calls, 1);
      assert.equal(thread.status, "failed");
      assert.equal(thread.state.failureCode, "model_misconfigured");
      assert.equal(thread.pending.length, 0);
      assert.ok(!thread.events.some((event) => event.type === "human_request" || event.type === "error"));
      const failed = thread.lastEvent;
      assert.ok(failed?.type === "failed");
      assert.match(failed.reason, new RegExp(`provider:model-x is misconfigured \\(HTTP ${status}\\)`));
      assert.match(failed.reason, /Incorrect API key provided/);
      assert.match(failed.reason, /resume the thread/);
    });
  }

  it("resuming after the fix continues the thread; the failure is not shown to the model", async () => {
    const agent = echoAgent();
    const failed = await agent.run(agent.start("hi"), {
      model: failingModel(new ModelCallError("401 Incorrect API key provided", { retryable: false, status: 401 })),
    });
    const resumed = agent.resume(failed, { actor: "cli:alice" });
    assert.equal(resumed.status, "running");
    assert.equal(resumed.lastEvent?.type, "resumed");
    assert.doesNotMatch(agent.render(resumed).context, /Incorrect API key|resumed/);
    const done = await agent.run(resumed, { model: new ScriptedModel([{ intent: "done_for_now", message: "hello" }]) });
    assert.equal(done.status, "done");
    const reloaded = Thread.fromJSON(JSON.parse(JSON.stringify(done.toJSON())));
    assert.equal(reloaded.status, "done");
  });

  it("a provider that outlived the retries fails the thread as unavailable after one step, not three", async () => {
    const agent = echoAgent();
    const model = failingModel(
      new ModelCallError("Model provider:model-x gave no answer within the call's 90 s deadline", { retryable: true }),
    );
    const thread = await agent.run(agent.start("hi"), { model });
    assert.equal(model.calls, 1);
    assert.equal(thread.status, "failed");
    assert.equal(thread.state.failureCode, "model_unavailable");
    assert.equal(agent.resume(thread).status, "running");
  });

  it("other failures still go back to the model as an error", async () => {
    const agent = echoAgent();
    const model = failingModel(new ModelCallError("400 the request was invalid", { retryable: false, status: 400 }));
    const thread = await agent.step(agent.start("hi"), { model });
    assert.equal(thread.lastEvent?.type, "error");
  });

  it("only a thread that failed because of its model is resumed", async () => {
    const agent = echoAgent();
    assert.throws(() => agent.resume(agent.start("hi")), StateConflictError);
    const stepLimit = agent.start("hi").append([{ type: "failed", reason: "Reached maxSteps" }]);
    assert.throws(() => agent.resume(stepLimit), /send a message instead/);
  });
});

describe("model warnings recorded on the thread", () => {
  it("commits the warning before the call goes on, and never renders it for the model", async () => {
    const agent = echoAgent();
    const batches: string[][] = [];
    const model: Model = {
      specificationVersion: "v1",
      id: "ollama:small",
      async generate(request) {
        request.onWarning?.({
          kind: "context_window_exceeded",
          message: "The prompt has about 9000 tokens, more than the window of 4096.",
          promptTokens: 9000,
          contextWindow: 4096,
        });
        return { output: { intent: "done_for_now", message: "ok" } };
      },
    };
    const thread = await agent.run(agent.start("hi"), {
      model,
      commit: (next, previous) => {
        batches.push(next.events.slice(previous.version).map((event) => event.type));
      },
    });
    assert.equal(thread.status, "done");
    assert.ok(batches.some((batch) => batch.includes("model_warning") && !batch.includes("model_decision")));
    const warnings = thread.events.filter((event) => event.type === "model_warning");
    assert.deepEqual(
      warnings.map(({ at: _at, ...rest }) => rest),
      [
        {
          type: "model_warning",
          model: "ollama:small",
          kind: "context_window_exceeded",
          message: "The prompt has about 9000 tokens, more than the window of 4096.",
          promptTokens: 9000,
          contextWindow: 4096,
        },
      ],
    );
    assert.equal(thread.state.consecutiveErrors, 0);
    assert.doesNotMatch(agent.render(thread).context, /9000|window/);
  });
});

describe("retries recorded on the thread", () => {
  /** Reports two retries, each waiting until the step has committed it, then answers. */
  function retryingModel(committed: () => Promise<void>): Model {
    return {
      specificationVersion: "v1",
      id: "provider:model-x",
      async generate(request) {
        request.onRetry?.({ attempt: 1, status: 429, waitMs: 1200, message: "Rate limit reached" });
        await committed();
        request.onRetry?.({ attempt: 2, waitMs: 40, message: "fetch failed (ECONNRESET)" });
        await committed();
        return { output: { intent: "done_for_now", message: "ok" } };
      },
    };
  }

  it("commits each retry while the call waits, before the decision, and never renders it", async () => {
    const agent = echoAgent();
    const batches: string[][] = [];
    let release: (() => void) | undefined;
    const committed = () =>
      new Promise<void>((resolve) => {
        release = resolve;
      });
    const thread = await agent.run(agent.start("hi"), {
      model: retryingModel(committed),
      commit: (next, previous) => {
        batches.push(next.events.slice(previous.version).map((event) => event.type));
        release?.();
      },
    });
    assert.equal(thread.status, "done");
    assert.deepEqual(batches.slice(0, 2), [["model_call_retried"], ["model_call_retried"]]);
    const retries = thread.events.filter((event) => event.type === "model_call_retried");
    assert.deepEqual(
      retries.map(({ at: _at, ...rest }) => rest),
      [
        { type: "model_call_retried", model: "provider:model-x", attempt: 1, status: 429, waitMs: 1200, message: "Rate limit reached" },
        { type: "model_call_retried", model: "provider:model-x", attempt: 2, waitMs: 40, message: "fetch failed (ECONNRESET)" },
      ],
    );
    assert.equal(thread.state.consecutiveErrors, 0);
    assert.doesNotMatch(agent.render(thread).context, /Rate limit|retried/);
  });

  it("a retry that cannot be stored stops the call and the step with the store's error", async () => {
    const agent = echoAgent();
    let aborted = false;
    const model: Model = {
      specificationVersion: "v1",
      id: "provider:model-x",
      generate(request) {
        request.onRetry?.({ attempt: 1, status: 503, waitMs: 5_000, message: "overloaded" });
        return new Promise((_resolve, reject) => {
          request.signal?.addEventListener("abort", () => {
            aborted = true;
            reject(request.signal?.reason);
          });
        });
      },
    };
    await assert.rejects(
      agent.step(agent.start("hi"), {
        model,
        commit: (next) => {
          if (next.lastEvent?.type === "model_call_retried") throw new Error("lease lost");
        },
      }),
      /lease lost/,
    );
    assert.equal(aborted, true);
  });
});
