/**
 * What an inbound signed webhook may carry, as zod schemas: a decision or an answer on a pending
 * call, or a message that starts (or continues) a thread. A payload of that shape with a field of the
 * wrong type is a 400 naming the field; other payloads go to the hook's `toMessage`.
 */
import { jsonValueSchema } from "@agentfold/stores";
import { z } from "zod";
import { describeIssue } from "../payload-errors.ts";

const id = z.string().min(1).max(1000);

/** `{ threadId, callId, approved, comment?, args? }` decides an approval; `{ threadId, callId, text }` answers a question. */
export const decisionPayloadSchema = z.object({
  threadId: id,
  callId: id,
  approved: z.boolean().optional(),
  comment: z.string().optional(),
  /** Edited arguments to approve instead of the requested ones. */
  args: z.record(z.string(), jsonValueSchema).optional(),
  text: z.string().optional(),
});

/** `{ message, threadId?, metadata? }` starts a thread (or adds a message to one this hook started). */
export const messagePayloadSchema = z.object({
  message: z.string().min(1),
  threadId: id.optional(),
  metadata: z.record(z.string(), jsonValueSchema).optional(),
});

/** The fields a payload for `toMessage` may also carry; anything else in it is the hook's business. */
export const looseMessagePayloadSchema = z.object({
  threadId: id.optional().catch(undefined),
  metadata: z.record(z.string(), jsonValueSchema).optional().catch(undefined),
});

const shapes = 'Send { "message": "..." } to start a thread, or { "threadId", "callId", "approved" | "text" } to resume one.';

/** The 400 for a payload that failed `schema`. */
export function invalidPayload(error: z.ZodError): { status: 400; code: "invalid_request"; message: string } {
  return { status: 400, code: "invalid_request", message: `${describeIssue(error, "webhook payload")} ${shapes}` };
}

/** The two payload shapes, said to a sender who sent neither. */
export const payloadShapes = shapes;
