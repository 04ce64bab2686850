/**
 * agentfold: production LLM agents as stateless reducers over an append-only thread of events.
 * What an agent author uses, grouped by concern, kept small on purpose (a test pins the list).
 * Building blocks for stores, model adapters, runners and channels live in `agentfold/runtime`;
 * test doubles and conformance suites in `agentfold/testing`. No `node:*` imports here.
 */
export const version = "0.1.0";

// Agents: define, step, run, and the human actions
export { defineAgent, type Agent, type AgentDefinition, type ApproveOptions, type RenderedPrompt, type RequestKeys } from "./agent.ts";
export { nextAction, type NextAction, type Limits, type Policy } from "./plan.ts";
export type { AgentHooks, StepOptions } from "./step.ts";
export type { ChildAgentToolOptions } from "./child-agent.ts";
export type { PlanFunction, PlanHelpers } from "./own-plan.ts";
export type { CallOf, IntentOf, OpenCallOf, StoredArgs } from "./typed-calls.ts";
export type { HandoffToolOptions } from "./handoff.ts";

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

// Durable timers: a tool (or a policy) waits until a time, across restarts
export { sleep, waitUntil, type Wait, type WaitOptions } from "./timers.ts";
export type { RequestDeadlineOptions } from "./tools.ts";
export type { ToolSource } from "./tool-sources.ts";
export { nextStepSchema, parseModelOutput, type ParsedCall, type ParseResult } from "./model-output.ts";

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

// Threads and events (the event schema and the fold behind `thread.state` are in `agentfold/runtime`)
export { Thread, type ThreadJson, type ThreadOptions } from "./thread.ts";
export type { Event, EventType, EventOf, NewEvent, JsonValue, ListedTool, ToolCall } from "./events.ts";
export type {
  ThreadStatus,
  ThreadState,
  PendingItem,
  PendingApproval,
  PendingQuestion,
  PendingChild,
  OpenCall,
  CallPhase,
  ActiveTimer,
  RequestDeadline,
} from "./thread-state.ts";
export type { Clock } from "./clock.ts";

// Stores (store errors and leases are in `agentfold/runtime`)
export type {
  ThreadStore,
  ThreadSummary,
  ThreadListQuery,
  ThreadListPage,
  Lease,
  AcquireLeaseOptions,
  AppendOptions,
  DueQuery,
} from "./store.ts";
export { createMemoryStore } from "./memory-store.ts";

// Errors an author catches (`InternalError` and `describeError` are in `agentfold/runtime`)
export {
  AgentfoldError,
  ConfigurationError,
  InvalidInputError,
  ThreadFormatError,
  StateConflictError,
  ModelCallError,
} from "./errors.ts";
