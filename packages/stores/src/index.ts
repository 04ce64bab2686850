// One spec string to a store
export { createStore } from "./create-store.ts";

// SQLite: the embedded default
export { createSqliteStore, type SqliteStoreOptions } from "./sqlite-store.ts";

// Postgres: several processes on one database
export { createPostgresStore, type PostgresStoreOptions } from "./postgres-store.ts";
export { migratePostgres, POSTGRES_MIGRATIONS } from "./postgres-migrations.ts";
export { createPostgresWorkQueue, type PostgresWorkQueueOptions } from "./postgres-work-queue.ts";
export {
  createPostgresDeltaRelay,
  packDeltas,
  deltaChannel,
  type PostgresDeltaRelayOptions,
  type RelayedPiece,
} from "./postgres-delta-relay.ts";
export {
  createOwnedPool,
  unavailableError,
  type PostgresPool,
  type PostgresClient,
  type PostgresResult,
  type OwnedPoolOptions,
} from "./postgres-pool.ts";

// Channel bookkeeping: typed records for @agentfold/channels, in the same file or schema
export {
  jsonValueSchema,
  channelOriginSchema,
  deliveryKeySchema,
  deliveryRecordSchema,
  channelLinkSchema,
  claimSchema,
  seenIdSchema,
  scheduleTickSchema,
  webhookDeliverySchema,
  webhookDeliveryQuerySchema,
  type ChannelStore,
  type ChannelOrigin,
  type DeliveryKey,
  type DeliveryRecord,
  type ChannelLink,
  type Claim,
  type SeenId,
  type ScheduleTick,
  type WebhookDelivery,
  type WebhookDeliveryQuery,
} from "./channel-store.ts";
export { createMemoryChannelStore } from "./memory-channel-store.ts";
export { createSqliteChannelStore, type SqliteChannelStoreOptions } from "./sqlite-channel-store.ts";
export { createPostgresChannelStore, type PostgresChannelStoreOptions } from "./postgres-channel-store.ts";
export { SQLITE_MIGRATIONS } from "./sqlite-migrations.ts";
