/**
 * agentfold as an MCP server: tools to start a thread of each agent, read a thread, list what waits
 * for a person, and approve, reject or answer it. Each tool goes through the runner (leases, fences,
 * the same `HumanAction` path as the HTTP API and the CLI), so an MCP client is one more edge.
 *
 * Invariant: who acts is the caller the transport authenticated (an API key over HTTP, the local
 * user over stdio), recorded as the actor of every message and decision; a caller limited to some
 * agents or intents cannot start or decide others.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InvalidInputError, type Agent, type ThreadStore } from "agentfold";
import { describeError, ThreadNotFoundError } from "agentfold/runtime";
import type { Runner } from "@agentfold/server";
import { z } from "zod";
import { createThreadDriver, type RequestContext } from "./thread-driver.ts";
import { asToolResult, threadSummary } from "./thread-summary.ts";
import { version } from "../version.ts";

/** Who calls: recorded as the actor; `agents` and `decide` limit what they may do (undefined: anything). */
export interface McpCaller {
  name: string;
  agents?: readonly string[] | undefined;
  decide?: readonly string[] | undefined;
}

export interface AgentfoldMcpServerOptions {
  runner: Runner;
  store: ThreadStore;
  agents: ReadonlyMap<string, Agent> | readonly Agent[];
  caller: McpCaller;
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
        : (progress, message) => {
            extra
              .sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, message } })
              .catch(() => {});
          },
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

/**
 * @example
 * const server = await createAgentfoldMcpServer({ runner, store, agents: [calculator], caller: { name: "mcp:local" } });
 * await server.connect(new StdioServerTransport());
 */
export async function createAgentfoldMcpServer(options: AgentfoldMcpServerOptions): Promise<McpServer> {
  const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
  const agents =
    options.agents instanceof Map ? options.agents : new Map((options.agents as readonly Agent[]).map((agent) => [agent.name, agent]));
  const { caller } = options;
  const visible = [...agents.keys()].filter((name) => caller.agents === undefined || caller.agents.includes(name));
  const driver = createThreadDriver({ runner: options.runner, store: options.store, agents });
  const server = new McpServer({ name: "agentfold", version });

  const loadVisible = async (threadId: string) => {
    const thread = await options.store.load(threadId);
    if (!thread || !visible.includes(thread.agent)) throw new ThreadNotFoundError(threadId);
    return thread;
  };
  const checkDecide = async (threadId: string, callId: string) => {
    const thread = await loadVisible(threadId);
    const pending = thread.pending.find((item) => item.callId === callId);
    if (!pending) {
      throw new InvalidInputError(
        `Thread ${threadId} has no pending call ${callId}. Pending: ${thread.pending.map((item) => item.callId).join(", ") || "none"}.`,
      );
    }
    const intent = "intent" in pending ? pending.intent : undefined;
    if (caller.decide !== undefined && !caller.decide.includes("*") && (intent === undefined || !caller.decide.includes(intent))) {
      throw new InvalidInputError(`${caller.name} may not decide "${intent}" calls; it may decide: ${caller.decide.join(", ") || "none"}.`);
    }
  };

  server.registerTool(
    "start_thread",
    {
      description: `Start a thread of an agentfold agent with a message and run it until it finishes or waits for a person. Agents: ${visible
        .map((name) => `${name}${agents.get(name)?.description ? ` (${agents.get(name)!.description})` : ""}`)
        .join("; ")}.`,
      inputSchema: { agent: z.enum(visible as [string, ...string[]]), message: z.string().min(1) },
    },
    (args, extra) =>
      answer(async () => threadSummary(await driver.start(args.agent, args.message, caller.name, requestContext(extra as Extra)))),
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
          for (const agent of visible) {
            const page = await options.store.list({ status, agent, limit: 100 });
            waiting.push(...page.threads);
          }
        }
        const threads = await Promise.all(waiting.map(async (summary) => threadSummary(await loadVisible(summary.id))));
        return { threads };
      }),
  );
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
    (args, extra) =>
      answer(async () => {
        await checkDecide(args.threadId, args.callId);
        const action = {
          type: "approve" as const,
          callId: args.callId,
          actor: caller.name,
          ...(args.args ? { args: args.args } : {}),
          ...(args.comment ? { comment: args.comment } : {}),
        };
        return threadSummary(await driver.decide(args.threadId, action, requestContext(extra as Extra)));
      }),
  );
  server.registerTool(
    "reject_call",
    {
      description: "Reject a pending call with a comment the agent's model reads next, and run the thread on.",
      inputSchema: { threadId: z.string(), callId: z.string(), comment: z.string().min(1) },
    },
    (args, extra) =>
      answer(async () => {
        await checkDecide(args.threadId, args.callId);
        const action = { type: "reject" as const, callId: args.callId, actor: caller.name, comment: args.comment };
        return threadSummary(await driver.decide(args.threadId, action, requestContext(extra as Extra)));
      }),
  );
  server.registerTool(
    "answer_question",
    {
      description: "Answer a pending question of a thread and run the thread on.",
      inputSchema: { threadId: z.string(), callId: z.string(), text: z.string().min(1) },
    },
    (args, extra) =>
      answer(async () => {
        await checkDecide(args.threadId, args.callId);
        const action = { type: "respond" as const, callId: args.callId, actor: caller.name, text: args.text };
        return threadSummary(await driver.decide(args.threadId, action, requestContext(extra as Extra)));
      }),
  );
  return server;
}
