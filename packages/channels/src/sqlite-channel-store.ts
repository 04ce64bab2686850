/** `ChannelStore` in a SQLite file (node:sqlite): the same file as the thread store is fine. */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { JsonValue } from "agentfold";
import type { ChannelRecord, ChannelStore } from "./channel-store.ts";

/**
 * @example
 * const channelStore = createSqliteChannelStore({ path: "./agentfold.db" });
 */
export function createSqliteChannelStore(options: { path: string; busyTimeoutMs?: number }): ChannelStore {
  if (options.path !== ":memory:") mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const db = new DatabaseSync(options.path);
  db.exec(`PRAGMA busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 5000)}; PRAGMA journal_mode = WAL;`);
  db.exec(`CREATE TABLE IF NOT EXISTS agentfold_channel_records (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,           -- JSON
    updated_at TEXT NOT NULL,
    expires_at INTEGER             -- epoch ms; NULL: kept
  )`);
  const claim = db.prepare(`INSERT INTO agentfold_channel_records (key, value, updated_at, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expires_at = excluded.expires_at
    WHERE agentfold_channel_records.expires_at IS NOT NULL AND agentfold_channel_records.expires_at <= ?
    RETURNING key`);
  const put = db.prepare(`INSERT INTO agentfold_channel_records (key, value, updated_at, expires_at) VALUES (?, ?, ?, NULL)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expires_at = NULL`);
  const get = db.prepare(`SELECT value FROM agentfold_channel_records WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)`);
  const remove = db.prepare(`DELETE FROM agentfold_channel_records WHERE key = ?`);
  const list = db.prepare(`SELECT key, value, updated_at FROM agentfold_channel_records
    WHERE substr(key, 1, length(?)) = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY updated_at, key LIMIT ?`);
  const prune = db.prepare(`DELETE FROM agentfold_channel_records WHERE expires_at IS NOT NULL AND expires_at <= ?`);
  let claims = 0;
  return {
    async claim(key, value = null, claimOptions = {}) {
      const now = Date.now();
      // Expired seen-ids are dropped now and then so the table stays small.
      if (++claims % 500 === 0) prune.run(now);
      const expires = claimOptions.ttlMs === undefined ? null : now + claimOptions.ttlMs;
      return claim.all(key, JSON.stringify(value), new Date(now).toISOString(), expires, now).length === 1;
    },
    async put(key, value) {
      put.run(key, JSON.stringify(value), new Date().toISOString());
    },
    async get(key) {
      const row = get.get(key, Date.now()) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as JsonValue) : undefined;
    },
    async delete(key) {
      remove.run(key);
    },
    async list(prefix, listOptions = {}) {
      const rows = list.all(prefix, prefix, Date.now(), listOptions.limit ?? 100) as { key: string; value: string; updated_at: string }[];
      return rows.map((row): ChannelRecord => ({ key: row.key, value: JSON.parse(row.value) as JsonValue, updatedAt: row.updated_at }));
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}
