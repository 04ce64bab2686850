/**
 * `POST /v1/chat?agent=<name>`: the AI SDK UI message stream protocol, so a React app's `useChat`
 * (`DefaultChatTransport`) talks to an agent. A chat is a thread (the same chat id of the same caller
 * is always the same thread); the answer streams the thread's events from this request on as UI
 * message chunks, with the model's text as it is written, until the thread waits or finishes.
 * Approvals sent back from the UI go through the same change as `POST /v1/threads/:id/approvals`,
 * bound to the call and the hash of its arguments.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { InvalidInputError, StateConflictError, Thread, type Agent } from "agentfold";
import { applyHumanAction, THREAD_SCHEMA_VERSION, tenantMetadata, type HumanAction } from "agentfold/runtime";
import type { Context } from "hono";
import { stream } from "hono/streaming";
import { checkAgentAllowed, checkDecisionAllowed, checkThreadAllowed } from "../authorization.ts";
import { launchThreadId } from "../idempotency.ts";
import type { AdvanceOutcome } from "../runner.ts";
import type { ApiApp, Env, RouteContext } from "../routes/route-context.ts";
import { actionsFor, parseChatRequest, type ChatRequest } from "./chat-request.ts";
import { createChunkWriter, type UiChunk } from "./ui-message-chunks.ts";

export const uiChatRoute = createRoute({
  method: "post",
  path: "/v1/chat",
  summary: "The AI SDK UI message stream protocol, for useChat (DefaultChatTransport)",
  request: {
    query: z.object({ agent: z.string().optional().openapi({ description: "The agent to talk to; default the only one." }) }),
    body: { content: { "application/json": { schema: z.object({ id: z.string(), messages: z.array(z.unknown()) }).passthrough() } } },
  },
  responses: {
    200: {
      description:
        "`text/event-stream` of UI message chunks (`data: <chunk JSON>`, then `data: [DONE]`), header `x-vercel-ai-ui-message-stream: v1`. Calls are tool parts; an approval is `tool-approval-request` with approvalId `<callId>.<argsHash>`.",
      content: { "text/event-stream": { schema: z.string() } },
    },
  },
});

function chatAgent(context: RouteContext, name: string | undefined): Agent {
  if (name === undefined && context.agents.size === 1) return context.agentList[0]!;
  const agent = name === undefined ? undefined : context.agents.get(name);
  if (!agent) throw new InvalidInputError(`Name the agent to talk to: ?agent= one of ${[...context.agents.keys()].join(", ")}.`);
  return agent;
}

/** An approval or rejection from the UI applies only to the arguments it was shown (its approval id). */
function boundAction(thread: Thread, action: HumanAction, argsHash: string | undefined): void {
  if (action.type !== "approve" && action.type !== "reject") return;
  const requested = thread.events.findLast((event) => event.type === "approval_requested" && event.callId === action.callId);
  if (requested?.type === "approval_requested" && requested.argsHash !== argsHash) {
    throw new StateConflictError(`Call ${action.callId}'s arguments changed since they were shown: reload the chat and decide again.`);
  }
}

/**
 * Starts the thread, or applies the request's actions to it. Resolves once they are stored (a refused
 * action is an HTTP error, before any stream); `settled` resolves when the runner is done.
 */
