/**
 * `mcpTools`: the tools of one MCP server as agentfold tools. The model must be shown each tool's
 * schema before its first decision, so the list is needed when the agent is defined: it comes from
 * the tools cache (tools-cache.ts; on by default), and only a load without one lists the server.
 * Calls reuse the connection while it is open and open a new one after it closed (see
 * mcp-connection.ts for when that is).
 *
 * The set is a tool source (core's tool-sources.ts): each thread records the list it was offered
 * and keeps offering it. The list the set gives a new turn is the one it holds — read from the
 * cache or listed at load, then replaced by every fresh listing: each connection that opens lists
 * the tools (and rewrites the cache file when they changed), and so does a call that finds a tool
 * gone. So recording a thread's list never starts the server, a list change reaches the next
 * process through the file, and no thread's tools change within a turn.
 */
import type { Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { ConfigurationError, type AnyTool, type ListedTool, type ToolSource } from "agentfold";
import { canonicalJson } from "agentfold/runtime";
import { createMcpConnection, type McpConnection } from "./mcp-connection.ts";
import { McpServerError } from "./mcp-errors.ts";
import { checkServerOptions, type McpServerOptions } from "./server-options.ts";
import { toolFromMcp } from "./tool-from-mcp.ts";
import { readToolsCache, toolsCacheKey, toolsCachePath, writeToolsCache } from "./tools-cache.ts";

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
  relisted: (tools: readonly McpTool[]) => void,
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
 * The tools of an MCP server as agentfold tools. The list comes from the tools cache when it has one
 * for this server (by default a file under `./.agentfold/mcp-tools/`, see tools-cache.ts), and then
 * nothing starts until the first call; otherwise the server is listed now and the file written. A
 * tool needs approval unless the server annotates it `readOnlyHint: true` or `approval` says otherwise.
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
  const cachePath = toolsCachePath(server, options);
  const cacheKey = toolsCacheKey(options);
  // What a new turn of a thread records: the list the set holds (see the module's comment).
  let current: ListedTool[] = [];
  // The list the cache file holds, as far as this process knows: written again only when it differs.
  let cachedJson: string | undefined;
  /** A fresh listing (a connection opened, or a failed call listed the server): the live list, and the cache's. */
  const saw = (tools: readonly (McpTool | ListedTool)[]) => {
    current = tools.map(listedTool);
    if (cachePath === undefined) return;
    const json = canonicalJson(current);
    if (json === cachedJson) return;
    cachedJson = json;
    writeToolsCache(cachePath, server, cacheKey, current);
  };
  const connection = createMcpConnection(server, options, { opened: saw });
  try {
    // Threads in one process share a few lists; their tools are built once per list.
    const built = new Map<string, AnyTool[]>();
    const toolsFor = (list: readonly ListedTool[]): AnyTool[] => {
      const key = canonicalJson(list);
      let tools = built.get(key);
      if (!tools) {
        tools = toolsOf(set, connection, list, options, saw);
        if (built.size >= 16) built.delete(built.keys().next().value!);
        built.set(key, tools);
      }
      return tools;
    };
    const set: McpToolSet = {
      name: server,
      server,
      get tools() {
        return tools!;
      },
      // A copy: the thread freezes what it records.
      list: async () => structuredClone(current),
      toolsFor,
      close: connection.close,
      [Symbol.asyncDispose]: connection.close,
    };
    /** The set's tools for a list, checked against the options (a name they give that the list lacks is an error). */
    const toolsOfList = (list: readonly ListedTool[]): AnyTool[] => {
      const names = new Set(list.map((tool) => tool.name));
      checkNames(server, "approval", options.approval, names);
      checkNames(server, "idempotent", options.idempotent, names);
      checkNames(server, "include", Object.fromEntries((options.include ?? []).map((name) => [name, true])), names);
      current = list.map(listedTool);
      return toolsFor(current);
    };
    let tools: AnyTool[] | undefined;
    const cached = cachePath === undefined ? undefined : readToolsCache(cachePath, server, cacheKey);
    if (cached) {
      cachedJson = canonicalJson(cached.map(listedTool));
      try {
        tools = toolsOfList(cached);
      } catch (error) {
        // The options name a tool the file lacks, or its list does not build: the file may be
        // stale, so the server's own list decides (and an error then is the server's or the options').
        if (!(error instanceof ConfigurationError)) throw error;
        built.clear();
      }
    }
    if (!tools) {
      const listed = await connection.listTools();
      saw(listed);
      tools = toolsOfList(listed.map(listedTool));
    }
    return set;
  } catch (error) {
    await connection.close();
    // At definition time, a server that cannot be reached is the program's to fix.
    if (error instanceof McpServerError) throw new ConfigurationError(error.message, { cause: error });
    throw error;
  }
}
