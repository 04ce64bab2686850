/**
 * The witness ledger: a SQLite file apart from the store, one row per tool execution, written by the
 * tools themselves inside the server processes. It has no unique key on purpose: a tool that runs
 * twice for one call leaves two rows, which is what the check looks for.
 */
import { DatabaseSync } from "node:sqlite";

export interface LedgerRow {
  threadId: string;
  callId: string;
  intent: string;
  idempotencyKey: string;
  idempotent: boolean;
  /** The lease's fencing token the run happened under. */
  fence: number | null;
  pid: number;
}

/** Opens (creating when needed) a ledger file that several processes append to. */
export function openLedger(path: string): DatabaseSync {
  // A generous busy timeout: several server processes write at once, and one may be SIGSTOPped.
  const db = new DatabaseSync(path, { timeout: 30_000 });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec(
    "CREATE TABLE IF NOT EXISTS runs (thread_id TEXT NOT NULL, call_id TEXT NOT NULL, intent TEXT NOT NULL, idempotency_key TEXT NOT NULL, idempotent INTEGER NOT NULL, fence INTEGER, pid INTEGER NOT NULL)",
  );
  return db;
}

/** Appends one execution; synchronous, so it is durable before the tool returns or awaits anything. */
export function recordRun(db: DatabaseSync, row: LedgerRow): void {
  db.prepare("INSERT INTO runs (thread_id, call_id, intent, idempotency_key, idempotent, fence, pid) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
    row.threadId,
    row.callId,
    row.intent,
    row.idempotencyKey,
    row.idempotent ? 1 : 0,
    row.fence,
    row.pid,
  );
}

/** Every execution recorded, in insertion order. */
export function readLedger(path: string): LedgerRow[] {
  const db = openLedger(path);
  try {
    const rows = db.prepare("SELECT * FROM runs ORDER BY rowid").all() as Record<string, string | number | null>[];
    return rows.map((row) => ({
      threadId: String(row.thread_id),
      callId: String(row.call_id),
      intent: String(row.intent),
      idempotencyKey: String(row.idempotency_key),
      idempotent: row.idempotent === 1,
      fence: row.fence === null ? null : Number(row.fence),
      pid: Number(row.pid),
    }));
  } finally {
    db.close();
  }
}
