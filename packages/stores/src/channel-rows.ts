/**
 * Rows of the channel tables to typed records, shared by the SQLite and Postgres channel stores.
 * Every row read is parsed with zod (JSON columns included): a row some other writer mangled is a
 * clear error naming the table and field, not a wrong value passed on.
 */
import { StoreUnavailableError } from "agentfold/runtime";
import { z } from "zod";
import {
  channelOriginSchema,
  deliveryRecordSchema,
  jsonValueSchema,
  webhookAttemptSchema,
  webhookDeliverySchema,
  type ChannelLink,
  type ChannelOrigin,
  type DeliveryRecord,
  type WebhookDelivery,
} from "./channel-store.ts";

/** Epoch milliseconds: a number from SQLite, a bigint's text from Postgres. */
const millis = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
const jsonText = <T>(schema: z.ZodType<T>) =>
  z.string().transform((text, context): T => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      context.addIssue({ code: "custom", message: "is not JSON" });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ code: "custom", message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return parsed.data;
  });

const originRow = z.object({ channel: z.string(), person: z.string(), data: jsonText(channelOriginSchema.shape.data) });
const deliveryRow = z.object({
  channel: z.string(),
  thread_id: z.string(),
  call_id: z.string(),
  state: deliveryRecordSchema.shape.state,
  record: jsonText(jsonValueSchema),
  updated_at: z.string(),
});
const linkRow = z.object({ channel: z.string(), external_id: z.string(), thread_id: z.string(), call_id: z.string().nullable() });
const webhookRow = z.object({
  id: z.string(),
  hook: z.string(),
  url: z.string(),
  type: webhookDeliverySchema.shape.type,
  state: webhookDeliverySchema.shape.state,
  attempts: jsonText(z.array(webhookAttemptSchema)),
  body: z.string().nullable(),
  next_attempt_at: millis.nullable(),
});

/** Parses `row` from `table`, or throws a `StoreUnavailableError` naming what is wrong in it. */
function parseRow<T>(schema: z.ZodType<T>, row: unknown, table: string): T {
  const result = schema.safeParse(row);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new StoreUnavailableError(
    `A row of ${table} is malformed${issue && issue.path.length > 0 ? ` at "${issue.path.join(".")}"` : ""}: ${issue?.message ?? "invalid"}. Something other than agentfold wrote it; fix or delete the row.`,
    { retryAfterSeconds: 60 },
  );
}

export function originFromRow(row: unknown): ChannelOrigin {
  return parseRow(originRow, row, "channel_origins");
}

export function deliveryFromRow(row: unknown): DeliveryRecord {
  const parsed = parseRow(deliveryRow, row, "channel_deliveries");
  return {
    channel: parsed.channel,
    threadId: parsed.thread_id,
    callId: parsed.call_id,
    state: parsed.state,
    record: parsed.record,
    updatedAt: parsed.updated_at,
  };
}

export function linkFromRow(row: unknown): ChannelLink {
  const parsed = parseRow(linkRow, row, "channel_links");
  return {
    channel: parsed.channel,
    externalId: parsed.external_id,
    threadId: parsed.thread_id,
    ...(parsed.call_id === null ? {} : { callId: parsed.call_id }),
  };
}

export function webhookFromRow(row: unknown): WebhookDelivery {
  const parsed = parseRow(webhookRow, row, "channel_webhook_deliveries");
  return {
    id: parsed.id,
    hook: parsed.hook,
    url: parsed.url,
    type: parsed.type,
    state: parsed.state,
    attempts: parsed.attempts,
    ...(parsed.body === null ? {} : { body: parsed.body }),
    ...(parsed.next_attempt_at === null ? {} : { nextAttemptAt: new Date(parsed.next_attempt_at).toISOString() }),
  };
}

/** Whether a `RETURNING` query gave a row back: the claim was won. */
export const returned = (rows: readonly unknown[]) => rows.length === 1;

/** A row for one of the channel tables: column name to value. */
export interface ChannelTableRow {
  table:
    | "channel_origins"
    | "channel_deliveries"
    | "channel_links"
    | "channel_claims"
    | "channel_seen"
    | "channel_schedule_ticks"
    | "channel_webhook_deliveries";
  values: Record<string, string | number | null>;
}

/** The `channel_webhook_deliveries` row of a delivery (the column `key` orders them and is left to the database). */
export function webhookDeliveryRow(delivery: WebhookDelivery, createdAt: string): ChannelTableRow {
  return {
    table: "channel_webhook_deliveries",
    values: {
      id: delivery.id,
      hook: delivery.hook,
      url: delivery.url,
      type: delivery.type,
      state: delivery.state,
      attempts: JSON.stringify(delivery.attempts),
      body: delivery.body ?? null,
      next_attempt_at: delivery.nextAttemptAt === undefined ? null : Date.parse(delivery.nextAttemptAt),
      created_at: createdAt,
    },
  };
}
