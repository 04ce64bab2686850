/**
 * `mcpTools`: the tools of one MCP server as agentfold tools. Listing them needs the server, so
 * this connects up front (the model must be shown each tool's schema before its first decision)
 * unless `toolsCache` names a file holding the list (tools-cache.ts);
 * calls reuse the connection while it is open and open a new one after it closed (see
 * mcp-connection.ts for when that is).
 */
import { ConfigurationError, type AnyTool } from "agentfold";
import { createMcpConnection } from "./mcp-connection.ts";
import { McpServerError } from "./mcp-errors.ts";
import { checkServerOptions, type McpServerOptions } from "./server-options.ts";
import { toolFromMcp } from "./tool-from-mcp.ts";
import { readToolsCache, writeToolsCache } from "./tools-cache.ts";

/** The tools of one MCP server, and the connection they share. */
export interface McpToolSet extends AsyncDisposable {
  /** The server's name in errors and descriptions. */
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

/**
 * Connects to an MCP server, lists its tools and returns them as agentfold tools (with
 * `toolsCache`, reads the list from that file when it exists and connects on the first call). A tool needs
 * approval unless the server annotates it `readOnlyHint: true` or `approval` says otherwise.
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
    const chosen = options.include ? listed.filter((tool) => options.include!.includes(tool.name)) : listed;
    const tools = chosen.map((tool) =>
      toolFromMcp(connection, tool, {
        approval: options.approval?.[tool.name],
        idempotent: options.idempotent?.[tool.name],
        prefix: options.prefix,
      }),
    );
    const seen = new Map<string, string>();
    for (const [index, tool] of tools.entries()) {
      const other = seen.get(tool.intent);
      if (other !== undefined) {
        throw new ConfigurationError(
          `mcpTools (${server}): tools "${other}" and "${chosen[index]!.name}" both become intent "${tool.intent}". Leave one out with include: [...].`,
        );
      }
      seen.set(tool.intent, chosen[index]!.name);
    }
    return { server, tools, close: connection.close, [Symbol.asyncDispose]: connection.close };
  } catch (error) {
    await connection.close();
    // At definition time, a server that cannot be reached is the program's to fix.
    if (error instanceof McpServerError) throw new ConfigurationError(error.message, { cause: error });
    throw error;
  }
}
