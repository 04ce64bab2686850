/**
 * `mcpTools`: the tools of one MCP server as agentfold tools. Listing them needs the server, so
 * this connects up front (the model must be shown each tool's schema before its first decision)
 * unless `toolsCache` names a file holding the list (tools-cache.ts);
 * calls reuse the connection while it is open and open a new one after it closed (see
 * mcp-connection.ts for when that is).
 *
 * The set is a tool source (core's tool-sources.ts): each thread records the list it was offered
 * and keeps offering it. The list the set gives a new turn is the one it holds — listed when the
 * module loaded or read from `toolsCache`, and listed again when a call finds a tool gone — so
 * recording a thread's list never starts the server.
 */
import type { Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { ConfigurationError, type AnyTool, type ListedTool, type ToolSource } from "agentfold";
import { canonicalJson } from "agentfold/runtime";
import { createMcpConnection, type McpConnection } from "./mcp-connection.ts";
import { McpServerError } from "./mcp-errors.ts";
import { checkServerOptions, type McpServerOptions } from "./server-options.ts";
import { toolFromMcp } from "./tool-from-mcp.ts";
import { readToolsCache, writeToolsCache } from "./tools-cache.ts";

/** The tools of one MCP server, and the connection they share. */
export interface McpToolSet extends ToolSource, AsyncDisposable {
  /** The server's name in errors and descriptions, and the `source` of its `tools_listed` events. */
  readonly server: string;
  /** One agentfold tool per MCP tool, in the server's order: pass them to `defineAgent({ tools })`. */
  readonly tools: AnyTool[];
  /** Ends the connection (a stdio server's process exits); later calls fail with an error event. */
  close(): Promise<void>;
}

function checkNames(server: string, kind: string, given: object | undefined, listed: ReadonlySet<string>): void {
  const unknown = Object.keys(given ?? {}).filter((name) => !listed.has(name));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `mcpTools (${server}): ${kind} names tools the server does not list: ${unknown.join(", ")}. It lists: ${[...listed].join(", ") || "none"}.`,
    );
  }
}

/** What a thread records of an MCP tool: what the model is shown and the tool is built from. */
function listedTool(tool: McpTool | ListedTool): ListedTool {
  return {
    name: tool.name,
    ...(tool.title === undefined ? {} : { title: tool.title }),
    ...(tool.description === undefined ? {} : { description: tool.description }),
    inputSchema: tool.inputSchema as ListedTool["inputSchema"],
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations as NonNullable<ListedTool["annotations"]> }),
  };
}

/** The agentfold tools of a list, with the options' choices; two tools with one intent are an error. */
function toolsOf(
  source: ToolSource,
  connection: McpConnection,
  listed: readonly ListedTool[],
  options: McpServerOptions,
  relisted: (tools: McpTool[]) => void,
): AnyTool[] {
  const chosen = options.include ? listed.filter((tool) => options.include!.includes(tool.name)) : listed;
  const tools = chosen.map((tool) =>
    // A copy: a recorded list is frozen, and the schema validator annotates the schema it is given.
    toolFromMcp(connection, structuredClone(tool) as McpTool, {
      approval: options.approval?.[tool.name],
      idempotent: options.idempotent?.[tool.name],
      prefix: options.prefix,
      source,
      relisted,
    }),
  );
  const seen = new Map<string, string>();
  for (const [index, tool] of tools.entries()) {
    const other = seen.get(tool.intent);
    if (other !== undefined) {
      throw new ConfigurationError(
        `mcpTools (${connection.server}): tools "${other}" and "${chosen[index]!.name}" both become intent "${tool.intent}". Leave one out with include: [...].`,
      );
    }
    seen.set(tool.intent, chosen[index]!.name);
  }
  return tools;
}

/**
 * Connects to an MCP server, lists its tools and returns them as agentfold tools (with
 * `toolsCache`, reads the list from that file when it exists and connects on the first call). A tool needs
 * approval unless the server annotates it `readOnlyHint: true` or `approval` says otherwise.
 * Each thread of an agent with these tools records the list (a `tools_listed` event) and keeps
 * offering it, even in another process that loaded a newer list.
 *
 * @example
 * const files = await mcpTools({
 *   command: "npx",
 *   args: ["-y", "@modelcontextprotocol/server-filesystem", "./notes"],
 *   approval: { write_file: "required", edit_file: "required" },
 * });
 * const agent = defineAgent({ name: "notes", tools: [...files.tools, doneForNow()] });
 */
export async function mcpTools(options: McpServerOptions): Promise<McpToolSet> {
  const server = checkServerOptions(options);
  const connection = createMcpConnection(server, options);
  try {
    // With a cache file, defining the tools starts nothing: the first call opens the connection.
    const cached = options.toolsCache === undefined ? undefined : readToolsCache(options.toolsCache, server);
    const listed = cached ?? (await connection.listTools());
    if (options.toolsCache !== undefined && !cached) writeToolsCache(options.toolsCache, server, listed);
    const names = new Set(listed.map((tool) => tool.name));
    checkNames(server, "approval", options.approval, names);
    checkNames(server, "idempotent", options.idempotent, names);
    checkNames(server, "include", Object.fromEntries((options.include ?? []).map((name) => [name, true])), names);
    // What a new turn of a thread records: the list the set holds (see the module's comment).
    let current = listed.map(listedTool);
    // Threads in one process share a few lists; their tools are built once per list.
    const built = new Map<string, AnyTool[]>();
    const toolsFor = (list: readonly ListedTool[]): AnyTool[] => {
      const key = canonicalJson(list);
      let tools = built.get(key);
      if (!tools) {
        tools = toolsOf(set, connection, list, options, (relisted) => {
          current = relisted.map(listedTool);
        });
        if (built.size >= 16) built.delete(built.keys().next().value!);
        built.set(key, tools);
      }
      return tools;
    };
    const set: McpToolSet = {
      name: server,
      server,
      get tools() {
        return tools;
      },
      // A copy: the thread freezes what it records.
      list: async () => structuredClone(current),
      toolsFor,
      close: connection.close,
      [Symbol.asyncDispose]: connection.close,
    };
    const tools = toolsFor(current);
    return set;
  } catch (error) {
    await connection.close();
    // At definition time, a server that cannot be reached is the program's to fix.
    if (error instanceof McpServerError) throw new ConfigurationError(error.message, { cause: error });
    throw error;
  }
}
