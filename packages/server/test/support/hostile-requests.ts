/**
 * fast-check arbitraries of hostile variants of a route's valid request: malformed and deep JSON,
 * bodies just under and over the size limit, lone surrogates, RTL, emoji and NUL, wrong JSON types,
 * wrong content types, odd and traversing ids, bad query values, bad headers, wrong methods.
 */
import fc from "fast-check";
import type { RawRequest } from "./raw-http.ts";
import { fillPath, queryString, type RouteExample, type RouteFixture } from "./route-examples.ts";

export interface HostileContext {
  example: RouteExample;
  fixture: RouteFixture;
  /** Headers every request carries unless a variant replaces them (the API key). */
  headers: Record<string, string>;
  /** A thread of another tenant: its id must be a 404, as if it did not exist. */
  otherTenantThreadId: string;
  /** The server's `maxBodyBytes`. */
  maxBodyBytes: number;
}

export interface HostileRequest {
  /** What was done to the valid request, for the failure message. */
  variant: string;
  request: RawRequest;
}

const json = { "content-type": "application/json" };

/** A valid request, with `change` applied to its parts. */
function build(
  context: HostileContext,
  variant: string,
  change: Partial<{
    target: string;
    method: string;
    headers: Record<string, string>;
    body: string | Buffer | undefined;
    params: Record<string, string>;
    query: string;
  }> = {},
): HostileRequest {
  const { example, fixture } = context;
  const target =
    change.target ??
    fillPath(example.path, change.params ?? example.params(fixture), change.params !== undefined) +
      (change.query ?? queryString(example.query));
  const body = "body" in change ? change.body : example.body === undefined ? undefined : JSON.stringify(example.body);
  const headers = { ...context.headers, ...(body === undefined ? {} : json), ...change.headers };
  return { variant, request: { method: change.method ?? example.method, target, headers, ...(body === undefined ? {} : { body }) } };
}

/** The valid body's JSON with `field` set to the JSON text `valueText` (added when the body lacks it). */
function withField(body: Record<string, unknown>, field: string, valueText: string): string {
  const marker = "\u0001__hostile__\u0001";
  return JSON.stringify({ ...body, [field]: marker }).replace(JSON.stringify(marker), valueText);
}

const fieldOf = (example: RouteExample) =>
  fc.constantFrom(...Object.keys(example.body ?? { text: "" }), "unknownField", "__proto__", "constructor");

const malformedBodies = fc.oneof(
  fc.constantFrom(
    "{",
    '{"text":',
    "null",
    "[]",
    '"text"',
    "0",
    "true",
    '{"a":1}}',
    "{'text':'x'}",
    '{"text":"x",}',
    "\ufeff{}",
    "",
    " ",
    '{"text":"\\x"}',
    '{"text":"\\ud800"',
    "[".repeat(50),
    '{"__proto__":{"polluted":1}}',
    "NaN",
    "1e999",
  ),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
);

/** Texts (JSON string literals or raw bytes) that stress decoding: surrogates, direction marks, NUL. */
const oddStrings = fc.constantFrom(
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '"a\\u0000b"',
  '"\\u202eevil\\u202c"',
  '"\u202egnp.exe"',
  '"👩‍👩‍👧‍👦🏳️‍🌈"',
  '"e\u0301\u0301\u0301\u0301"',
  '"\ufeff\u200b\u2028\u2029"',
  '"\\uFFFF\\uFFFE"',
  '"\u0000raw nul"',
);

const rawByteBodies = fc.constantFrom(
  Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"text":"<ff fe>"}
  Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // a UTF-8 encoded lone surrogate
  Buffer.from([0x00, 0x00, 0x00, 0x00]),
  Buffer.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]), // UTF-16 with a byte order mark
  Buffer.from('{"text":"x"}\u0000', "utf8"),
);

const wrongValues = fc.constantFrom(
  "null",
  "0",
  "-1",
  "1.5",
  "1e308",
  "-0",
  "true",
  "false",
  "[]",
  "{}",
  '""',
  '"x"',
  "[1,2]",
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{}}}',
  "9007199254740993",
);

