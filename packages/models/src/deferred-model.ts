/**
 * Models made on first use: the provider SDKs are optional peers, imported when a model is first
 * called rather than when `@agentfold/models` is, and local weights are downloaded then too.
 */
import { importOptional } from "agentfold/runtime";
import type { Model, ModelReply, ModelRequest, OutputMode } from "agentfold";

/**
 * A model whose real implementation is made by `make` on the first `generate`. A failed `make` is
 * tried again on the next call (the network may be back, the package installed).
 *
 * @example
 * const model = deferredModel("openai:gpt-4o-mini", "tools", async () => fromLanguageModel(await load()));
 */
export function deferredModel(id: string, defaultMode: OutputMode, make: () => Promise<Model>): Model {
  let made: Promise<Model> | undefined;
  return {
    specificationVersion: "v1",
    id,
    defaultMode,
    async generate(request: ModelRequest): Promise<ModelReply> {
      made ??= make().catch((error: unknown) => {
        made = undefined;
        throw error;
      });
      return (await made).generate(request);
    },
  };
}

/**
 * Imports an optional peer package, saying which `npm i` to run when it is not installed.
 *
 * @example
 * const { createOpenAI } = await importPeer("@ai-sdk/openai", "openai:gpt-4o-mini", () => import("@ai-sdk/openai"));
 */
export function importPeer<T>(name: string, usedBy: string, load: () => Promise<T>): Promise<T> {
  return importOptional(name, `${usedBy} needs the ${name} package: npm i ${name}`, load);
}
