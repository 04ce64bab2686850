/**
 * agentfold as an MCP server: tools to start a thread of each agent, read a thread, list what waits
 * for a person, and approve, reject or answer it. Each tool goes through the runner (leases, fences,
 * the same `HumanAction` path as the HTTP API and the CLI), so an MCP client is one more edge.
 *
 * Invariant: who acts is the caller the transport authenticated (an API key over HTTP, the local
 * user over stdio), recorded as the actor of every message and decision; a caller limited to some
 * agents or intents cannot start or decide others, and sees only its tenant's threads.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InvalidInputError, type Agent, type Thread, type ThreadStore } from "agentfold";
import { DEFAULT_TENANT, describeError, tenantOf, ThreadNotFoundError, type HumanAction } from "agentfold/runtime";
import type { Runner } from "@agentfold/server";
import { z } from "zod";
import { elicitDecisions } from "./elicit-decisions.ts";
import { createThreadDriver, type RequestContext, type ThreadDriver } from "./thread-driver.ts";
import { asToolResult, threadSummary } from "./thread-summary.ts";
import { version } from "../version.ts";

/** Who calls: recorded as the actor; `agents` and `decide` limit what they may do (undefined: anything). */
export interface McpCaller {
  name: string;
  /** The tenant whose threads the caller starts and sees (an API key's). Default "default". */
  tenant?: string | undefined;
  agents?: readonly string[] | undefined;
  decide?: readonly string[] | undefined;
}

export interface AgentfoldMcpServerOptions {
  runner: Runner;
  store: ThreadStore;
  agents: ReadonlyMap<string, Agent> | readonly Agent[];
  caller: McpCaller;
  /**
   * Ask pending approvals and questions through the client's elicitation, when it supports it.
   * Default true; `/mcp` turns it off, since its stateless requests cannot carry the client's reply.
   */
  elicit?: boolean;
}

interface Extra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number } | undefined;
  sendNotification: (notification: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; message?: string };
  }) => Promise<void>;
}

function requestContext(extra: Extra): RequestContext {
  const token = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    progress:
      token === undefined
        ? undefined
        : (progress, message) =>
            extra
              .sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, message } })
              .catch(() => {}),
  };
}

/** A tool's failure as an MCP tool error (`isError`), which the client's model can read and act on. */
async function answer(work: () => Promise<Record<string, unknown>>) {
  try {
    return asToolResult(await work());
  } catch (error) {
    return { isError: true, content: [{ type: "text" as const, text: describeError(error) }] };
  }
}

/** What the tool registrations share. */
interface ToolsContext {
  server: McpServer;
  caller: McpCaller;
  agents: ReadonlyMap<string, Agent>;
  /** The agents this caller may see and start. */
  visible: readonly string[];
  tenant: string;
  store: ThreadStore;
  driver: ThreadDriver;
  /** Runs a person's action (checked first) and returns the thread as it settled, after any elicitation. */
  decideAndSettle(threadId: string, action: Extract<HumanAction, { callId: string }>, extra: unknown): Promise<Record<string, unknown>>;
  startAndSettle(agent: string, message: string, extra: unknown): Promise<Record<string, unknown>>;
  loadVisible(threadId: string): Promise<Thread>;
}

