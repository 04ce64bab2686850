/**
 * @agentfold/channels: meet people where they are (factors 7 and 11). Human channels (Slack, email,
 * signed webhooks) and triggers (webhooks, mentions, mail, cron), plugged into the server as one
 * extension: `createServer({ ..., extensions: [createChannels({ ... })] })`.
 */

// The hub and routing
export { createChannels, type Channels, type ChannelsOptions } from "./create-channels.ts";
export { routeFor, routeMatches, allowedBy, type RouteRule, type RouteMatch, type RouteSend } from "./routing.ts";
export type {
  Channel,
  ChannelContext,
  Delivery,
  DeliveryNotice,
  DeliverableItem,
  Audience,
  Origin,
  Resolution,
  InboundAction,
  ActionOutcome,
} from "./channel.ts";

// Bookkeeping stores: typed records in the thread store's database (they live in @agentfold/stores)
export {
  createMemoryChannelStore,
  createSqliteChannelStore,
  createPostgresChannelStore,
  type ChannelStore,
  type SqliteChannelStoreOptions,
  type PostgresChannelStoreOptions,
} from "@agentfold/stores";

// Channels
export { slackChannel, type SlackChannelOptions } from "./slack/slack-channel.ts";
export { verifySlackRequest, signSlackRequest, type SlackVerification } from "./slack/slack-signature.ts";
export { emailChannel, type EmailChannelOptions } from "./email/email-channel.ts";
export type { AuthenticationRequirement, AuthenticationMethod } from "./email/email-authentication.ts";
export { stripReply, replyCommand, type ReplyCommand } from "./email/email-reply.ts";
export {
  webhookChannel,
  type WebhookChannelOptions,
  type WebhookHook,
  type WebhookEventType,
  type WebhookDeliveryLog,
} from "./webhooks/webhook-channel.ts";

// Triggers
export { startSchedules, validateSchedules, type Schedule } from "./schedules.ts";
