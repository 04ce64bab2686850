import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "agentfold";
import * as testing from "agentfold/testing";

// The public surface is curated: a change here is a deliberate API change.
test("the main entry exports exactly this list", () => {
  assert.deepStrictEqual(Object.keys(core).sort(), [
    "AgentfoldError", "ChildPaused", "ChildResult", "ConfigurationError", "InternalError", "InvalidInputError",
    "LeaseLostError", "ModelCallError", "StateConflictError", "THREAD_SCHEMA_VERSION", "Thread",
    "ThreadBusyError", "ThreadExistsError", "ThreadFormatError", "ThreadNotFoundError", "VersionConflictError", "acquireLeaseBy", "askHuman",
    "canonicalJson", "childThreadId", "countTokens", "createMemoryStore", "defaultEventRenderers", "defaultPrompt",
    "defineAgent", "defineTool", "describeError", "doneForNow", "dropOldestEvents", "emptyThreadState", "eventSchema",
    "eventTypes", "hashArgs", "holdLease", "intentSpecs", "keepLease", "newId", "nextAction", "nextStepSchema", "parseJsonLenient",
    "parseModelOutput", "pendingItemOf", "reduceThreadState", "requestHumanInput", "resumeChild", "sha256Hex", "statusOf",
    "systemClock", "threadStatuses", "toJson", "toYaml", "version", "xmlContext",
  ]);
});

test("the testing entry exports the doubles and conformance suites", () => {
  for (const name of ["ScriptedModel", "scriptedModelFromFile", "createFakeClock", "createMemoryStore", "runThreadStoreConformance"]) {
    assert.ok(name in testing, name);
  }
});
