/**
 * The HTTP API v1 as route definitions: the request and response schemas validate requests and
 * generate `/openapi.json`, so the document cannot drift from what the server accepts.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { eventTypes, threadStatuses } from "agentfold/runtime";
import { timeParam } from "./time-params.ts";

/** Ids the server makes look like `thr_3f9c…`; child threads add `.call_…`. Anything else is a 400. */
export const idPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/;

const threadId = z
  .string()
  .regex(idPattern, "must be a thread id such as thr_3f9c0c7e (letters, digits, _ . : -; at most 200 characters)")
  .openapi({ param: { name: "id", in: "path" }, example: "thr_3f9c0c7e5d2a4b1e9f0a6c8d7e5b4a3c" });
const callId = z
  .string()
  .regex(idPattern, "must be a call id from the thread's pending list, such as call_1_0")
  .openapi({ param: { name: "callId", in: "path" }, example: "call_1_0" });

export const threadParams = z.object({ id: threadId });
export const callParams = z.object({ id: threadId, callId });

const waitQuery = z.object({
  wait: z
    .preprocess(
      // `?wait=` (empty) means the default, not 0.
      (value) => (value === "" ? undefined : value),
      z.coerce.number().min(0).max(600).optional(),
    )
    .openapi({
      type: "number",
      minimum: 0,
      maximum: 600,
      description: "Seconds to wait for the thread to pause or finish (default 30; 0 answers at once with 202).",
    }),
});

const jsonObject = z.record(z.string(), z.unknown());

/** Documents `Idempotency-Key` in /openapi.json; `idempotency.ts` reads and checks it with the same rule. */
const idempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x20-\x7e]{1,255}$/, "the Idempotency-Key header must be 1 to 255 printable ASCII characters (a UUID is a good key)")
    .optional()
    .openapi({
      description:
        "Makes a retry safe: the same key with the same body returns the first request's result (no second thread or event); the same key with another body is a 422.",
    }),
});

// `Event` and `PendingItem` are named here and replaced in /openapi.json by the `oneOf`s derived from
// core's event schema (openapi-thread-schemas.ts).
const eventView = z
  .looseObject({ type: z.enum(eventTypes as [string, ...string[]]), at: z.string() })
  .openapi("Event", { description: "One event of the thread; the other fields depend on `type`." });

const pendingView = z
  .looseObject({ kind: z.enum(["approval", "question", "child"]), callId: z.string(), since: z.string() })
  .openapi("PendingItem", {
    description: "An open approval (with intent, args, argsHash), question (with question, format, choices) or paused child agent.",
  });

export const threadView = z
  .object({
    id: z.string(),
    agent: z.string().nullable(),
    status: z.enum(threadStatuses),
    version: z.number().int().openapi({ description: "The number of events." }),
    metadata: jsonObject,
    events: z.array(eventView),
    pending: z.array(pendingView),
    waiting: z
      .object({
        until: z.string().openapi({ description: "When the thread wakes by itself: its earliest timer (ISO 8601)." }),
        reason: z.string().nullable(),
        timers: z.array(z.object({ timerId: z.string(), until: z.string(), reason: z.string().nullable(), callId: z.string().nullable() })),
      })
      .nullable()
      .openapi({
        description:
          "The timers the thread waits for (status `waiting`; a tool returned sleep or waitUntil), or null. POST .../wake or a message wakes it early.",
      }),
    parent: z
      .object({
        id: z.string(),
        callId: z.string().openapi({ description: "The parent's call that started this thread." }),
        agent: z.string().nullable(),
        status: z
          .enum(threadStatuses)
          .nullable()
          .openapi({ description: "null when the parent no longer exists or the API key may not read it (as agent and task)." }),
        task: z.string().nullable().openapi({ description: "The parent's latest user message: what the family works on." }),
      })
      .nullable()
      .openapi({ description: "The thread whose agent started this one as a child agent (asTool), or null." }),
    children: z
      .array(z.object({ id: z.string(), callId: z.string(), agent: z.string().nullable(), status: z.enum(threadStatuses).nullable() }))
      .openapi({
        description:
          "The child agents' threads this thread started, oldest first; agent and status are null for a child the API key may not read.",
      }),
  })
  .openapi("Thread");