async function advance(
  context: RouteContext,
  c: Context<Env>,
  request: ChatRequest,
  agent: Agent,
  threadId: string,
  existing: Thread | undefined,
): Promise<{ settled: Promise<AdvanceOutcome> }> {
  const actor = c.get("actor");
  if (!existing) {
    if (request.last.role !== "user") throw new InvalidInputError("A new chat starts with a user message.");
    const at = new Date().toISOString();
    const thread = Thread.fromJSON({
      schemaVersion: THREAD_SCHEMA_VERSION,
      id: threadId,
      agent: agent.name,
      ...(Object.keys(tenantMetadata(c.get("caller").tenant)).length > 0 ? { metadata: tenantMetadata(c.get("caller").tenant) } : {}),
      events: [{ type: "user_input", at, text: request.last.text, actor, source: "ui-chat" }],
    });
    await context.store.create(thread);
    return { settled: context.runner.advance(thread.id) };
  }
  let settled: Promise<AdvanceOutcome> | undefined;
  const hashes =
    request.last.role === "assistant" ? new Map(request.last.approvals.map((item) => [item.callId, item.argsHash])) : new Map();
  for (const action of actionsFor(request, existing, actor)) {
    if (action.type === "approve" || action.type === "reject") {
      await checkDecisionAllowed(context.runner, c.get("caller"), existing, action.callId, action.type);
    }
    const change = await context.runner.change(threadId, (thread, threadAgent) => {
      boundAction(thread, action, hashes.get("callId" in action ? action.callId : ""));
      return applyHumanAction(threadAgent, thread, action);
    });
    settled = change.settled;
  }
  return { settled: settled ?? context.runner.advance(threadId) };
}

export function registerUiChatRoute(app: ApiApp, context: RouteContext): void {
  app.openapi(uiChatRoute, async (c) => {
    const request = parseChatRequest(c.req.valid("json"));
    const agent = chatAgent(context, c.req.valid("query").agent);
    const caller = c.get("caller");
    checkAgentAllowed(caller, agent.name);
    const threadId = launchThreadId(c.get("actor"), `ui-chat\u0000${request.chatId}`, caller.tenant);
    const stored = await context.store.load(threadId);
    const existing = stored ? checkThreadAllowed(caller, stored) : undefined;
    if (existing && existing.agent !== agent.name) {
      throw new InvalidInputError(`Chat ${request.chatId} talks to agent "${existing.agent}", not "${agent.name}".`);
    }
    const chunks = createChunkWriter();
    // Until the stream is open, chunks wait here; then writes are queued in call order, so events and
    // pieces go out in the order the runner made them.
    let write: ((text: string) => unknown) | undefined;
    const held: string[] = [];
    const send = (list: UiChunk[]) => {
      for (const chunk of list) {
        const frame = `data: ${JSON.stringify(chunk)}\n\n`;
        if (write) write(frame);
        else held.push(frame);
      }
    };
    let sent = existing?.version ?? 0;
    const sendEvents = (thread: Thread) => {
      for (; sent < thread.version; sent++) send(chunks.event(thread.events[sent]!));
    };
    send([{ type: "start", messageId: `${threadId}-${sent}`, messageMetadata: { threadId } }]);
    const unsubscribe = context.runner.subscribe(threadId, sendEvents);
    // A child agent's pieces (marked with its thread) are not this chat's reply.
    const unsubscribeDeltas = context.runner.subscribeDeltas(threadId, (delta, after) => {
      if (delta.childThreadId === undefined) send(chunks.delta(delta, after));
    });
    let settled: Promise<AdvanceOutcome>;
    try {
      // Listening before the step starts: when another process runs it (it held the lease), its
      // pieces come through the delta relay, and none is missed.
      await context.runner.deltasListening(threadId);
      ({ settled } = await advance(context, c, request, agent, threadId, existing));
    } catch (error) {
      unsubscribe();
      unsubscribeDeltas();
      throw error;
    }
    c.header("x-vercel-ai-ui-message-stream", "v1");
    c.header("content-type", "text/event-stream");
    c.header("cache-control", "no-cache");
    return stream(c, async (output) => {
      write = (text) => void output.write(text);
      for (const frame of held.splice(0)) write(frame);
      try {
        const outcome = await settled;
        const latest = outcome.thread ?? (await context.store.load(threadId));
        if (latest) sendEvents(latest);
        send([...chunks.end(), { type: "finish", messageMetadata: { threadId, status: latest?.status ?? "running" } }]);
      } catch (error) {
        send([...chunks.end(), { type: "error", errorText: error instanceof Error ? error.message : String(error) }]);
      } finally {
        unsubscribe();
        unsubscribeDeltas();
      }
      await output.write("data: [DONE]\n\n");
    });
  });
}
