/**
 * The campaign's invariants, checked against the store read directly (not through the product) and
 * against the witness ledger: every acknowledged event stored with the same seq and content, seq
 * contiguous per thread, one history per thread, no non-idempotent tool run twice for one call, an
 * idempotent tool re-run only with its key, no run the store does not know of, and no step failed.
 */
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { canonicalJson } from "agentfold/runtime";
import type { AcknowledgedLog } from "./acknowledged.ts";
import type { LedgerRow } from "./ledger.ts";

export interface StoredThread {
  id: string;
  status: string;
  version: number;
  seqs: number[];
  /** The canonical JSON of each stored event, in seq order. */
  events: string[];
  launchKey: string | undefined;
}

export type StoreLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string; schema: string };

interface Row {
  id: string;
  status: string;
  version: number | string;
  metadata: string | null;
  seq: number | null;
  body: string | null;
}

const query = (threads: string, events: string) =>
  `SELECT t.id, t.status, t.version, t.metadata, e.seq, e.body FROM ${threads} t LEFT JOIN ${events} e ON e.thread_key = t.key ORDER BY t.key, e.seq`;

/** Every thread with its events, read from the store's tables. */
export async function readStore(location: StoreLocation): Promise<StoredThread[]> {
  let rows: Row[];
  if (location.kind === "sqlite") {
    const db = new DatabaseSync(location.path, { readOnly: true, timeout: 10_000 });
    try {
      rows = db.prepare(query("threads", "events")).all() as unknown as Row[];
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: location.url });
    await client.connect();
    try {
      rows = (await client.query(query(`"${location.schema}".threads`, `"${location.schema}".events`))).rows as Row[];
    } finally {
      await client.end();
    }
  }
  const threads = new Map<string, StoredThread>();
  for (const row of rows) {
    let thread = threads.get(row.id);
    if (!thread) {
      const metadata = row.metadata ? (JSON.parse(row.metadata) as { idempotency?: { key?: string } }) : {};
      thread = { id: row.id, status: row.status, version: Number(row.version), seqs: [], events: [], launchKey: metadata.idempotency?.key };
      threads.set(row.id, thread);
    }
    if (row.seq !== null && row.body !== null) {
      thread.seqs.push(Number(row.seq));
      thread.events.push(canonicalJson(JSON.parse(row.body)));
    }
  }
  return [...threads.values()];
}

export interface CheckResult {
  threads: number;
  acknowledgedEvents: number;
  /** Acknowledged events absent from the store. */
  lost: number;
  /** Acknowledged events stored with other content at their seq. */
  changed: number;
  /** Threads whose seqs are not 0, 1, 2, … up to their version. */
  gaps: number;
  /** Two acknowledged histories of one thread that disagree, or two threads for one launch key. */
  forks: number;
  /** Calls of a non-idempotent tool that ran more than once (ledger rows). */
  duplicateRuns: number;
  /** Calls of an idempotent tool run with more than one idempotency key. */
  keyMismatches: number;
  /** Runs in the ledger with no stored tool_started of that call and key. */
  unrecordedRuns: number;
  /**
   * Stored `failed` events: the campaign's model never runs out and its tools never throw, so a
   * failed step can only come from a fault the product should have recovered from.
   */
  failedEvents: number;
  toolRuns: number;
  statuses: Record<string, number>;
  /** The first problems found, described, for the failure message. */
  problems: string[];
}

const maxDescribed = 20;