export const errorView = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi("Error");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const errors = {
  400: json(errorView, "The request is invalid; the message says what to fix."),
  401: json(errorView, "An API key is required (Authorization: Bearer <key>)."),
  403: json(errorView, "The API key may not use this agent or decide this call (forbidden); the message names what it may."),
  404: json(errorView, "No such thread (or another tenant's)."),
};
const conflict = { 409: json(errorView, "The thread's state does not allow this; the message says what it is.") };
const keyReused = { 422: json(errorView, "The Idempotency-Key was already used for a different request (idempotency_key_reused).") };
const threadResponses = {
  200: json(threadView, "The thread, paused or finished."),
  202: json(threadView, "The thread, still running (the wait elapsed)."),
  ...errors,
};
const body = <T extends z.ZodType>(schema: T, required = true) => ({
  body: { required, content: { "application/json": { schema } } },
});

/**
 * The event types a launch may carry: what people and your systems say. Everything else (model
 * decisions, approvals, tool calls) is recorded by the server as the thread runs; a client that could
 * send an `approval_decision` would skip the approval gate.
 */
export const launchEventTypes = ["user_input", "custom"] as const;

/**
 * Fields of a launch event that the server records itself: when it was stored, where it came from,
 * and the request keys of `Idempotency-Key`. A client that could set them could backdate an event
 * or claim it came from another channel. (`actor` is also the server's, but the v1 contract replaces
 * a client's value instead of refusing it; see docs/http-api.md.)
 */
export const serverEventFields = {
  at: "the server stamps the time it stores the event",
  source: 'the server records where the event came from ("http")',
  idempotencyKey: "send the Idempotency-Key header instead",
  requestHash: "the server records it with an Idempotency-Key",
} as const;

/**
 * Metadata keys the server sets and acts on: fork links, child-agent links (the runner resumes the
 * thread named by `parentThreadId`), the record of a keyed launch, the caller's tenant.
 */
export const reservedMetadataKeys = {
  forkedFrom: "set on a fork",
  forkedAt: "set on a fork",
  forkedBy: "set on a fork",
  parentThreadId: "set on a child agent's thread",
  parentCallId: "set on a child agent's thread",
  idempotency: "set on a launch with an Idempotency-Key",
  tenant: "set from the API key",
  model: "set from the launch's model",
} as const;

const launchEvent = z
  .looseObject({
    type: z.enum(launchEventTypes, {
      error: (issue) =>
        `a launch accepts only ${launchEventTypes.join(" and ")} events, got ${JSON.stringify(issue.input)}; approvals, model decisions and tool events are recorded by the server`,
    }),
  })
  .superRefine((event, context) => {
    for (const [field, why] of Object.entries(serverEventFields)) {
      if (Object.hasOwn(event, field))
        context.addIssue({ code: "custom", path: [field], message: `is set by the server (${why}); leave it out` });
    }
  })
  .openapi("LaunchEvent", {
    description:
      "A `user_input` (`text`) or `custom` (`name`, `data`) event; the server sets `at`, `source` and `actor` (the caller); sending `at` or `source` is a 400.",
  });

export const launchBody = z
  .object({
    agent: z.string().min(1).optional().openapi({ description: "The agent's name; may be left out when the server runs one agent." }),
    message: z.string().min(1).optional().openapi({ description: "The first user message." }),
    model: z.string().min(1).max(500).optional().openapi({
      description:
        "The model spec this thread runs with in every step, instead of its agent's: the agent's own spec, or one the server allows (`launchModels`, `agentfold serve --launch-model`).",
    }),
    events: z.array(launchEvent).max(10_000).optional().openapi({
      description:
        "Events to start from: `user_input` and `custom` only; the server sets `at` and `source`; a `user_input`'s `actor` is set to the caller.",
    }),
    metadata: jsonObject
      .superRefine((metadata, context) => {
        for (const [key, why] of Object.entries(reservedMetadataKeys)) {
          if (Object.hasOwn(metadata, key))
            context.addIssue({ code: "custom", path: [key], message: `is reserved: the server sets it (${why}); use another key` });
        }
      })
      .optional()
      .openapi({
        description: `Your data about the thread. The server's keys are refused: ${Object.keys(reservedMetadataKeys).join(", ")}.`,
      }),
  })
  .strict();

export const launchRoute = createRoute({
  method: "post",
  path: "/v1/threads",
  summary: "Launch a thread; runs until it pauses or finishes, or `wait` seconds pass",
  request: { query: waitQuery, headers: idempotencyHeaders, ...body(launchBody) },
  responses: {
    ...threadResponses,
    ...keyReused,
    413: json(errorView, "The body is over the server's limit (maxBodyBytes, 1 MB by default)."),
  },
});

