/**
 * A thread's events as chunks of the AI SDK's UI message stream protocol (what `useChat` reads):
 * what the model writes is text, each call a tool part, an approval the policy asks for a tool part
 * in `approval-requested` whose approval id binds the call to its arguments' hash, a tool's result or
 * error the part's output. Pure: the same events always give the same chunks.
 */
import type { Event, ModelDelta } from "agentfold";

/** One chunk of the protocol (`data: <json>` on the wire). Only the kinds this module makes. */
export type UiChunk = Record<string, unknown> & { type: string };

/** Intents whose call is the agent speaking to the person: shown as text, not as a tool part. */
const spokenIntents: Record<string, string> = { done_for_now: "message", request_more_information: "question" };

/**
 * The approval id a client sends back: the call and the hash of the arguments the person saw, so an
 * approval can never apply to other arguments (`callId.argsHash`).
 *
 * @example
 * approvalId("call_2_0", "9f2c…"); // "call_2_0.9f2c…"
 */
export function approvalId(callId: string, argsHash: string): string {
  return `${callId}.${argsHash}`;
}

/** The call and arguments' hash of an approval id, or undefined when it is not one. */
export function parseApprovalId(id: string): { callId: string; argsHash: string } | undefined {
  const dot = id.lastIndexOf(".");
  if (dot <= 0 || dot === id.length - 1) return undefined;
  return { callId: id.slice(0, dot), argsHash: id.slice(dot + 1) };
}

/**
 * Turns events and deltas into chunks. It remembers the text part that deltas opened, so the
 * decision closes it, and a retry's first piece (a higher `attempt`) starts a new one.
 *
 * @example
 * const chunks = createChunkWriter();
 * chunks.delta({ type: "text", attempt: 1, text: "Let me" }, 3); // text-start, text-delta
 * chunks.event(decision); // text-end, tool-input-available
 */
export function createChunkWriter() {
  let openText: string | undefined;
  const closeText = (): UiChunk[] => {
    if (openText === undefined) return [];
    const id = openText;
    openText = undefined;
    return [{ type: "text-end", id }];
  };
  const text = (id: string, content: string): UiChunk[] => [
    { type: "text-start", id },
    { type: "text-delta", id, delta: content },
    { type: "text-end", id },
  ];
  return {
    /** A piece of the reply being written. Tool arguments are not streamed: a call's id exists only once its decision is stored. */
    delta(delta: ModelDelta, after: number): UiChunk[] {
      if (delta.type !== "text" || delta.text === "") return [];
      const id = `text-${after}-${delta.attempt}`;
      const chunks: UiChunk[] = [];
      if (openText !== id) chunks.push(...closeText(), { type: "text-start", id });
      openText = id;
      chunks.push({ type: "text-delta", id, delta: delta.text });
      return chunks;
    },
    /** A stored event. */
    event(event: Event): UiChunk[] {
      switch (event.type) {
        case "model_decision":
          return [
            ...closeText(),
            ...event.calls.flatMap((call): UiChunk[] => {
              const spoken = spokenIntents[call.intent];
              const said = spoken === undefined ? undefined : call.args[spoken];
              if (typeof said === "string") return text(`said-${call.callId}`, said);
              return [{ type: "tool-input-available", toolCallId: call.callId, toolName: call.intent, input: call.args }];
            }),
          ];
        case "approval_requested":
          return [{ type: "tool-approval-request", approvalId: approvalId(event.callId, event.argsHash), toolCallId: event.callId }];
        case "approval_decision":
          return event.approved ? [] : [{ type: "tool-output-denied", toolCallId: event.callId }];
        case "tool_result":
          return [{ type: "tool-output-available", toolCallId: event.callId, output: event.result ?? null }];
        case "error":
          if (event.callId !== undefined && event.source === "tool") {
            return [{ type: "tool-output-error", toolCallId: event.callId, errorText: event.message }];
          }
          return [];
        case "failed":
          return [...closeText(), { type: "error", errorText: event.reason }];
        default:
          return [];
      }
    },
    /** Closes what is open before the stream ends. */
    end(): UiChunk[] {
      return closeText();
    },
  };
}
