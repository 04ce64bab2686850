/**
 * A stand-in for a provider's adapter: by turn, divide 3 by 4 then done, with token usage; its first
 * call reports one retried attempt (a 429) the way a real adapter's retries do, through `onRetry`.
 * The first reply can carry a credential in an error message, for the log tests.
 */
import type { Model, ModelReply, ModelRequest } from "agentfold";

export const retryingModelId = "openai:gpt-test";

export function createRetryingModel(): Model {
  return {
    specificationVersion: "v1",
    id: retryingModelId,
    async generate(request: ModelRequest): Promise<ModelReply> {
      if (request.turn === 0) {
        request.onRetry?.({ attempt: 1, status: 429, waitMs: 0, message: "rate limited" });
        return { output: { intent: "divide", a: 3, b: 4 }, usage: { inputTokens: 120, outputTokens: 9 } };
      }
      return { output: { intent: "done_for_now", message: "0.75" }, usage: { inputTokens: 150, outputTokens: 7 } };
    },
  };
}
