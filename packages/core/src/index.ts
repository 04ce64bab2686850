/**
 * agentfold: production LLM agents as stateless reducers over an append-only thread of events.
 * The public surface, grouped by concern. Test doubles live in `agentfold/testing`.
 */
export const version = "0.1.0";

// Agents: define, step, run, and the human actions
export { defineAgent, type Agent, type AgentDefinition, type ApproveOptions, type RenderedPrompt } from "./agent.ts";
export { nextAction, type NextAction, type Limits, type Policy } from "./next-action.ts";
export { ChildPaused, ChildResult, type AgentHooks, type StepOptions } from "./step.ts";
export { childThreadId, resumeChild, type ChildAgentToolOptions } from "./child-agent.ts";

// Tools are structured outputs
export {
  defineTool,
  type Tool,
  type AnyTool,
  type ToolDefinition,
  type ToolContext,
  type ToolKind,
  type ApprovalPolicy,
  type HumanQuestion,
} from "./tools.ts";
export { askHuman, requestHumanInput, doneForNow } from "./human-tools.ts";
export { nextStepSchema, intentSpecs, parseModelOutput, parseJsonLenient, toJson, type ParsedCall, type ParseResult } from "./next-step.ts";

// Prompt and context
export { defaultPrompt, type PromptFunction, type PromptContext } from "./default-prompt.ts";
export {
  xmlContext,
  defaultEventRenderers,
  dropOldestEvents,
  type ContextRenderer,
  type XmlContextOptions,
  type EventRenderer,
  type RenderHelpers,
  type RenderedContext,
  type Compactor,
} from "./render-context.ts";
export { toYaml } from "./yaml.ts";
export { countTokens } from "./tokens.ts";

// Models
export type {
  Model,
  ModelRequest,
  ModelReply,
  ModelMessage,
  ModelUsage,
  OutputMode,
  IntentSpec,
  JsonSchema,
} from "./model.ts";

// Threads and events
export { Thread, THREAD_SCHEMA_VERSION, type ThreadJson, type ThreadOptions } from "./thread.ts";
export { eventSchema, eventTypes, type Event, type EventType, type EventOf, type NewEvent, type JsonValue, type ToolCall } from "./events.ts";
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
} from "./thread-state.ts";
export { hashArgs, canonicalJson, sha256Hex } from "./hash.ts";
export { systemClock, newId, type Clock } from "./clock.ts";

// Stores
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
export { holdLease, acquireLeaseBy, keepLease, ThreadBusyError, type HoldLeaseOptions, type KeepLeaseOptions } from "./lease.ts";

// Errors
export {
  AgentfoldError,
  ConfigurationError,
  InvalidInputError,
  ThreadFormatError,
  StateConflictError,
  ModelCallError,
  InternalError,
  describeError,
} from "./errors.ts";
