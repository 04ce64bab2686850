/**
 * The `Event` and `PendingItem` schemas of /openapi.json, derived from core's event schema: one
 * component per event type (`UserInputEvent`, `ApprovalRequestedEvent`, …) and `Event` as a `oneOf`
 * over them with a discriminator on `type`; likewise `PendingApproval`, `PendingQuestion` and
 * `PendingChild` (each made from the fields of the event that opens it) under `PendingItem`,
 * discriminated by `kind`. Generated clients (openapi-typescript and the like) get discriminated
 * unions, and a new event type or field reaches the document without anyone editing it.
 */
import { z } from "@hono/zod-openapi";
import { eventSchema } from "agentfold/runtime";

type JsonSchema = { [key: string]: unknown };
type ObjectSchema = { type: "object"; properties: Record<string, JsonSchema>; required?: string[]; description?: string };

const ref = (name: string) => `#/components/schemas/${name}`;

/** `approval_requested` → `ApprovalRequestedEvent`. */
export function eventComponentName(type: string): string {
  return `${type.replace(/(^|_)([a-z])/g, (_match, _separator, letter: string) => letter.toUpperCase())}Event`;
}

/**
 * The pending items and the request event each is made from (see `pendingItemOf` in core's
 * thread-state.ts); `since` is that event's `at`.
 */
const pendingKinds = [
  {
    name: "PendingApproval",
    kind: "approval",
    from: "approval_requested",
    fields: ["callId", "intent", "args", "argsHash", "resolvedArgs"],
    description: "An open approval: approve, reject with a comment, or approve edited arguments (POST .../approvals/{callId}).",
  },
  {
    name: "PendingQuestion",
    kind: "question",
    from: "human_request",
    fields: ["callId", "reason", "question", "context", "urgency", "format", "choices", "intent"],
    description: "An open question to a person (POST .../responses/{callId}).",
  },
  {
    name: "PendingChild",
    kind: "child",
    from: "child_paused",
    fields: ["callId", "childThreadId", "childStatus"],
    description: "A child agent's thread waits; what it waits for is pending on that thread.",
  },
] as const;

/** A pending request's deadline as the fold shows it (core's `RequestDeadline`), not as its event records it. */
const deadlineView: JsonSchema = {
  type: "object",
  description: "When the request must be decided by, and what happens then (a deadline on its tool).",
  properties: {
    by: { type: "string", description: "ISO 8601: the request's time plus the deadline's afterMs." },
    action: { type: "string", enum: ["reject", "remind", "escalate"] },
    to: { type: "array", items: { type: "string" }, description: "Who an escalation goes to." },
    passed: { type: "boolean", description: "The deadline passed: a reminder or an escalation went out; the request still waits." },
  },
  required: ["by", "action", "passed"],
};

function buildThreadSchemas() {
  const events: Record<string, ObjectSchema> = {};
  for (const option of eventSchema.options) {
    // Input, not output: without `additionalProperties: false`, so a client keeps reading events
    // after a newer server adds an optional field. `jsonValue` (a hand-written check) is `{}`: any JSON.
    const { $schema: _schema, ...schema } = z.toJSONSchema(option, { io: "input", unrepresentable: "any" }) as JsonSchema;
    events[option.shape.type.value] = schema as ObjectSchema;
  }
  const components: Record<string, JsonSchema> = {};
  const eventMapping: Record<string, string> = {};
  for (const [type, schema] of Object.entries(events)) {
    components[eventComponentName(type)] = schema;
    eventMapping[type] = ref(eventComponentName(type));
  }
  const pendingMapping: Record<string, string> = {};
  for (const { name, kind, from, fields, description } of pendingKinds) {
    const event = events[from]!;
    const properties: Record<string, JsonSchema> = { kind: { type: "string", const: kind } };
    for (const field of fields) properties[field] = event.properties[field]!;
    properties.since = { ...event.properties.at, description: `When it was requested: the \`at\` of its ${from} event.` };
    if (kind !== "child") properties.deadline = deadlineView;
    const required = ["kind", ...fields.filter((field) => event.required?.includes(field)), "since"];
    components[name] = { type: "object", description, properties, required };
    pendingMapping[kind] = ref(name);
  }
  return {
    components,
    event: {
      description: "One event of the thread, by `type`; the schema is core's event schema.",
      oneOf: Object.values(eventMapping).map(($ref) => ({ $ref })),
      discriminator: { propertyName: "type", mapping: eventMapping },
    },
    pendingItem: {
      description: "An open approval, question or paused child agent, by `kind`.",
      oneOf: Object.values(pendingMapping).map(($ref) => ({ $ref })),
      discriminator: { propertyName: "kind", mapping: pendingMapping },
    },
  };
}

let built: ReturnType<typeof buildThreadSchemas> | undefined;

/**
 * The schemas, built on first use: `components` to register (one per event type and pending kind),
 * and the `Event` and `PendingItem` schemas over them.
 *
 * @example
 * for (const [name, schema] of Object.entries(threadSchemas().components)) registry.registerComponent("schemas", name, schema);
 */
export function threadSchemas(): ReturnType<typeof buildThreadSchemas> {
  return (built ??= buildThreadSchemas());
}

/**
 * The document with `Event` and `PendingItem` as derived here, beside the schemas they refer to. The
 * routes' zod schemas name these two components (api-routes.ts) but describe them loosely; built on
 * the first request for the document, so starting a server does not pay for it.
 *
 * @example
 * app.get("/openapi.json", (c) => c.json(withThreadSchemas(app.getOpenAPI31Document(config))));
 */
export function withThreadSchemas<T extends { components?: { schemas?: Record<string, unknown> } }>(document: T): T {
  const { components, event, pendingItem } = threadSchemas();
  return {
    ...document,
    components: {
      ...document.components,
      schemas: { ...document.components?.schemas, ...components, Event: event, PendingItem: pendingItem },
    },
  };
}
