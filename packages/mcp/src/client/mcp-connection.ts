/**
 * One connection to one MCP server, opened on first use and again after it closes.
 *
 * Invariants: at most one handshake at a time (callers share its promise); a closed connection (the
 * server exited, the HTTP session ended) is forgotten at once, so the next call opens a new one; a
 * call in flight when the connection closes fails with an `McpServerError` that says the call may
 * have taken effect; `close()` ends the connection and any later call opens none. A stdio server's
 * process keeps this process alive only while a request is in flight: an idle connection never
 * holds up a CLI command's exit (the child sees its stdin close and exits with it); an HTTP
 * connection is closed when idle, for the same reason. With `opened`, every connection that opens
 * lists the tools before its first request and tells `opened` the list (a failed listing is left to
 * the request to report); a `listTools` that opened the connection returns that list, listing once.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult, Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { describeError } from "agentfold/runtime";
import { McpServerError } from "./mcp-errors.ts";
import { isStdio, type McpServerOptions } from "./server-options.ts";
import { version } from "../version.ts";

/** The last bytes a stdio server wrote to stderr: why it would not start, usually. */
const stderrTailBytes = 2000;

interface Refable {
  ref?(): unknown;
  unref?(): unknown;
}

/** The child process and its pipes, whose handles keep the event loop alive. */
function handlesOf(transport: Transport): Refable[] {
  // The SDK keeps the child private; without it (another transport) there is nothing to unref.
  const child = (transport as { _process?: Refable & { stdin?: Refable; stdout?: Refable; stderr?: Refable } })._process;
  return child ? [child, child.stdin, child.stdout, child.stderr].filter((handle): handle is Refable => handle != null) : [];
}

export interface ConnectionHooks {
  /** The server's tools as listed right after a connection opened. */
  opened?: (tools: McpTool[]) => void;
}

