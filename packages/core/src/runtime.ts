/**
 * `agentfold/runtime`: the building blocks for people who implement a store, a model adapter, a
 * runner, a server or a channel: the event schema, the fold that derives a thread's state, argument
 * hashing, ids and clocks, the store errors, leases, child-agent resumption and the scripted model
 * behind the `script:` model spec. An agent author needs none of it: `agentfold` has what they use.
 *
 * Values here are exported from this entry only. The interfaces an implementer fills in (`Model`,
 * `ThreadStore`) and the types around them are re-exported here too, so one import serves them; they
 * are the same types `agentfold` exports. This entry uses `node:fs` only to read a model script
 * (`scriptedModelFromFile`).
 *
 * @example
 * import { ConfigurationError } from "agentfold";
 * import { VersionConflictError, type ThreadStore } from "agentfold/runtime";
 */

// Events: the schema every stored thread is checked against
export {
  eventSchema,
  eventTypes,
  type Event,
  type EventType,
  type EventOf,
  type NewEvent,
  type JsonValue,
  type ListedTool,
  type ToolCall,
} from "./events.ts";
export { THREAD_SCHEMA_VERSION, type ThreadJson, type ThreadOptions } from "./thread.ts";
// Timings: model calls, tool runs and waits as a waterfall, derived from the events' times
export { timingRows, type TimingRow } from "./timing.ts";
export type { ToolSource } from "./tool-sources.ts";

// Thread state: a pure fold over the events
export {
  reduceThreadState,
  statusOf,
  pendingItemOf,
  threadStatuses,
  emptyThreadState,
  type ThreadStatus,
  type ThreadState,
  type PendingItem,
  type PendingApproval,
  type PendingQuestion,
  type PendingChild,
  type OpenCall,
  type CallPhase,
  type ActiveTimer,
  type RequestDeadline,
} from "./thread-state.ts";

// Timers and deadlines: what falls due when, and the events that fire it
export { dueEvents, fireDue, nextWakeAt, wakeThread, timerSetEvent, Wait, DEADLINE_ACTOR } from "./timers.ts";

// Human actions: approve, reject, respond, message as data, and the one function that applies them
export { applyHumanAction, humanActionSchemas, type HumanAction, type HumanActionType, type HumanActionOf } from "./human-action.ts";

// Hashes, ids and time
export { hashArgs, canonicalJson, sha256Hex } from "./hash.ts";
export { systemClock, newId, type Clock, type TimerClock, type TimerHandle } from "./clock.ts";

// Stores: the interface, its errors, and leases
export {
  VersionConflictError,
  LeaseLostError,
  ThreadNotFoundError,
  ThreadExistsError,
  StoreUnavailableError,
  type ThreadStore,
  type ThreadSummary,
  type ThreadListQuery,
  type ThreadListPage,
  type DueQuery,
  type Lease,
  type AcquireLeaseOptions,
  type AppendOptions,
} from "./store.ts";
export {
  holdLease,
  acquireLeaseBy,
  DEFAULT_LEASE_TTL_MS,
  keepLease,
  ThreadBusyError,
  type HoldLeaseOptions,
  type KeepLeaseOptions,
  type LeaseGuard,
  type MonotonicClock,
} from "./lease.ts";

// Models: the interface, tolerant parsing of replies, and the scripted model of the `script:` spec
export type {
  Model,
  ModelRequest,
  ModelRetry,
  ModelWarning,
  ModelDelta,
  ModelReply,
  FinishReason,
  ModelMessage,
  ModelUsage,
  OutputMode,
  IntentSpec,
  JsonSchema,
} from "./model.ts";
export { intentSpecs, parseJsonLenient, toJson } from "./model-output.ts";
export { ScriptedModel, scriptedModelFromFile, type ScriptStep, type ScriptedModelOptions } from "./scripted-model.ts";

// Streaming: how pieces of a model reply reach the watchers of a thread, in this process or others
export {
  createDeltaListeners,
  createLocalDeltaRelay,
  type DeltaRelay,
  type DeltaListener,
} from "./delta-relay.ts";
export type { WorkQueue } from "./work-queue.ts";

// Runners: child agents and their families
export { resumeChild, resumePausedChild, childThreadId, childAgentOf } from "./child-agent.ts";
export {
  parentOf,
  waitsForChild,
  childLinksOf,
  findThreadAgent,
  familyRefusal,
  canceledAncestor,
  rootThreadOf,
  cancelDescendants,
  finishCanceledFamily,
  type ParentLink,
  type ChildLink,
} from "./thread-family.ts";
export { keepOutcomes } from "./keep-outcomes.ts";
export { ChildPaused, ChildResult } from "./step.ts";

// Tenants and the audit record of refused decisions (servers and channels)
export {
  TENANT_METADATA_KEY,
  DEFAULT_TENANT,
  tenantOf,
  tenantMetadata,
  DECISION_REFUSED,
  decisionRefusedEvent,
  type DecisionRefusal,
} from "./access.ts";

// Fault points: where AGENTFOLD_FAULT kills the process or throws after a commit (see docs/faults.md)
export { faultPoint, faultPointNames, FaultInjectedError, type FaultPointName } from "./fault-points.ts";

// Optional peer packages, imported on first use
export { importOptional } from "./import-optional.ts";

// Errors a runner or server reports
export { InternalError, describeError } from "./errors.ts";

// Secrets: credentials masked in text that leaves the process (log lines, the model's context)
export { redactCredentials } from "./secrets.ts";
