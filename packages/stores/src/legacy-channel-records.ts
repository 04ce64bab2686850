/**
 * The channel bookkeeping of @agentfold/channels 0.1, one key-value table
 * (`agentfold_channel_records`: key, JSON value, expiry) with string-prefix keys, turned into rows of
 * the typed channel tables. A migration calls it when a database still has that table, moves what it
 * understands and renames the old table to `agentfold_channel_records_imported` (kept, so nothing is
 * lost: rows it could not read stay there for a person to look at).
 */
import { z } from "zod";
import { webhookDeliveryRow, type ChannelTableRow } from "./channel-rows.ts";
import { channelOriginSchema, jsonValueSchema, webhookDeliverySchema } from "./channel-store.ts";

/** One legacy row as both databases give it (the value as JSON text, the expiry in epoch ms or NULL). */
export interface LegacyChannelRecord {
  key: string;
  value: string;
  updatedAt: string;
  expiresAt: number | null;
}

const linkValue = z.object({ threadId: z.string().min(1), callId: z.string().min(1).optional() });
const deliveryValue = z.object({ state: z.enum(["sending", "sent"]), record: jsonValueSchema.optional() });

/** Splits `rest` at its first `:`: `["a", "b:c"]` for `"a:b:c"`; `undefined` without one. */
function head(rest: string): [string, string] | undefined {
  const at = rest.indexOf(":");
  return at <= 0 || at === rest.length - 1 ? undefined : [rest.slice(0, at), rest.slice(at + 1)];
}

/**
 * The typed rows for one legacy record, or `undefined` when it is not one the channels wrote (or is
 * malformed): that row stays in the renamed table. Pending webhook deliveries keep their payload;
 * the `webhook-pending:` index is not needed any more (pending is a state now).
 *
 * @example
 * legacyChannelRows({ key: "origin:thr_1", value: '{"channel":"slack","person":"U1","data":{}}', updatedAt, expiresAt: null });
 * // [{ table: "channel_origins", values: { thread_id: "thr_1", channel: "slack", … } }]
 */
export function legacyChannelRows(record: LegacyChannelRecord): ChannelTableRow[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(record.value);
  } catch {
    return undefined;
  }
  const colon = record.key.indexOf(":");
  if (colon <= 0) return undefined;
  const prefix = record.key.slice(0, colon);
  const rest = record.key.slice(colon + 1);
  const updated = record.updatedAt;
  const claimRow = (kind: string, key: string): ChannelTableRow[] => [
    { table: "channel_claims", values: { kind, key, expires_at: record.expiresAt } },
  ];
  const seenRow = (source: string, id: string): ChannelTableRow[] | undefined =>
    record.expiresAt === null ? undefined : [{ table: "channel_seen", values: { source, id, expires_at: record.expiresAt } }];
  switch (prefix) {
    case "origin": {
      const origin = channelOriginSchema.safeParse(value);
      if (!origin.success || rest === "") return undefined;
      const { channel, person, data } = origin.data;
      return [{ table: "channel_origins", values: { thread_id: rest, channel, person, data: JSON.stringify(data), updated_at: updated } }];
    }
    case "delivery": {
      const [channel, afterChannel] = head(rest) ?? [];
      const [threadId, callId] = afterChannel === undefined ? [] : (head(afterChannel) ?? []);
      const delivery = deliveryValue.safeParse(value);
      if (!channel || !threadId || !callId || !delivery.success) return undefined;
      const sent = delivery.data.state === "sent";
      return [
        {
          table: "channel_deliveries",
          values: {
            channel,
            thread_id: threadId,
            call_id: callId,
            state: delivery.data.state,
            record: JSON.stringify(sent ? (delivery.data.record ?? null) : null),
            expires_at: sent ? null : record.expiresAt,
            created_at: updated,
            updated_at: updated,
          },
        },
      ];
    }
    case "slack-thread":
    case "email-message": {
      const link = linkValue.safeParse(value);
      if (!link.success) return undefined;
      const channel = prefix === "slack-thread" ? "slack" : "email";
      return [
        {
          table: "channel_links",
          values: { channel, external_id: rest, thread_id: link.data.threadId, call_id: link.data.callId ?? null },
        },
      ];
    }
    case "resolved":
    case "finished":
      return claimRow(prefix, rest);
    case "webhook-attempt":
      return claimRow(prefix, rest);
    case "schedule": {
      // schedule:<agent>:<index>:<tick>; the tick itself has colons (an ISO time).
      const match = /^(.+:\d+):(\d{4}-\d{2}-\d{2}T[\d:.]+Z)$/.exec(rest);
      const tick = match ? Date.parse(match[2]!) : Number.NaN;
      if (!match || Number.isNaN(tick)) return undefined;
      return [{ table: "channel_schedule_ticks", values: { schedule: match[1]!, tick, fired_at: updated } }];
    }
    case "slack-message":
    case "slack-event":
    case "email-seen":
      return seenRow(prefix, rest);
    case "slack-seen":
      return seenRow("slack-interaction", rest);
    case "hook-seen": {
      const [hook, webhookId] = head(rest) ?? [];
      return hook && webhookId ? seenRow(`webhook:${hook}`, webhookId) : undefined;
    }
    case "webhook-delivery": {
      const delivery = webhookDeliverySchema.safeParse(Object.assign({}, value, { id: rest }));
      if (!delivery.success) return undefined;
      return [webhookDeliveryRow(delivery.data, updated)];
    }
    case "webhook-pending":
      // An index of pending deliveries: the state column does its work now.
      return [];
    default:
      return undefined;
  }
}

/**
 * Moves every legacy record it understands with `insert` (which must ignore a row whose key exists);
 * returns how many records were moved and how many were left behind.
 */
export function importLegacyChannelRecords(
  records: Iterable<LegacyChannelRecord>,
  insert: (row: ChannelTableRow) => void,
): { moved: number; skipped: number } {
  let moved = 0;
  let skipped = 0;
  for (const record of records) {
    const rows = legacyChannelRows(record);
    if (rows === undefined) {
      skipped++;
      continue;
    }
    for (const row of rows) insert(row);
    moved++;
  }
  return { moved, skipped };
}

/** `INSERT … ON CONFLICT DO NOTHING` for a row, with placeholders made by `placeholder(index)`. */
export function insertStatement(
  row: ChannelTableRow,
  qualify: (table: string) => string,
  placeholder: (index: number) => string,
): { sql: string; values: (string | number | null)[] } {
  const columns = Object.keys(row.values);
  return {
    sql: `INSERT INTO ${qualify(row.table)} (${columns.join(", ")}) VALUES (${columns.map((_, index) => placeholder(index + 1)).join(", ")}) ON CONFLICT DO NOTHING`,
    values: columns.map((column) => row.values[column] ?? null),
  };
}