/** Path parameter values, sent without further encoding. */
const oddIds = (context: HostileContext) =>
  fc.constantFrom(
    "..%2F..%2Fetc%2Fpasswd",
    "..%2f..",
    "%2e%2e",
    "..",
    ".",
    "%00",
    "thr%00x",
    "thr_x%0d%0aX-Injected:%201",
    "%ff",
    "%",
    "%zz",
    "%F0%9F%98%80",
    "%ED%A0%80",
    "%E2%80%AE",
    "__proto__",
    "constructor",
    "%20",
    "a".repeat(201),
    "a".repeat(4000),
    "x".repeat(20_000),
    context.otherTenantThreadId,
    `${context.fixture.threadId}%2F..`,
    `${context.fixture.threadId}.call_1_0`,
  );

const badQueries = fc.oneof(
  fc.constantFrom(
    "?wait=-1",
    "?wait=601",
    "?wait=1e309",
    "?wait=NaN",
    "?wait=abc",
    "?wait=0x10",
    "?wait=Infinity",
    "?wait=%00",
    "?wait=1,2",
    "?wait=0&wait=0",
    "?wait[]=0",
    "?wait=%20",
    "?limit=0",
    "?limit=1e9",
    "?limit=-5",
    "?limit=2.5",
    "?after=-1",
    "?after=1.5",
    "?after=99999999999999999999",
    "?status=nope",
    "?status=",
    "?agent=%00",
    "?agent=",
    `?cursor=${"c".repeat(5000)}`,
    "?cursor=%ff",
    "?__proto__=1&constructor=2",
    "?wait=0&unknown=1&%00=%00",
    "?%",
    "?&&&==",
  ),
  fc.string({ maxLength: 40 }).map((text) => `?wait=0&${encodeURIComponent(text)}=${encodeURIComponent(text)}`),
);

