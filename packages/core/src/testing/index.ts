/**
 * `agentfold/testing`: test doubles and conformance suites, for tests only; no production code
 * imports this entry. It may use `node:*` modules (`node:test`, `node:assert`); the main entry never
 * does. The scripted model lives in a production module (the `script:` model spec needs it) and is
 * re-exported here because tests are where it is used most.
 */

// Test doubles
export { ScriptedModel, scriptedModelFromFile, type ScriptStep, type ScriptedModelOptions } from "../scripted-model.ts";
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
