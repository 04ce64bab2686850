export const version = "0.1.0";

// Threads and stores (used by @agentfold/stores)
export { Thread, THREAD_SCHEMA_VERSION, type ThreadJson, type ThreadOptions } from "./thread.ts";
export type { Event, EventType, EventOf, NewEvent, JsonValue } from "./events.ts";
export type { ThreadStatus } from "./thread-state.ts";
export { systemClock, newId, type Clock } from "./clock.ts";
export { AgentfoldError, ConfigurationError, InvalidInputError, InternalError, ThreadFormatError } from "./errors.ts";
export {
  VersionConflictError,
  LeaseLostError,
  ThreadNotFoundError,
  ThreadExistsError,
  type ThreadStore,
  type ThreadSummary,
  type ThreadListQuery,
  type ThreadListPage,
  type Lease,
  type AppendOptions,
} from "./store.ts";
export { createMemoryStore } from "./memory-store.ts";