export const listRoute = createRoute({
  method: "get",
  path: "/v1/threads",
  summary: "List threads, newest first",
  request: {
    query: z.object({
      status: z.enum(threadStatuses).optional(),
      agent: z
        .string()
        .min(1)
        .max(100)
        .regex(/^[^\u0000-\u001f\u007f]*$/, "must be an agent name, without control characters")
        .optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
      cursor: z.string().min(1).max(200).optional(),
      q: z
        .preprocess(
          // `?q=` (empty, as a search form sends it) lists without searching.
          (value) => (value === "" ? undefined : value),
          z.string().max(500).optional(),
        )
        .openapi({
          type: "string",
          maxLength: 500,
          description:
            "Search: threads whose agent, status, intents or text (messages, questions, answers, comments) contain every word, case-insensitive; `agent:`, `status:`, `intent:` or `text:` before a word limits it to that field. A search reads at most 500 threads per request, so a page may hold fewer than `limit` threads while `nextCursor` says more may follow.",
          example: "intent:divide refund",
        }),
      createdFrom: timeParam("Only threads created at or after this time: a date (midnight UTC) or a date-time with its offset, ISO 8601."),
      createdBefore: timeParam(
        "Only threads created before this time (exclusive, so `createdFrom=2026-11-01&createdBefore=2026-11-02` is one UTC day): a date (midnight UTC) or a date-time with its offset, ISO 8601. It must come after `createdFrom`.",
      ),
    }),
  },
  responses: {
    200: json(
      z.object({
        threads: z.array(
          z.object({
            id: z.string(),
            agent: z.string().nullable(),
            status: z.enum(threadStatuses),
            version: z.number().int(),
            createdAt: z.string(),
            updatedAt: z.string(),
          }),
        ),
        nextCursor: z.string().optional(),
      }),
      "A page of threads; pass `nextCursor` as `cursor` for the next.",
    ),
    ...errors,
  },
});

export const getRoute = createRoute({
  method: "get",
  path: "/v1/threads/{id}",
  summary: "A thread: its events, status and what is pending",
  request: { params: threadParams },
  responses: { 200: json(threadView, "The thread."), ...errors },
});

export const approvalBody = z
  .object({
    approved: z.boolean(),
    comment: z.string().max(10_000).optional(),
    args: jsonObject.optional().openapi({ description: "Edited arguments (approve only); validated against the tool's schema." }),
    argsHash: z.string().optional().openapi({ description: "The `argsHash` you reviewed; a different one is a 409." }),
  })
  .strict();

export const approvalRoute = createRoute({
  method: "post",
  path: "/v1/threads/{id}/approvals/{callId}",
  summary: "Approve, reject with a comment, or approve edited arguments",
  request: { params: callParams, query: waitQuery, headers: idempotencyHeaders, ...body(approvalBody) },
  responses: { ...threadResponses, ...conflict, ...keyReused },
});

const textBody = z.object({ text: z.string().min(1).max(100_000) }).strict();

export const responseRoute = createRoute({
  method: "post",
  path: "/v1/threads/{id}/responses/{callId}",
  summary: "Answer a question the agent asked",
  request: { params: callParams, query: waitQuery, headers: idempotencyHeaders, ...body(textBody) },
  responses: { ...threadResponses, ...conflict, ...keyReused },
});

export const messageRoute = createRoute({
  method: "post",
  path: "/v1/threads/{id}/messages",
  summary: "A new user message on a finished or waiting thread",
  request: { params: threadParams, query: waitQuery, headers: idempotencyHeaders, ...body(textBody) },
  responses: { ...threadResponses, ...conflict, ...keyReused },
});

/**
 * How many events a fork keeps. The lower bound is only documented here: core's `fork` checks both
 * bounds against the thread, so a refusal names the range that thread accepts (`use 1..14`).
 */
const forkAt = z.number().int().openapi({
  minimum: 1,
  description: "How many of the thread's first events the fork keeps: 1..its version (the first event is the request).",
});

export const wakeRoute = createRoute({
  method: "post",
  path: "/v1/threads/{id}/wake",
  summary:
    "Wake a waiting thread now: its timers fire early, recorded with the caller, and it runs on (a parent that waits on a sleeping child agent: that child)",
  request: { params: threadParams, query: waitQuery, ...body(z.object({}).strict(), false) },
  responses: { ...threadResponses, ...conflict },
});

