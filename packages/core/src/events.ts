/**
 * The event schemas under their public names (`agentfold/runtime` exports `eventSchema` and
 * `eventTypes`), and the event types. The definitions are in `event-schema.ts`.
 *
 * Loading this module builds the schemas. The main entry imports only its types, so importing
 * `agentfold` builds none; a thread builds them at its first append.
 */
import type { z } from "zod";
import { eventSchemas, type EventType, type JsonValue } from "./event-schema.ts";

export {
  isJsonValue,
  type Event,
  type EventOf,
  type EventType,
  type JsonValue,
  type ListedTool,
  type NewEvent,
  type ToolCall,
} from "./event-schema.ts";

const schemas = eventSchemas();

export const jsonValue: z.ZodType<JsonValue> = schemas.jsonValue;
export const {
  toolCallSchema,
  usageSchema,
  urgencySchema,
  responseFormatSchema,
  userInputEvent,
  modelDecisionEvent,
  approvalRequestedEvent,
  approvalDecisionEvent,
  toolStartedEvent,
  toolResultEvent,
  errorEvent,
  humanRequestEvent,
  humanResponseEvent,
  childPausedEvent,
  childResumedEvent,
  doneEvent,
  failedEvent,
  cancelEvent,
  compactionEvent,
  customEvent,
  timerSetEvent,
  timerFiredEvent,
  deadlinePassedEvent,
  deadlineSchema,
  resumedEvent,
  modelCallRetriedEvent,
  modelWarningEvent,
  handoffEvent,
  listedToolSchema,
  toolsListedEvent,
  eventSchema,
} = schemas;

export const eventTypes: readonly EventType[] = eventSchema.options.map((option) => option.shape.type.value);
