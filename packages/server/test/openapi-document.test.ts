/**
 * /openapi.json: `Event` and `PendingItem` are `oneOf`s with discriminators derived from core's event
 * schema, real events and pending items fit them, and openapi-typescript turns them into
 * discriminated unions a client can narrow.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { emptyThreadState, eventTypes, reduceThreadState, type Event, type PendingItem } from "agentfold/runtime";
import { createMemoryStore } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { eventComponentName } from "../src/openapi-thread-schemas.ts";
import { appFetcher, get } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

type Schema = { [key: string]: unknown };
type OneOf = { oneOf: { $ref: string }[]; discriminator: { propertyName: string; mapping: Record<string, string> } };
type ObjectSchema = { properties: Record<string, Schema>; required: string[] };
interface OpenApiDocument {
  openapi: string;
  components: { schemas: Record<string, Schema> };
}

let document: OpenApiDocument;

before(async () => {
  const { app } = createServer({
    store: createMemoryStore(),
    agents: [createTestAgents().calculator],
    model: createTestModel(),
    apiKeys: false,
  });
  const response = await get(appFetcher(app), "/openapi.json");
  assert.equal(response.status, 200);
  document = response.body as OpenApiDocument;
});

const component = (name: string) => document.components.schemas[name];
const resolve = (ref: string) => component(ref.replace("#/components/schemas/", "")) as ObjectSchema;

/** Every event of the newest fixture thread: it holds each event type at least once. */
const fixtureEvents = (): Event[] =>
  (JSON.parse(readFileSync(new URL("../../core/test/fixtures/threads/v2/calculator.json", import.meta.url), "utf8")) as { events: Event[] })
    .events;

describe("/openapi.json: Event and PendingItem", () => {
  it("is OpenAPI 3.1", () => {
    assert.equal(document.openapi, "3.1.0");
  });

  it("Event is a oneOf over every event type of core's schema, with a discriminator on type", () => {
    const event = component("Event") as OneOf;
    assert.equal(event.discriminator.propertyName, "type");
    assert.deepEqual(Object.keys(event.discriminator.mapping).sort(), [...eventTypes].sort());
    assert.deepEqual(event.oneOf.map((option) => option.$ref).sort(), Object.values(event.discriminator.mapping).sort());
    for (const [type, ref] of Object.entries(event.discriminator.mapping)) {
      assert.equal(ref, `#/components/schemas/${eventComponentName(type)}`);
      const schema = resolve(ref);
      assert.deepEqual(schema.properties.type, { type: "string", const: type }, `${type}: its type property`);
      assert.ok(schema.required.includes("type") && schema.required.includes("at"), `${type}: type and at are required`);
    }
  });

  it("every event of a stored thread fits its component, and one of another type does not", () => {
    const events = fixtureEvents();
    assert.deepEqual([...new Set(events.map((event) => event.type))].sort(), [...eventTypes].sort(), "the fixture holds every event type");
    for (const event of events) {
      const schema = resolve((component("Event") as OneOf).discriminator.mapping[event.type]!);
      const checked = z.fromJSONSchema(schema as never).safeParse(event);
      assert.ok(checked.success, `${event.type}: ${checked.success ? "" : checked.error.message}`);
    }
    const userInput = z.fromJSONSchema(component("UserInputEvent") as never);
    assert.equal(userInput.safeParse({ type: "done", at: "2026-01-01T00:00:00Z", message: "hi" }).success, false);
  });

  it("PendingItem is a oneOf over approval, question and child, and core's pending items fit it field by field", () => {
    const pending = component("PendingItem") as OneOf;
    assert.equal(pending.discriminator.propertyName, "kind");
    assert.deepEqual(Object.keys(pending.discriminator.mapping).sort(), ["approval", "child", "question"]);
    // Every pending item the fixture thread ever had, as core's fold makes them.
    const seen = new Map<string, PendingItem>();
    let state = emptyThreadState;
    fixtureEvents().forEach((event, index) => {
      state = reduceThreadState(state, event, index);
      for (const item of state.pending) seen.set(`${item.kind} ${item.callId}`, item);
    });
    assert.deepEqual(new Set([...seen.values()].map((item) => item.kind)), new Set(["approval", "child", "question"]));
    for (const item of seen.values()) {
      const schema = resolve(pending.discriminator.mapping[item.kind]!);
      const unknownFields = Object.keys(item).filter((field) => !(field in schema.properties));
      assert.deepEqual(unknownFields, [], `${item.kind}: fields missing from the document`);
      const checked = z.fromJSONSchema(schema as never).safeParse(item);
      assert.ok(checked.success, `${item.kind}: ${checked.success ? "" : checked.error.message}`);
    }
  });
});

describe("openapi-typescript on /openapi.json", () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), "agentfold-openapi-"));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  /** Type errors of `source` compiled against the generated types, one per line. */
  async function typeErrors(source: string): Promise<string[]> {
    writeFileSync(join(directory, "api.ts"), astToString(await openapiTS(document as never)));
    writeFileSync(join(directory, "client.ts"), source);
    const program = ts.createProgram([join(directory, "client.ts")], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2022.d.ts"],
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, " "));
  }

  const preamble = `import type { components } from "./api";
type Event = components["schemas"]["Event"];
type PendingItem = components["schemas"]["PendingItem"];
`;

  it("yields discriminated unions: narrowing on type and kind reaches each member's fields", async () => {
    const errors = await typeErrors(`${preamble}
export function describeEvent(event: Event): string {
  switch (event.type) {
    case "tool_result": return event.callId + event.intent + JSON.stringify(event.result);
    case "approval_requested": return event.argsHash + event.intent;
    case "human_request": return event.question + event.format;
    case "user_input": return event.text;
    default: return event.at;
  }
}
export function describePending(item: PendingItem): string {
  if (item.kind === "approval") return item.argsHash;
  if (item.kind === "question") return item.question;
  return item.childThreadId;
}
`);
    assert.deepEqual(errors, []);
  });

  it("refuses a field of one member read without narrowing, or under another member", async () => {
    const errors = await typeErrors(`${preamble}
export const unnarrowed = (event: Event) => event.argsHash;
export const wrongMember = (event: Event) => (event.type === "user_input" ? event.argsHash : "");
export const wrongKind = (item: PendingItem) => (item.kind === "child" ? item.question : "");
`);
    assert.equal(errors.length, 3, errors.join("\n"));
    for (const [error, field] of errors.map((error, index) => [error, ["argsHash", "argsHash", "question"][index]!] as const)) {
      assert.match(error, new RegExp(`Property '${field}' does not exist`));
    }
  });
});
