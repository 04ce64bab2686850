// One spec string to a store
export { createStore } from "./create-store.ts";

// SQLite: the embedded default
export { createSqliteStore, type SqliteStoreOptions } from "./sqlite-store.ts";

// Postgres: several processes on one database
export { createPostgresStore, type PostgresStoreOptions } from "./postgres-store.ts";
export { migratePostgres, POSTGRES_MIGRATIONS } from "./postgres-migrations.ts";
export {
  createOwnedPool,
  unavailableError,
  type PostgresPool,
  type PostgresClient,
  type PostgresResult,
  type OwnedPoolOptions,
} from "./postgres-pool.ts";