function registerThreadTools({ server, agents, visible, store, tenant, startAndSettle, loadVisible }: ToolsContext): void {
  server.registerTool(
    "start_thread",
    {
      description: `Start a thread of an agentfold agent with a message and run it until it finishes or waits for a person. Agents: ${
        visible.map((name) => `${name}${agents.get(name)?.description ? ` (${agents.get(name)!.description})` : ""}`).join("; ") || "none"
      }.`,
      // z.enum needs one name at least; a caller who may start none gets the agent's error instead.
      inputSchema: { agent: visible.length > 0 ? z.enum(visible as [string, ...string[]]) : z.string(), message: z.string().min(1) },
    },
    (args, extra) => answer(() => startAndSettle(args.agent, args.message, extra)),
  );
  server.registerTool(
    "read_thread",
    {
      description: "Read a thread: its status, what it waits for, its result or failure, and its last events.",
      inputSchema: { threadId: z.string() },
      annotations: { readOnlyHint: true },
    },
    (args) => answer(async () => threadSummary(await loadVisible(args.threadId), { events: true })),
  );
  server.registerTool(
    "list_pending",
    {
      description: "List the threads waiting for a person, with each pending approval or question and its callId.",
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    () =>
      answer(async () => {
        const waiting = [];
        for (const status of ["awaiting_approval", "awaiting_human"] as const) {
          for (const agent of visible) waiting.push(...(await store.list({ status, agent, tenant, limit: 100 })).threads);
        }
        return { threads: await Promise.all(waiting.map(async (summary) => threadSummary(await loadVisible(summary.id)))) };
      }),
  );
}

function registerDecisionTools({ server, caller, decideAndSettle }: ToolsContext): void {
  const actor = caller.name;
  server.registerTool(
    "approve_call",
    {
      description: "Approve a pending call (optionally with edited arguments) and run the thread on.",
      inputSchema: {
        threadId: z.string(),
        callId: z.string(),
        args: z.record(z.string(), z.unknown()).optional(),
        comment: z.string().optional(),
      },
      annotations: { destructiveHint: true },
    },
    ({ threadId, callId, args, comment }, extra) =>
      answer(() =>
        decideAndSettle(threadId, { type: "approve", callId, actor, ...(args ? { args } : {}), ...(comment ? { comment } : {}) }, extra),
      ),
  );
  server.registerTool(
    "reject_call",
    {
      description: "Reject a pending call with a comment the agent's model reads next, and run the thread on.",
      inputSchema: { threadId: z.string(), callId: z.string(), comment: z.string().min(1) },
    },
    ({ threadId, callId, comment }, extra) => answer(() => decideAndSettle(threadId, { type: "reject", callId, actor, comment }, extra)),
  );
  server.registerTool(
    "answer_question",
    {
      description: "Answer a pending question of a thread and run the thread on.",
      inputSchema: { threadId: z.string(), callId: z.string(), text: z.string().min(1) },
    },
    ({ threadId, callId, text }, extra) => answer(() => decideAndSettle(threadId, { type: "respond", callId, actor, text }, extra)),
  );
}

/** Refuses an action on a call that is not pending, or of an intent the caller may not decide. */
function checkDecision(thread: Thread, callId: string, caller: McpCaller): void {
  const pending = thread.pending.find((item) => item.callId === callId);
  if (!pending) {
    throw new InvalidInputError(
      `Thread ${thread.id} has no pending call ${callId}. Pending: ${thread.pending.map((item) => item.callId).join(", ") || "none"}.`,
    );
  }
  const intent = "intent" in pending ? pending.intent : undefined;
  if (caller.decide !== undefined && !caller.decide.includes("*") && (intent === undefined || !caller.decide.includes(intent))) {
    throw new InvalidInputError(`${caller.name} may not decide "${intent}" calls; it may decide: ${caller.decide.join(", ") || "none"}.`);
  }
}

/**
 * @example
 * const server = await createAgentfoldMcpServer({ runner, store, agents: [calculator], caller: { name: "mcp:local" } });
 * await server.connect(new StdioServerTransport());
 */
export async function createAgentfoldMcpServer(options: AgentfoldMcpServerOptions): Promise<McpServer> {
  const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
  const agents =
    options.agents instanceof Map ? options.agents : new Map((options.agents as readonly Agent[]).map((agent) => [agent.name, agent]));
  const { caller, store } = options;
  const tenant = caller.tenant ?? DEFAULT_TENANT;
  const visible = [...agents.keys()].filter((name) => caller.agents === undefined || caller.agents.includes(name));
  const driver = createThreadDriver({ runner: options.runner, store, agents });
  const server = new McpServer({ name: "agentfold", version });
  /** The thread after asking its pending items through elicitation, when on and supported. */
  const settled = async (thread: Thread, request: RequestContext) =>
    threadSummary(
      options.elicit === false
        ? thread
        : await elicitDecisions(server.server, thread, caller.name, (action) => driver.decide(thread.id, action, request)),
    );
  const loadVisible = async (threadId: string) => {
    const thread = await store.load(threadId);
    // Another tenant's thread is "not found", as over HTTP: its existence is not the caller's to learn.
    if (!thread || !visible.includes(thread.agent) || tenantOf(thread.metadata) !== tenant) throw new ThreadNotFoundError(threadId);
    return thread;
  };
  const context: ToolsContext = {
    server,
    caller,
    agents,
    visible,
    tenant,
    store,
    driver,
    loadVisible,
    async startAndSettle(agent, message, extra) {
      const request = requestContext(extra as Extra);
      if (!visible.includes(agent))
        throw new InvalidInputError(`${caller.name} may not start "${agent}". It may start: ${visible.join(", ") || "none"}.`);
      return settled(await driver.start(agent, message, { actor: caller.name, tenant }, request), request);
    },
    async decideAndSettle(threadId, action, extra) {
      checkDecision(await loadVisible(threadId), action.callId, caller);
      const request = requestContext(extra as Extra);
      return settled(await driver.decide(threadId, action, request), request);
    },
  };
  registerThreadTools(context);
  registerDecisionTools(context);
  return server;
}
