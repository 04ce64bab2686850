/**
 * Who a thread belongs to, and the record of a decision someone was not allowed to make.
 *
 * Both live in data that every schema version already has (thread metadata, a `custom` event), so a
 * thread that uses them loads in any reader of schema version 1: a new event type would make such
 * threads unreadable to older processes still running during a rolling upgrade.
 */
import type { JsonValue, NewEvent } from "./event-schema.ts";

/** The metadata key naming a thread's tenant. Set by the server from the caller's API key, never by a client. */
export const TENANT_METADATA_KEY = "tenant";

/** The tenant of threads that name none: every thread made before tenants existed, and keyless servers. */
export const DEFAULT_TENANT = "default";

/**
 * The tenant a thread belongs to: its `tenant` metadata, or `"default"`.
 *
 * @example
 * tenantOf(thread.metadata); // "acme"
 */
export function tenantOf(metadata: Readonly<Record<string, JsonValue>>): string {
  const tenant = metadata[TENANT_METADATA_KEY];
  return typeof tenant === "string" && tenant !== "" ? tenant : DEFAULT_TENANT;
}

/**
 * The metadata that records a tenant: none for the default tenant, so threads of servers without
 * tenants look exactly as they did before tenants existed.
 */
export function tenantMetadata(tenant: string): Record<string, JsonValue> {
  return tenant === DEFAULT_TENANT ? {} : { [TENANT_METADATA_KEY]: tenant };
}

/**
 * The `custom` event name reserved for refused decisions. The fold ignores custom events (status and
 * pending items stay as they were) and the default context renderer hides this one: it is an audit
 * record for people, not something the model should act on.
 */
export const DECISION_REFUSED = "decision_refused";

export interface DecisionRefusal {
  /** Who tried: an API key's name, a Slack user, an email address. */
  actor: string;
  callId: string;
  /** The intent of the pending call, when the call is pending. */
  intent: string | undefined;
  /** What was tried: approve, reject or answer. */
  action: "approve" | "reject" | "answer";
  /** Where it came from: `http`, `slack`, `email`, … */
  source: string;
  /** Why it was refused, in words a person reviewing the thread understands. */
  reason: string;
}

/**
 * The audit event for a refused decision: a `custom` event named `decision_refused`.
 *
 * @example
 * thread.append([decisionRefusedEvent({ actor: "bob", callId: "call_1_0", intent: "divide", action: "approve", source: "http", reason: "…" })]);
 */
export function decisionRefusedEvent(refusal: DecisionRefusal): NewEvent {
  const data: Record<string, JsonValue> = {
    actor: refusal.actor,
    callId: refusal.callId,
    action: refusal.action,
    source: refusal.source,
    reason: refusal.reason,
  };
  if (refusal.intent !== undefined) data.intent = refusal.intent;
  return { type: "custom", name: DECISION_REFUSED, data } as NewEvent;
}
