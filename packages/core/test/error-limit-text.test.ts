/**
 * The text a person reads when the error limit is reached: the last error is quoted as a sentence,
 * whatever punctuation it ends with (issue #18: "…done_for_now.. How should it proceed?").
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

function agentWith(onErrorLimit: "escalate" | "fail", message: string) {
  const flaky = defineTool({
    intent: "flaky",
    description: "always throws",
    args: z.object({}),
    run: () => {
      throw new Error(message);
    },
  });
  return defineAgent({ name: "errors", tools: [flaky, doneForNow()], limits: { maxConsecutiveErrors: 2, onErrorLimit } });
}

const calls = [{ intent: "flaky" }, { intent: "flaky" }];

describe("the error limit's text", () => {
  for (const message of ["Call done_for_now.", "it broke", "Really?"]) {
    it(`asks one well-punctuated question when the last error is ${JSON.stringify(message)}`, async () => {
      const agent = agentWith("escalate", message);
      const thread = await agent.run(agent.start("go"), { model: new ScriptedModel(calls) });
      const question = thread.pending[0]?.kind === "question" ? thread.pending[0].question : "";
      assert.match(question, /^The agent stopped after 2 consecutive errors/);
      assert.ok(question.endsWith(" How should it proceed?"), question);
      assert.doesNotMatch(question, /\.\.|\?\.|[a-z] How/);
    });
  }

  it("states the reason of a failed thread as one sentence", async () => {
    const agent = agentWith("fail", "Call done_for_now.");
    const thread = await agent.run(agent.start("go"), { model: new ScriptedModel(calls) });
    const reason = thread.lastEvent?.type === "failed" ? thread.lastEvent.reason : "";
    assert.match(reason, /^Stopped after 2 consecutive errors; the last one: .*Call done_for_now\.$/);
  });
});
