/**
 * Every route a served agent exposes, each with a valid example request, for tests that send every
 * route hostile variants of a good request. The API's routes are checked against /openapi.json
 * (`openApiOperations`), so a new route without an example fails a test instead of going unfuzzed.
 */

/** The threads the examples point at. */
export interface RouteFixture {
  /** A thread waiting for an approval of `callId`. */
  threadId: string;
  callId: string;
}

export interface RouteExample {
  method: "GET" | "POST";
  /** As in /openapi.json: `/v1/threads/{id}`. */
  path: string;
  /** Values for the path's `{parameters}`. */
  params(fixture: RouteFixture): Record<string, string>;
  query?: Record<string, string>;
  /** A valid JSON body; its top-level fields are what the fuzzer gives wrong types. */
  body?: Record<string, unknown>;
  /** The status of the valid example when it is not a 2xx. */
  status?: number;
  /** The route answers with an event stream (the fuzzer reads only its headers). */
  stream?: boolean;
}

const thread = (fixture: RouteFixture) => ({ id: fixture.threadId });
const call = (fixture: RouteFixture) => ({ id: fixture.threadId, callId: fixture.callId });
const none = () => ({});

/** The API's routes (those in /openapi.json), one valid request each. */
export const apiRouteExamples: readonly RouteExample[] = [
  {
    method: "POST",
    path: "/v1/threads",
    params: none,
    query: { wait: "0" },
    body: {
      agent: "calculator",
      message: "divide 3 by 4",
      events: [{ type: "custom", name: "note", data: { a: 1 } }],
      metadata: { team: "ops" },
    },
  },
  {
    method: "GET",
    path: "/v1/threads",
    params: none,
    query: {
      status: "awaiting_approval",
      agent: "calculator",
      limit: "5",
      createdFrom: "2026-01-01",
      createdBefore: "2100-01-01T00:00:00Z",
    },
  },
  { method: "GET", path: "/v1/threads/{id}", params: thread },
  {
    method: "POST",
    path: "/v1/threads/{id}/approvals/{callId}",
    params: call,
    query: { wait: "0" },
    body: { approved: false, comment: "not now" },
  },
  // The fixture's call waits for an approval, not an answer: a valid answer gets as far as the state check.
  {
    method: "POST",
    path: "/v1/threads/{id}/responses/{callId}",
    params: call,
    query: { wait: "0" },
    body: { text: "an answer" },
    status: 409,
  },
  { method: "POST", path: "/v1/threads/{id}/messages", params: thread, query: { wait: "0" }, body: { text: "and then?" } },
  { method: "POST", path: "/v1/threads/{id}/cancel", params: thread, body: { reason: "testing" } },
  { method: "POST", path: "/v1/threads/{id}/fork", params: thread, query: { wait: "0" }, body: { atEvent: 1 } },
  // The fixture thread waits for an approval, not a timer: a valid wake gets as far as the state check.
  { method: "POST", path: "/v1/threads/{id}/wake", params: thread, query: { wait: "0" }, body: {}, status: 409 },
  {
    method: "POST",
    path: "/v1/chat",
    params: none,
    query: { agent: "calculator" },
    body: { id: "chat-example", messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "divide 3 by 4" }] }] },
    stream: true,
  },
  { method: "GET", path: "/v1/threads/{id}/context", params: thread },
  { method: "GET", path: "/v1/threads/{id}/timing", params: thread },
  { method: "GET", path: "/v1/threads/{id}/stream", params: thread, query: { after: "0" }, stream: true },
  { method: "GET", path: "/v1/agents", params: none },
  { method: "GET", path: "/healthz", params: none },
  { method: "GET", path: "/readyz", params: none },
];

/** Routes the server serves that its document does not list. */
export const undocumentedRouteExamples: readonly RouteExample[] = [{ method: "GET", path: "/openapi.json", params: none }];

/** `"POST /v1/threads"` for each operation of an OpenAPI document, sorted. */
export function openApiOperations(document: { paths?: Record<string, Record<string, unknown>> }): string[] {
  const methods = new Set(["get", "post", "put", "patch", "delete", "head", "options"]);
  return Object.entries(document.paths ?? {})
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => methods.has(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

/** `"POST /v1/threads"` for each example, sorted. */
export function exampleOperations(examples: readonly RouteExample[]): string[] {
  return examples.map((example) => `${example.method} ${example.path}`).sort();
}

/** The path with its parameters filled in, each percent-encoded unless `raw`. */
export function fillPath(path: string, params: Record<string, string>, raw = false): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`No value for {${name}} in ${path}`);
    return raw ? value : encodeURIComponent(value);
  });
}

/** `?a=1&b=2`, or "" for no parameters. */
export function queryString(query: Record<string, string> | undefined): string {
  const entries = Object.entries(query ?? {});
  return entries.length === 0
    ? ""
    : `?${entries.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&")}`;
}
