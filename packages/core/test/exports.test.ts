import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "agentfold";
import * as runtime from "agentfold/runtime";
import * as testing from "agentfold/testing";

// The public surface is curated: a change to one of these lists is a deliberate API change.

test("the main entry exports exactly what an agent author uses", () => {
  assert.deepStrictEqual(Object.keys(core).sort(), [
    "AgentfoldError",
    "ConfigurationError",
    "InvalidInputError",
    "ModelCallError",
    "StateConflictError",
    "Thread",
    "ThreadFormatError",
    "askHuman",
    "countTokens",
    "createMemoryStore",
    "defaultEventRenderers",
    "defaultPrompt",
    "defineAgent",
    "defineTool",
    "doneForNow",
    "dropOldestEvents",
    "nextAction",
    "nextStepSchema",
    "parseModelOutput",
    "requestHumanInput",
    "sleep",
    "toYaml",
    "version",
    "waitUntil",
    "xmlContext",
  ]);
});

test("the main entry stays small: at most 25 values", () => {
  // A new value for authors should push an older one out to `agentfold/runtime`, not grow the list.
  assert.ok(Object.keys(core).length <= 25, `agentfold exports ${Object.keys(core).length} values`);
});

test("the runtime entry exports exactly the building blocks for stores, models, runners and channels", () => {
  assert.deepStrictEqual(Object.keys(runtime).sort(), [
    "ChildPaused",
    "ChildResult",
    "DEADLINE_ACTOR",
    "DECISION_REFUSED",
    "DEFAULT_LEASE_TTL_MS",
    "DEFAULT_TENANT",
    "FaultInjectedError",
    "InternalError",
    "LeaseLostError",
    "ScriptedModel",
    "StoreUnavailableError",
    "TENANT_METADATA_KEY",
    "THREAD_SCHEMA_VERSION",
    "ThreadBusyError",
    "ThreadExistsError",
    "ThreadNotFoundError",
    "VersionConflictError",
    "Wait",
    "acquireLeaseBy",
    "applyHumanAction",
    "cancelDescendants",
    "canceledAncestor",
    "canonicalJson",
    "childAgentOf",
    "childLinksOf",
    "childThreadId",
    "createDeltaListeners",
    "createLocalDeltaRelay",
    "decisionRefusedEvent",
    "describeError",
    "dueEvents",
    "emptyThreadState",
    "eventSchema",
    "eventTypes",
    "familyRefusal",
    "faultPoint",
    "faultPointNames",
    "findThreadAgent",
    "finishCanceledFamily",
    "fireDue",
    "hashArgs",
    "holdLease",
    "humanActionSchemas",
    "importOptional",
    "intentSpecs",
    "keepLease",
    "keepOutcomes",
    "newId",
    "nextWakeAt",
    "parentOf",
    "parseJsonLenient",
    "pendingItemOf",
    "redactCredentials",
    "reduceThreadState",
    "resumeChild",
    "resumePausedChild",
    "rootThreadOf",
    "scriptedModelFromFile",
    "sha256Hex",
    "statusOf",
    "systemClock",
    "tenantMetadata",
    "tenantOf",
    "threadStatuses",
    "timerSetEvent",
    "timingRows",
    "toJson",
    "waitsForChild",
    "wakeThread",
  ]);
});

test("the testing entry exports exactly the test doubles and conformance suites", () => {
  assert.deepStrictEqual(Object.keys(testing).sort(), [
    "ScriptedModel",
    "assertReplyShape",
    "conformanceRequest",
    "createFakeClock",
    "createMemoryStore",
    "runModelConformance",
    "runThreadStoreConformance",
    "scriptedModelFromFile",
  ]);
});

test("each value has one home: agentfold and agentfold/runtime share none", () => {
  assert.deepStrictEqual(
    Object.keys(core).filter((name) => name in runtime),
    [],
  );
});

test("the testing entry re-exports the production scripted model and memory store, not copies", () => {
  assert.equal(testing.ScriptedModel, runtime.ScriptedModel);
  assert.equal(testing.scriptedModelFromFile, runtime.scriptedModelFromFile);
  assert.equal(testing.createMemoryStore, core.createMemoryStore);
});

// Which entry imports what: read from the sources, so a stray import fails here, not in a bundle.

const root = fileURLToPath(new URL("../../../", import.meta.url));
const coreSource = join(root, "packages", "core", "src");

/** The static (run-time) imports of each file, as V8 parses them; see support/static-imports.ts. */
function staticImports(files: readonly string[]): Record<string, string[]> {
  const script = fileURLToPath(new URL("support/static-imports.ts", import.meta.url));
  const output = execFileSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", script, ...files], { encoding: "utf8" });
  return JSON.parse(output) as Record<string, string[]>;
}

/** Every core source file an entry loads, following relative imports, with the imports of each. */
function moduleGraph(entry: string): Record<string, string[]> {
  const graph: Record<string, string[]> = {};
  let frontier = [join(coreSource, entry)];
  while (frontier.length > 0) {
    const found = staticImports(frontier);
    Object.assign(graph, found);
    frontier = [
      ...new Set(
        Object.entries(found).flatMap(([file, specifiers]) =>
          specifiers.filter((specifier) => specifier.startsWith(".")).map((specifier) => join(dirname(file), specifier)),
        ),
      ),
    ].filter((file) => !(file in graph));
  }
  return graph;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === "testing" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

test("the main entry loads no node:* module and no test code", () => {
  const graph = moduleGraph("index.ts");
  const files = Object.keys(graph).map((file) => relative(coreSource, file));
  assert.deepStrictEqual(
    files.filter((file) => file.startsWith("testing") || file === "scripted-model.ts"),
    [],
  );
  assert.deepStrictEqual(
    Object.values(graph)
      .flat()
      .filter((specifier) => specifier.startsWith("node:")),
    [],
  );
});

test("the runtime entry loads no test code and imports no node:* module (node:fs is fetched to read a model script)", () => {
  const graph = moduleGraph("runtime.ts");
  const files = Object.keys(graph).map((file) => relative(coreSource, file));
  assert.deepStrictEqual(
    files.filter((file) => file.startsWith("testing")),
    [],
  );
  const external = [
    ...new Set(
      Object.values(graph)
        .flat()
        .filter((specifier) => !specifier.startsWith(".")),
    ),
  ];
  assert.deepStrictEqual(
    external.filter((specifier) => specifier.startsWith("node:")),
    [],
  );
});

test("production code never imports agentfold/testing or node:test (only testing/ folders do)", () => {
  const packages = join(root, "packages");
  const files = readdirSync(packages).flatMap((name) => sourceFiles(join(packages, name, "src")));
  assert.ok(files.length > 50, `found only ${files.length} source files under packages/*/src`);
  const offenders = Object.entries(staticImports(files))
    .filter(([, specifiers]) => specifiers.some((specifier) => specifier === "agentfold/testing" || specifier === "node:test"))
    .map(([file]) => relative(root, file));
  assert.deepStrictEqual(offenders, []);
});
