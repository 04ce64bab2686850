/**
 * `ChannelStore`: the small bookkeeping channels need besides the thread — which requests were
 * delivered (and the Slack ts / email Message-ID of each), which inbound ids were seen, which
 * schedule ticks were claimed, the webhook delivery log. It is delivery bookkeeping, never agent
 * state: losing it can at worst re-send a notification, never change a thread.
 *
 * "At most once" rests on `claim`: an insert that succeeds for exactly one caller per key, across
 * processes (a unique key in SQLite and Postgres).
 */
import type { JsonValue } from "agentfold";

export interface ChannelRecord {
  readonly key: string;
  readonly value: JsonValue;
  readonly updatedAt: string;
}

export interface ChannelStore {
  /**
   * Inserts `key` unless it exists (and has not expired). Returns `true` for exactly one caller.
   * `ttlMs` lets a key be claimed again after it expires (seen-id windows).
   */
  claim(key: string, value?: JsonValue, options?: { ttlMs?: number }): Promise<boolean>;
  /** Inserts or replaces. */
  put(key: string, value: JsonValue): Promise<void>;
  get(key: string): Promise<JsonValue | undefined>;
  delete(key: string): Promise<void>;
  /** Records whose key starts with `prefix`, oldest first, at most `limit` (default 100). */
  list(prefix: string, options?: { limit?: number }): Promise<ChannelRecord[]>;
  close(): Promise<void>;
}

/**
 * A channel store in memory, for tests and single-process servers that may forget on restart.
 *
 * @example
 * const store = createMemoryChannelStore();
 * await store.claim("tick:1"); // true
 * await store.claim("tick:1"); // false
 */
export function createMemoryChannelStore(): ChannelStore {
  const records = new Map<string, { value: JsonValue; updatedAt: string; expiresAt: number | undefined }>();
  const live = (key: string) => {
    const record = records.get(key);
    if (record?.expiresAt !== undefined && record.expiresAt <= Date.now()) {
      records.delete(key);
      return undefined;
    }
    return record;
  };
  const copy = (value: JsonValue): JsonValue => JSON.parse(JSON.stringify(value)) as JsonValue;
  return {
    async claim(key, value = null, options = {}) {
      if (live(key)) return false;
      records.set(key, {
        value: copy(value),
        updatedAt: new Date().toISOString(),
        expiresAt: options.ttlMs === undefined ? undefined : Date.now() + options.ttlMs,
      });
      return true;
    },
    async put(key, value) {
      records.set(key, { value: copy(value), updatedAt: new Date().toISOString(), expiresAt: undefined });
    },
    async get(key) {
      const record = live(key);
      return record ? copy(record.value) : undefined;
    },
    async delete(key) {
      records.delete(key);
    },
    async list(prefix, options = {}) {
      const found: ChannelRecord[] = [];
      for (const key of records.keys()) {
        const record = key.startsWith(prefix) ? live(key) : undefined;
        if (record) found.push({ key, value: copy(record.value), updatedAt: record.updatedAt });
        if (found.length >= (options.limit ?? 100)) break;
      }
      return found;
    },
    async close() {},
  };
}