/** Header sets sent instead of or beside the valid ones. */
const badHeaders = (context: HostileContext) =>
  fc
    .constantFrom<[string, Record<string, string>]>(
      ["no API key", { authorization: "" }],
      ["a wrong API key", { authorization: "Bearer nope" }],
      ["a NUL in the API key", { authorization: "Bearer a\u0000b" }],
      ["Basic auth", { authorization: "Basic YWxpY2U6YWxpY2U=" }],
      ["a bare Bearer", { authorization: "Bearer" }],
      ["a NUL in a header", { "x-note": "a\u0000b" }],
      ["a 0xff byte in a header", { "x-note": "caf\u00ff" }],
      ["a 20 KB header", { "x-note": "h".repeat(20_000) }],
      ["a long Idempotency-Key", { "idempotency-key": "k".repeat(256) }],
      ["an empty Idempotency-Key", { "idempotency-key": "" }],
      ["a non-ASCII Idempotency-Key", { "idempotency-key": "clé\u00e9" }],
      ["a garbage Last-Event-ID", { "last-event-id": "abc" }],
      ["a huge Last-Event-ID", { "last-event-id": "99999999999999999999" }],
      ["a negative Last-Event-ID", { "last-event-id": "-1" }],
      ["another Host", { host: "evil.example.com" }],
      ["an empty Host", { host: "" }],
      ["Accept: text/html", { accept: "text/html" }],
      ["Expect: 100-continue", { expect: "100-continue" }],
      ["an unanswerable Expect", { expect: "200-ok" }],
      [
        "an Upgrade to WebSocket",
        { connection: "upgrade", upgrade: "websocket", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
      ],
      ["an Upgrade to h2c", { connection: "upgrade, http2-settings", upgrade: "h2c", "http2-settings": "AAMAAABkAARAAAAAAAIAAAAA" }],
      ["Content-Encoding: gzip", { "content-encoding": "gzip" }],
      ["Transfer-Encoding beside Content-Length", { "transfer-encoding": "chunked" }],
      ["a lying Content-Length", { "content-length": "abc" }],
      ["a negative Content-Length", { "content-length": "-1" }],
    )
    .map(([what, headers]) => ({ what, headers, key: context.headers }));

const contentTypes = fc.constantFrom<string | undefined>(
  undefined,
  "",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "APPLICATION/JSON",
  "application/jsonx",
  "application/problem+json",
  "text/json",
  "*/*",
  "application/json\u00ff",
);

const methods = fc.constantFrom("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO", "get", "POST", "GET");

/** Every hostile variant of the context's route, in one arbitrary. */
export function hostileRequests(context: HostileContext): fc.Arbitrary<HostileRequest> {
  const { example, maxBodyBytes } = context;
  const base = example.body ?? { text: "x" };
  const withBody = example.body !== undefined || example.method === "POST";
  const variants: fc.Arbitrary<HostileRequest>[] = [
    malformedBodies.map((body) => build(context, `malformed JSON body ${JSON.stringify(body.slice(0, 80))}`, { body })),
    fc.tuple(fieldOf(example), fc.integer({ min: 90, max: 20_000 }), fc.boolean()).map(([field, levels, objects]) => {
      const value = objects ? `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}` : "[".repeat(levels) + "]".repeat(levels);
      return build(context, `${levels} levels of ${objects ? "objects" : "arrays"} in "${field}"`, { body: withField(base, field, value) });
    }),
    fc.tuple(fieldOf(example), fc.constantFrom(-1, 0, 1, 100), fc.boolean()).map(([field, over, chunked]) => {
      // A body whose length is the limit plus `over` bytes, most of it one string.
      const frame = withField(base, field, '""').length;
      const length = maxBodyBytes + over;
      const body = withField(base, field, JSON.stringify("s".repeat(Math.max(0, length - frame))));
      return chunked
        ? build(context, `a ${body.length}-byte body (limit ${maxBodyBytes}) in "${field}", chunked`, {
            headers: { "transfer-encoding": "chunked" },
            body: chunkedBody(body),
          })
        : build(context, `a ${body.length}-byte body (limit ${maxBodyBytes}) in "${field}"`, { body });
    }),
    fc
      .tuple(fieldOf(example), oddStrings)
      .map(([field, text]) => build(context, `${text} in "${field}"`, { body: withField(base, field, text) })),
    rawByteBodies.map((body) => build(context, `raw bytes ${body.toString("hex")}`, { body })),
    fc
      .tuple(fieldOf(example), wrongValues)
      .map(([field, value]) => build(context, `${value} as "${field}"`, { body: withField(base, field, value) })),
    contentTypes.map((type) => {
      const headers: Record<string, string> = { "content-type": type ?? "" };
      if (type === undefined) delete headers["content-type"];
      return build(context, `Content-Type ${JSON.stringify(type)}`, { headers, body: JSON.stringify(base) });
    }),
    badQueries.map((query) => build(context, `query ${query.slice(0, 80)}`, { query })),
    badHeaders(context).map(({ what, headers }) => build(context, what, { headers })),
    methods.map((method) => build(context, `method ${method}`, { method })),
    fc
      .constantFrom(
        "/v1/threads/",
        "//v1/threads",
        "/v1/threads/%2F",
        "/v1//threads",
        "/v1/threads/..%2F..%2Fhealthz",
        "*",
        "http://evil.example.com/v1/threads",
        "/v1/threads#x",
        "/\u0000",
      )
      .map((target) => build(context, `target ${JSON.stringify(target)}`, { target })),
  ];
  if (withBody) variants.push(fc.constant(build(context, "no body", { body: undefined, headers: json })));
  if (example.path.includes("{")) {
    const names = [...example.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
    variants.push(
      fc.tuple(fc.constantFrom(...names), oddIds(context)).map(([name, id]) =>
        build(context, `{${name}} = ${id.slice(0, 60)}${id.length > 60 ? `… (${id.length} characters)` : ""}`, {
          params: {
            ...Object.fromEntries(Object.entries(example.params(context.fixture)).map(([key, value]) => [key, encodeURIComponent(value)])),
            [name]: id,
          },
        }),
      ),
    );
  }
  return fc.oneof(...variants);
}

/** The body in HTTP chunks of up to 16 KB. */
function chunkedBody(text: string): Buffer {
  const data = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 16_384) {
    const chunk = data.subarray(offset, offset + 16_384);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}
