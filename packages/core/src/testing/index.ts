/**
 * `agentfold/testing`: test doubles and conformance suites. This entry may use `node:*` modules;
 * the main entry never does.
 */

// Test doubles
export { ScriptedModel, scriptedModelFromFile, type ScriptStep, type ScriptedModelOptions } from "./scripted-model.ts";
export { createFakeClock, type FakeClock } from "./fake-clock.ts";
export { createMemoryStore } from "../memory-store.ts";

// Store conformance
export { runThreadStoreConformance, type ThreadStoreConformanceOptions } from "./store-conformance.ts";

// Model conformance
export {
  runModelConformance,
  conformanceRequest,
  assertReplyShape,
  type ModelConformanceOptions,
} from "./model-conformance.ts";
