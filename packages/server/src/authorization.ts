/**
 * What a caller may do: threads belong to tenants (another tenant's thread is a 404, as if it did
 * not exist, so ids cannot be probed), keys may be limited to some agents (403) and to deciding
 * calls of some intents (403, recorded on the thread).
 */
import { ConfigurationError, type Agent, type Thread, type ThreadStore } from "agentfold";
import {
  DEFAULT_TENANT,
  decisionRefusedEvent,
  tenantOf,
  ThreadNotFoundError,
  type PendingItem,
  type ThreadListPage,
  type ThreadListQuery,
} from "agentfold/runtime";
import type { ApiKeys, Caller } from "./api-keys.ts";
import { ApiError } from "./http-errors.ts";
import type { Runner } from "./runner.ts";

/** 403 unless the caller may launch and read threads of `agent`. */
export function checkAgentAllowed(caller: Caller, agent: string | undefined): void {
  if (caller.agents === undefined || (agent !== undefined && caller.agents.includes(agent))) return;
  throw new ApiError(
    403,
    "forbidden",
    `API key "${caller.name}" may not use agent "${agent ?? "(none)"}"; it may use: ${caller.agents.join(", ")}.`,
  );
}

/**
 * 403 unless the caller may read `/metrics`: its numbers cover every agent and tenant, so only a
 * key limited to neither may.
 */
export function checkMetricsAllowed(caller: Caller): void {
  if (caller.agents === undefined && caller.tenant === DEFAULT_TENANT) return;
  throw new ApiError(
    403,
    "forbidden",
    `API key "${caller.name}" may not read /metrics: the metrics cover every agent and tenant. Use a key without "agents" or "tenant", or serve the metrics open.`,
  );
}

/**
 * The thread if the caller may see it. Another tenant's thread is a 404 with the same message as a
 * missing one; a thread of an agent outside the key's agents is a 403 (the caller's own tenant).
 */
export function checkThreadAllowed(caller: Caller, thread: Thread): Thread {
  if (tenantOf(thread.metadata) !== caller.tenant) throw new ThreadNotFoundError(thread.id);
  checkAgentAllowed(caller, thread.agent);
  return thread;
}

/** Whether the caller may decide (approve, reject, answer) a call of this intent. */
export function mayDecide(caller: Caller, intent: string | undefined): boolean {
  if (caller.decide === undefined) return true;
  return intent !== undefined && caller.decide.includes(intent);
}

/**
 * Refuses a decision the caller may not make: appends a `decision_refused` audit event (the fold
 * ignores it: status and pending items stay) and throws a 403. Returns when the caller may decide,
 * or when the call is not pending (the decision itself then answers 409 as it always did).
 */
export async function checkDecisionAllowed(
  runner: Runner,
  caller: Caller,
  thread: Thread,
  callId: string,
  action: "approve" | "reject" | "answer",
): Promise<void> {
  const item: PendingItem | undefined = thread.pending.find((candidate) => candidate.callId === callId);
  // A paused child is decided on the child's thread (same tenant), where this check runs again.
  if (!item || item.kind === "child") return;
  const intent = item.intent;
  if (mayDecide(caller, intent)) return;
  const allowed = caller.decide?.join(", ") ?? "";
  const reason = `API key "${caller.name}" may not decide calls of "${intent ?? "(no intent)"}"; it may decide: ${allowed}.`;
  const refusal = decisionRefusedEvent({ actor: caller.name, callId, intent, action, source: "http", reason });
  // Through the runner, under the thread's lease, like any other append; the runner then finds
  // nothing to do (the thread still waits).
  await runner.change(thread.id, (current) => current.append([refusal]));
  throw new ApiError(403, "forbidden", reason);
}

/**
 * A page of the caller's threads: its tenant's, of the agents it may use. With several allowed agents
 * and no `agent` filter, pages of the store are filtered here; a page may then hold fewer than
 * `limit` threads while `nextCursor` says more may follow.
 */
export async function listForCaller(store: ThreadStore, caller: Caller, query: ThreadListQuery): Promise<ThreadListPage> {
  if (query.agent !== undefined) checkAgentAllowed(caller, query.agent);
  const allowed = caller.agents;
  const base: ThreadListQuery = { ...query, tenant: caller.tenant };
  if (allowed === undefined || query.agent !== undefined) return store.list(base);
  if (allowed.length === 1) return store.list({ ...base, agent: allowed[0]! });
  const limit = query.limit ?? 50;
  const threads: ThreadListPage["threads"] = [];
  let cursor = query.cursor;
  // Asking for only the threads still missing keeps every page boundary a store cursor, so paging
  // neither skips nor repeats a thread. Bounded, so a tenant with few allowed threads among many
  // answers in time; the client follows nextCursor.
  for (let round = 0; round < 10; round++) {
    const page = await store.list({ ...base, limit: limit - threads.length, ...(cursor === undefined ? {} : { cursor }) });
    threads.push(...page.threads.filter((summary) => summary.agent !== undefined && allowed.includes(summary.agent)));
    cursor = page.nextCursor;
    if (cursor === undefined || threads.length >= limit) break;
  }
  return { threads, ...(cursor === undefined ? {} : { nextCursor: cursor }) };
}

/**
 * Checks the keys' agents and intents against what the server runs, so a typo fails at start-up
 * instead of silently locking a key out.
 */
export function checkScopes(apiKeys: ApiKeys | undefined, agents: readonly Agent[]): void {
  if (!apiKeys) return;
  const agentNames = agents.map((agent) => agent.name);
  const intents = new Set(agents.flatMap((agent) => agent.tools.map((tool) => tool.intent)));
  for (const caller of apiKeys.callers) {
    for (const agent of caller.agents ?? []) {
      if (!agentNames.includes(agent))
        throw new ConfigurationError(
          `API key "${caller.name}" lists agent "${agent}", which this server does not run. Agents here: ${agentNames.join(", ")}.`,
        );
    }
    for (const intent of caller.decide ?? []) {
      if (!intents.has(intent))
        throw new ConfigurationError(
          `API key "${caller.name}" may decide "${intent}", which no agent here has as a tool. Intents: ${[...intents].join(", ")}, or "*".`,
        );
    }
  }
}