export function checkInvariants(stored: readonly StoredThread[], acknowledged: AcknowledgedLog, ledger: readonly LedgerRow[]): CheckResult {
  const result: CheckResult = {
    threads: stored.length,
    acknowledgedEvents: acknowledged.events,
    lost: 0,
    changed: 0,
    gaps: 0,
    forks: acknowledged.forks.length,
    duplicateRuns: 0,
    keyMismatches: 0,
    unrecordedRuns: 0,
    failedEvents: 0,
    toolRuns: ledger.length,
    statuses: {},
    problems: [],
  };
  const problem = (text: string) => {
    if (result.problems.length < maxDescribed) result.problems.push(text);
  };
  for (const fork of acknowledged.forks)
    problem(`fork: thread ${fork.threadId} seq ${fork.seq} was acknowledged as ${fork.first} and as ${fork.second}`);
  const byId = new Map(stored.map((thread) => [thread.id, thread]));

  for (const thread of stored) {
    result.statuses[thread.status] = (result.statuses[thread.status] ?? 0) + 1;
    for (const [index, event] of thread.events.entries()) {
      if (!event.includes('"type":"failed"') || (JSON.parse(event) as { type?: string }).type !== "failed") continue;
      result.failedEvents += 1;
      problem(`failed: thread ${thread.id} seq ${thread.seqs[index]}: ${event}`);
    }
    const contiguous = thread.seqs.length === thread.version && thread.seqs.every((seq, index) => seq === index);
    if (!contiguous) {
      result.gaps += 1;
      problem(`gap: thread ${thread.id} has version ${thread.version} and seqs ${JSON.stringify(thread.seqs)}`);
    }
  }
  const launchKeys = new Map<string, number>();
  for (const thread of stored) if (thread.launchKey) launchKeys.set(thread.launchKey, (launchKeys.get(thread.launchKey) ?? 0) + 1);
  for (const [key, count] of launchKeys) {
    if (count > 1) {
      result.forks += 1;
      problem(`fork: launch key ${key} has ${count} threads`);
    }
  }

  for (const [threadId, events] of acknowledged.threads) {
    const thread = byId.get(threadId);
    events.forEach((event, seq) => {
      const index = thread ? thread.seqs.indexOf(seq) : -1;
      if (index < 0) {
        result.lost += 1;
        problem(`lost: thread ${threadId} seq ${seq} was acknowledged and is not stored: ${event}`);
      } else if (thread!.events[index] !== event) {
        result.changed += 1;
        problem(`changed: thread ${threadId} seq ${seq} was acknowledged as ${event}, stored as ${thread!.events[index]}`);
      }
    });
  }

  const runsByCall = new Map<string, LedgerRow[]>();
  for (const row of ledger) {
    const call = `${row.threadId} ${row.callId}`;
    runsByCall.set(call, [...(runsByCall.get(call) ?? []), row]);
  }
  for (const [call, runs] of runsByCall) {
    const first = runs[0]!;
    if (!first.idempotent && runs.length > 1) {
      result.duplicateRuns += 1;
      problem(
        `duplicate run: ${first.intent} (not idempotent) ran ${runs.length} times for ${call}, in processes ${runs.map((run) => `${run.pid} fence ${run.fence}`).join(", ")}`,
      );
    }
    const keys = new Set(runs.map((run) => run.idempotencyKey));
    if (keys.size > 1) {
      result.keyMismatches += 1;
      problem(`key mismatch: ${first.intent} ran for ${call} with keys ${[...keys].join(", ")}`);
    }
    const thread = byId.get(first.threadId);
    const started = thread?.events.some((event) => {
      const parsed = JSON.parse(event) as { type?: string; callId?: string; idempotencyKey?: string };
      return parsed.type === "tool_started" && parsed.callId === first.callId && parsed.idempotencyKey === first.idempotencyKey;
    });
    if (!started) {
      result.unrecordedRuns += runs.length;
      problem(`unrecorded run: ${first.intent} ran for ${call} with no stored tool_started of that call and key`);
    }
  }
  return result;
}

/** True when no invariant is broken. */
export function passed(result: CheckResult): boolean {
  return (
    result.lost +
      result.changed +
      result.gaps +
      result.forks +
      result.duplicateRuns +
      result.keyMismatches +
      result.unrecordedRuns +
      result.failedEvents ===
    0
  );
}