export const cancelRoute = createRoute({
  method: "post",
  path: "/v1/threads/{id}/cancel",
  summary: "Stop a thread",
  request: { params: threadParams, ...body(z.object({ reason: z.string().max(10_000).optional() }).strict(), false) },
  responses: { 200: json(threadView, "The canceled thread."), ...errors, ...conflict },
});

export const forkRoute = createRoute({
  method: "post",
  path: "/v1/threads/{id}/fork",
  summary: "A new thread from the first `atEvent` events; it runs like a launched one",
  request: { params: threadParams, query: waitQuery, ...body(z.object({ atEvent: forkAt }).strict()) },
  responses: threadResponses,
});

export const contextRoute = createRoute({
  method: "get",
  path: "/v1/threads/{id}/context",
  summary: "The exact model input the next step would send, and its token count",
  request: { params: threadParams },
  responses: {
    200: json(
      z.object({
        messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })),
        context: z.string(),
        tokens: z.number().int(),
        mode: z.string(),
      }),
      "The prompt.",
    ),
    ...errors,
  },
});

const timingRow = z
  .object({
    kind: z.enum(["model", "tool", "wait"]),
    step: z.number().int().openapi({
      description: "The n-th model call is step n; a tool run or wait belongs to the step whose decision made its call (0: before any).",
    }),
    label: z.string().openapi({ example: "chat openai:gpt-4o-mini" }),
    startMs: z.number().openapi({ description: "Milliseconds from the thread's first event." }),
    durationMs: z.number(),
    running: z
      .literal(true)
      .optional()
      .openapi({ description: "Still going (a tool without a result, a wait without an answer): durationMs is 0." }),
    tokens: z.object({ input: z.number().int(), output: z.number().int() }).optional(),
    cost: z.number().optional().openapi({ description: "Dollars, when the model reported it." }),
    retries: z.number().int().optional().openapi({ description: "Retries of the model call before this reply." }),
    attempt: z.number().int().optional().openapi({ description: "A tool run's attempt, when not the first." }),
    failed: z.literal(true).optional(),
    actor: z.string().optional().openapi({ description: "Who approved or answered, for a wait that ended." }),
    details: z
      .array(z.string())
      .openapi({ description: "The same facts as short phrases.", example: ["120 in / 9 out tokens", "$0.002", "1 retry"] }),
  })
  .openapi("TimingRow");

export const timingRoute = createRoute({
  method: "get",
  path: "/v1/threads/{id}/timing",
  summary: "Model calls, tool runs and waits for people as a waterfall, from the events' times",
  request: { params: threadParams },
  responses: {
    200: json(
      z.object({ id: z.string(), status: z.enum(threadStatuses), timing: z.array(timingRow) }),
      "The rows in the order they started (what `agentfold threads show --timing --json` prints).",
    ),
    ...errors,
  },
});

export const streamRoute = createRoute({
  method: "get",
  path: "/v1/threads/{id}/stream",
  summary: "Server-sent events as they are appended (id = the event's sequence, from 1)",
  request: {
    params: threadParams,
    query: z.object({
      after: z.coerce.number().int().min(0).optional().openapi({ description: "Send events after this sequence (default 0: all)." }),
    }),
    headers: z.object({
      "last-event-id": z
        .string()
        .regex(/^\d{1,15}$/, "must be the sequence of the last event received")
        .optional(),
    }),
  },
  responses: {
    200: {
      description:
        '`event: <type>`, `id: <sequence>`, `data: <event JSON with sequence>`. While a model writes its reply, `event: model_delta` messages without an id carry its pieces (`data: { type: "model_delta", after, kind: "text" | "tool_call", attempt, text | index, toolName, argsText, childThreadId? }`; `childThreadId` marks a piece written by the model of a child agent that a tool of this thread runs); they are never stored, and the decision that follows is an ordinary event.',
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...errors,
  },
});

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness",
  responses: { 200: json(z.object({ ok: z.boolean() }), "The server is up.") },
});

const readiness = z.object({
  ready: z.boolean(),
  reason: z.string().optional().openapi({ description: "Why it is not ready: `draining`, or the store's error." }),
});

export const readyRoute = createRoute({
  method: "get",
  path: "/readyz",
  summary: "Readiness",
  description:
    "Ready when the store answers (within 2 s) and the server is not draining (shutting down after SIGTERM). A load balancer or a Kubernetes readiness probe sends traffic only while this is 200.",
  responses: {
    200: json(readiness, "The server takes work."),
    503: json(readiness, "Do not send it work: it is draining, or its store does not answer."),
  },
});
