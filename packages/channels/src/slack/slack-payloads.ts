/**
 * What Slack posts to the Interactivity and Events URLs, as zod schemas: only the fields agentfold
 * reads, so a new field Slack adds changes nothing, and a payload we act on with a field missing or
 * of the wrong type is a 400 naming it. Payload types we do not act on are acknowledged and ignored.
 */
import { z } from "zod";

/** What a button (or a modal's private metadata) carries: thread, call, arguments hash, answer. */
export const buttonValueSchema = z.object({
  t: z.string().min(1),
  c: z.string().min(1),
  h: z.string().optional(),
  a: z.string().optional(),
  /** In a modal's metadata: where the button was clicked. */
  channel: z.string().optional(),
  ts: z.string().optional(),
});
export type ParsedButtonValue = z.infer<typeof buttonValueSchema>;

/** A button value or modal metadata (JSON text), or `undefined` when it is not one of ours. */
export function parseButtonValue(text: string | undefined): ParsedButtonValue | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = buttonValueSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const user = z.object({ id: z.string().min(1) });

/** A click on one of our buttons. */
export const blockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user,
  trigger_id: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  message: z.object({ ts: z.string() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })),
});

/** A submitted modal (reject with a reason, edit the arguments). */
export const viewSubmissionSchema = z.object({
  type: z.literal("view_submission"),
  user,
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))) }).optional(),
  }),
});

export const interactionSchema = z.discriminatedUnion("type", [blockActionsSchema, viewSubmissionSchema]);
export type SlackInteraction = z.infer<typeof interactionSchema>;
/** The interaction types agentfold acts on; others (shortcuts, closed modals…) are acknowledged. */
export const handledInteractions: readonly string[] = ["block_actions", "view_submission"];

/** A message or mention: what can start, continue or answer a thread. */
export const messageEventSchema = z.object({
  type: z.enum(["message", "app_mention"]),
  ts: z.string().min(1),
  channel: z.string().min(1),
  user: z.string().optional(),
  text: z.string().optional(),
  thread_ts: z.string().optional(),
  channel_type: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
});
export type SlackMessageEvent = z.infer<typeof messageEventSchema>;

/** An Events API request: the URL check, or an event (only messages and mentions are read further). */
export const eventsBodySchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("url_verification"), challenge: z.string() }),
  z.object({ type: z.literal("event_callback"), event_id: z.string().optional(), event: z.object({ type: z.string() }).loose() }),
]);
export const handledEventBodies: readonly string[] = ["url_verification", "event_callback"];
export const messageEventTypes: readonly string[] = ["message", "app_mention"];

/** A record of a posted Slack message, as `deliver` returns it and `resolved` reads it back. */
export const slackRecordSchema = z.object({ channel: z.string(), ts: z.string() });
export type SlackRecord = z.infer<typeof slackRecordSchema>;

/** A Slack origin's data: the channel and the thread ts a mention or DM started. */
export const slackOriginDataSchema = z.object({ channel: z.string(), ts: z.string() });
