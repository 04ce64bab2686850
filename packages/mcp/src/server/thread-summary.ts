/**
 * A thread as an MCP client reads it: status, what it waits for, the final message or the reason,
 * and the last events, as JSON text (every MCP client shows text) and structured content.
 */
import type { Thread } from "agentfold";

/** How many of the newest events `read_thread` includes. */
const recentEvents = 20;

export function threadSummary(thread: Thread, options: { events?: boolean } = {}): Record<string, unknown> {
  const last = thread.events.at(-1);
  return {
    id: thread.id,
    agent: thread.agent,
    status: thread.status,
    pending: thread.pending,
    ...(thread.status === "done" && last?.type === "done" ? { result: last.message } : {}),
    ...(thread.status === "failed" && last?.type === "failed" ? { reason: last.reason } : {}),
    ...(options.events ? { events: thread.events.slice(-recentEvents) } : {}),
  };
}

/** A tool result with the same data as text and as structured content. */
export function asToolResult(data: Record<string, unknown>) {
  return { content: [{ type: "text" as const, text: JSON.stringify(data, null, 2) }], structuredContent: data };
}
