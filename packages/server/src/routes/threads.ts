/**
 * Threads: launch, list, read. A launch stores a new thread and runs it, answering like a change
 * (routes/settle.ts).
 */
import { InvalidInputError, Thread, type Agent } from "agentfold";
import { THREAD_SCHEMA_VERSION, newId, tenantMetadata } from "agentfold/runtime";
import type { Context } from "hono";
import type { z } from "zod";
import { getRoute, launchRoute, listRoute, type launchBody } from "../api-routes.ts";
import { checkAgentAllowed, checkThreadAllowed, listForCaller } from "../authorization.ts";
import { parseSearch, searchThreads } from "../thread-search.ts";
import { parseTimeParam } from "../time-params.ts";
import { idempotencyKeyOf, idempotencyMetadataKey, launchThreadId, requestHash } from "../idempotency.ts";
import type { ApiApp, Env, RouteContext } from "./route-context.ts";
import { modelMetadataKey } from "../runner/thread-model.ts";
import { launchAndSettle } from "./settle.ts";
import { loadThreadFor } from "./thread-access.ts";
import { respondWithThread, viewOf } from "./thread-view.ts";

type LaunchBody = z.infer<typeof launchBody>;

/** No `metadata` field at all when there is none, as threads were before tenants. */
const withMetadata = (metadata: Record<string, unknown>) => (Object.keys(metadata).length === 0 ? {} : { metadata });

/** The agent a launch names, or the only one; a 400 that lists the agents otherwise. */
function launchedAgent(context: RouteContext, name: string | undefined): Agent {
  const { agents } = context;
  if (name === undefined && agents.size !== 1)
    throw new InvalidInputError(`Name the agent to run: "agent" is one of ${[...agents.keys()].join(", ")}.`);
  const agent = name === undefined ? context.agentList[0] : agents.get(name);
  if (!agent) throw new InvalidInputError(`Unknown agent "${name}". Agents here: ${[...agents.keys()].join(", ")}.`);
  return agent;
}

/**
 * The model spec a launch names, checked: its agent's own or one the server allows, and resolvable.
 * Recorded on the thread, so every later step, in any process, runs with it.
 */
async function launchModel(context: RouteContext, agent: Agent, spec: string | undefined): Promise<Record<string, string>> {
  if (spec === undefined) return {};
  const allowed = [...new Set([...(agent.model ? [agent.model] : []), ...context.launchModels])];
  if (!allowed.includes(spec)) {
    throw new InvalidInputError(
      `"model": ${JSON.stringify(spec)} is not a model a launch may choose here. Allowed: ${allowed.length > 0 ? allowed.join(", ") : "none"} (the agent's own model, and the server's launchModels: agentfold serve --launch-model <spec>).`,
    );
  }
  try {
    await context.runner.models.resolve(spec, 'the launch request ("model")');
  } catch (error) {
    throw new InvalidInputError(error instanceof Error ? error.message : String(error));
  }
  return { [modelMetadataKey]: spec };
}

/** The new thread a launch asks for; a keyed launch (`replay`) gets an id derived from its key. */
function launchedThread(
  c: Context<Env>,
  agent: Agent,
  body: LaunchBody,
  replay: { key: string; hash: string } | undefined,
  model: Record<string, string>,
): Thread {
  const at = new Date().toISOString();
  const actor = c.get("actor");
  const caller = c.get("caller");
  // Only user_input and custom events get here (the route schema); who said it is the caller, whatever the body claims.
  const events: Record<string, unknown>[] = (body.events ?? []).map((event) =>
    event.type === "user_input" ? { ...event, at, source: "http", actor } : { ...event, at },
  );
  if (body.message !== undefined) events.push({ type: "user_input", at, text: body.message, actor, source: "http" });
  return Thread.fromJSON({
    schemaVersion: THREAD_SCHEMA_VERSION,
    id: replay ? launchThreadId(actor, replay.key, caller.tenant) : newId("thr"),
    agent: agent.name,
    // The tenant comes from the API key; the route schema refuses a client's `tenant`.
    ...withMetadata({
      ...body.metadata,
      ...tenantMetadata(caller.tenant),
      ...model,
      ...(replay ? { [idempotencyMetadataKey]: { key: replay.key, requestHash: replay.hash } } : {}),
    }),
    events,
  });
}

/** The creation-time range of a listing; a 400 when it ends before it starts (a swapped pair, most likely). */
function createdRangeOf(query: { createdFrom?: string | undefined; createdBefore?: string | undefined }) {
  const from = query.createdFrom === undefined ? undefined : parseTimeParam(query.createdFrom);
  const before = query.createdBefore === undefined ? undefined : parseTimeParam(query.createdBefore);
  if (from && before && from.getTime() >= before.getTime())
    throw new InvalidInputError(
      `createdBefore (${query.createdBefore}) must be after createdFrom (${query.createdFrom}): the range holds the times from createdFrom up to, not including, createdBefore.`,
    );
  return { ...(from === undefined ? {} : { createdFrom: from }), ...(before === undefined ? {} : { createdBefore: before }) };
}

export function registerThreadRoutes(app: ApiApp, context: RouteContext): void {
  app.openapi(launchRoute, async (c) => {
    const body = c.req.valid("json");
    const agent = launchedAgent(context, body.agent);
    const caller = c.get("caller");
    checkAgentAllowed(caller, agent.name);
    if (body.message === undefined && (body.events === undefined || body.events.length === 0)) {
      throw new InvalidInputError('Give the thread a "message" or "events" to start from.');
    }
    const key = idempotencyKeyOf(c);
    const replay = key === undefined ? undefined : { key, hash: requestHash("launch", {}, body) };
    const thread = launchedThread(c, agent, body, replay, await launchModel(context, agent, body.model));
    // A keyed retry answers with a stored thread: still only one the caller may see (a key's tenant
    // or agents may have changed since the first request).
    const result = checkThreadAllowed(caller, await launchAndSettle(context, thread, c.req.valid("query").wait ?? 30, replay));
    c.header("Location", `/v1/threads/${result.id}`);
    return respondWithThread(context, c, result);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const listQuery = {
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.agent === undefined ? {} : { agent: query.agent }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...createdRangeOf(query),
    };
    const terms = parseSearch(query.q ?? "");
    const page =
      terms.length === 0
        ? await listForCaller(context.store, c.get("caller"), listQuery)
        : await searchThreads(context.store, c.get("caller"), listQuery, terms);
    return c.json(
      {
        threads: page.threads.map((summary) => ({ ...summary, agent: summary.agent ?? null })),
        ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
      },
      200,
    );
  });

  app.openapi(getRoute, async (c) =>
    c.json(await viewOf(context, c.get("caller"), await loadThreadFor(context, c, c.req.valid("param").id)), 200),
  );
}
