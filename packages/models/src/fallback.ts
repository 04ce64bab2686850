/**
 * An ordered list of models tried in turn: when one fails for good (after its own retries), the next
 * one gets the same request. An aborted call stops at once.
 */
import { ModelCallError } from "agentfold";
import { describeError } from "agentfold/runtime";
import type { Model, ModelReply, ModelRequest } from "agentfold";

/**
 * Combines models into one that falls back in order. The reply's `modelId` names the model that
 * answered, and `metadata.failedModels` lists the ones that failed before it.
 *
 * @example
 * const model = withFallbacks([openaiModel("gpt-4o-mini"), anthropicModel("claude-haiku-4-5")]);
 */
export function withFallbacks(models: readonly Model[]): Model {
  const [first] = models;
  if (!first) throw new ModelCallError("withFallbacks needs at least one model.", { retryable: false });
  if (models.length === 1) return first;
  return {
    specificationVersion: "v1",
    id: first.id,
    ...(first.defaultMode ? { defaultMode: first.defaultMode } : {}),
    async generate(request: ModelRequest): Promise<ModelReply> {
      const failures: Array<{ model: string; error: string; retryable: boolean; status?: number }> = [];
      // Each model counts its attempts from 1; streamed deltas keep counting across models, so a
      // watcher drops what a failed model streamed when the next one starts (see ModelDelta).
      let attemptsStreamed = 0;
      for (const model of models) {
        if (request.signal?.aborted) break;
        try {
          const reply = await model.generate(
            withAttemptOffset(request, attemptsStreamed, (attempt) => {
              attemptsStreamed = Math.max(attemptsStreamed, attempt);
            }),
          );
          if (failures.length === 0) return reply;
          return {
            ...reply,
            modelId: reply.modelId ?? model.id,
            metadata: { ...reply.metadata, failedModels: failures },
          };
        } catch (error) {
          if (request.signal?.aborted) throw error;
          const status = error instanceof ModelCallError ? error.status : undefined;
          failures.push({
            model: model.id,
            error: describeError(error),
            retryable: error instanceof ModelCallError && error.retryable,
            ...(status === undefined ? {} : { status }),
          });
        }
      }
      if (request.signal?.aborted) throw new ModelCallError(`Call to model ${first.id} was aborted.`, { retryable: false });
      // One HTTP status shared by every failure is the call's status: every key refused (401) is a
      // misconfiguration the step reports as such, not an error for the model to read.
      const statuses = new Set(failures.map((failure) => failure.status));
      const [status] = statuses;
      throw new ModelCallError(`Every model failed: ${failures.map((failure) => `${failure.model}: ${failure.error}`).join("; ")}`, {
        retryable: failures.some((failure) => failure.retryable),
        ...(statuses.size === 1 && status !== undefined ? { status } : {}),
      });
    },
  };
}

function withAttemptOffset(request: ModelRequest, offset: number, seen: (attempt: number) => void): ModelRequest {
  const onDelta = request.onDelta;
  if (!onDelta) return request;
  return {
    ...request,
    onDelta(delta) {
      const attempt = delta.attempt + offset;
      seen(attempt);
      onDelta({ ...delta, attempt });
    },
  };
}