export interface McpConnection {
  readonly server: string;
  listTools(): Promise<McpTool[]>;
  callTool(
    name: string,
    args: Record<string, unknown>,
    options: { signal?: AbortSignal; meta?: Record<string, unknown> },
  ): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function openTransport(options: McpServerOptions, onStderr: (text: string) => void): Promise<Transport> {
  if (isStdio(options)) {
    const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
    const transport = new StdioClientTransport({
      command: options.command,
      args: [...(options.args ?? [])],
      ...(options.env ? { env: { ...options.env } } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stderr: "pipe",
    });
    // Drained so a chatty server never blocks on a full pipe; the tail explains a failed start.
    transport.stderr?.on("data", (chunk: Buffer) => onStderr(chunk.toString("utf8")));
    return transport;
  }
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  return new StreamableHTTPClientTransport(new URL(options.url), {
    ...(options.headers ? { requestInit: { headers: { ...options.headers } } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Every page of tools/list. */
async function listAllTools(client: Client, timeout: number): Promise<McpTool[]> {
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

/** A failed call, saying whether it may have taken effect (the connection closed while it ran). */
function callFailure(server: string, name: string, error: unknown, stderrNote: string): McpServerError {
  const closedMidCall = (error as { code?: unknown }).code === -32000;
  return new McpServerError(
    server,
    closedMidCall
      ? `MCP server "${server}" closed the connection during "${name}" (it may have crashed), so the call may or may not have taken effect.${stderrNote} The next call starts it again.`
      : `MCP server "${server}" failed "${name}": ${describeError(error)}.`,
    { cause: error },
  );
}

/**
 * Opens nothing yet: the first `listTools` or `callTool` connects.
 *
 * @example
 * const connection = createMcpConnection("fs", { command: "npx", args: ["@modelcontextprotocol/server-filesystem", "."] });
 * const tools = await connection.listTools();
 */
export function createMcpConnection(server: string, options: McpServerOptions, hooks: ConnectionHooks = {}): McpConnection {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  let current: Promise<Client> | undefined;
  let closed = false;
  let stderrTail = "";
  let handles: Refable[] = [];
  let inFlight = 0;
  // The list taken when a connection opened, until a request uses the connection: only then is it
  // as fresh as a new listing (a call may change what the server lists).
  const listedAtOpen = new WeakMap<Client, McpTool[]>();
  /**
   * An HTTP connection keeps a server-sent-events stream open, which no handle lets us unreference:
   * it is closed once idle and opened again by the next request (a handshake per burst of calls).
   */
  function closeIdle(): void {
    const open = current;
    current = undefined;
    if (open) open.then((connected) => connected.close()).catch(() => {});
  }
  /** Runs a request with the connection's handles referenced, so the process waits for its answer. */
  async function holding<T>(request: () => Promise<T>): Promise<T> {
    if (inFlight++ === 0) for (const handle of handles) handle.ref?.();
    try {
      return await request();
    } finally {
      if (--inFlight === 0) {
        for (const handle of handles) handle.unref?.();
        if (!isStdio(options)) closeIdle();
      }
    }
  }
  const where = isStdio(options) ? `${options.command} ${(options.args ?? []).join(" ")}`.trim() : String(options.url);

  const stderrNote = () => (stderrTail.trim() ? ` Its stderr ended with: ${stderrTail.trim().slice(-500)}` : "");

  async function connect(onClose: () => void): Promise<Client> {
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const client = new Client({ name: "agentfold", version });
    stderrTail = "";
    const transport = await openTransport(options, (text) => {
      stderrTail = (stderrTail + text).slice(-stderrTailBytes);
    });
    client.onclose = onClose;
    try {
      await client.connect(transport, { timeout: connectTimeoutMs });
      handles = handlesOf(transport);
      if (inFlight === 0) for (const handle of handles) handle.unref?.();
    } catch (error) {
      await client.close().catch(() => {});
      throw new McpServerError(
        server,
        (error as { code?: unknown }).code === -32001
          ? `MCP server "${server}" (${where}) did not complete the handshake within ${connectTimeoutMs} ms.${stderrNote()} Check that it is an MCP server and that it starts (run the command by hand), or raise connectTimeoutMs.`
          : `MCP server "${server}" (${where}) failed the handshake: ${describeError(error)}.${stderrNote()} Check the command or URL (and headers) and that it speaks MCP.`,
        { cause: error },
      );
    }
    if (hooks.opened) {
      const tools = await listAllTools(client, connectTimeoutMs).catch(() => undefined);
      if (tools) {
        listedAtOpen.set(client, tools);
        hooks.opened(tools);
      }
    }
    return client;
  }

  function client(): Promise<Client> {
    if (closed) return Promise.reject(new McpServerError(server, `MCP server "${server}" was closed (mcpTools' close() was called).`));
    if (!current) {
      // Forgotten when it fails or closes, unless a newer connection has replaced it already.
      const forget = () => {
        if (current === attempt) current = undefined;
      };
      const attempt = connect(forget);
      attempt.catch(forget);
      current = attempt;
    }
    return current;
  }

  return {
    server,
    listTools: () =>
      holding(async () => {
        const connected = await client();
        const atOpen = listedAtOpen.get(connected);
        listedAtOpen.delete(connected);
        if (atOpen) return atOpen;
        try {
          return await listAllTools(connected, connectTimeoutMs);
        } catch (error) {
          throw new McpServerError(
            server,
            `MCP server "${server}" (${where}) could not list its tools: ${describeError(error)}. A server must answer tools/list with { tools: [{ name, inputSchema: { type: "object", ... } }] }.`,
            { cause: error },
          );
        }
      }),
    callTool: (name, args, { signal, meta }) =>
      holding(async () => {
        const connected = await client();
        listedAtOpen.delete(connected);
        try {
          return (await connected.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) }, undefined, {
            ...(signal ? { signal } : {}),
            ...(options.callTimeoutMs ? { timeout: options.callTimeoutMs } : {}),
          })) as CallToolResult;
        } catch (error) {
          if (signal?.aborted) throw error;
          throw callFailure(server, name, error, stderrNote());
        }
      }),
    async close() {
      closed = true;
      const open = current;
      current = undefined;
      // Held while the child exits, or the process could end with this await unsettled.
      if (open) await holding(() => open.then((connected) => connected.close())).catch(() => {});
    },
  };
}
