// SQLite: the embedded default
export { createSqliteStore, type SqliteStoreOptions } from "./sqlite-store.ts";
