/**
 * An MCP tool as an agentfold tool: its `inputSchema` is the argument schema (checked like any
 * tool's), its annotations give the defaults for approval and idempotency, and `run` calls it on the
 * server with the call's idempotency key in `_meta`.
 *
 * Annotations are hints from the server: a server you do not trust can call a destructive tool
 * read-only, so `approval` and `idempotent` in `mcpTools` always win over them.
 */
import type { Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { ConfigurationError, defineTool, type AnyTool, type ApprovalPolicy, type ToolSource } from "agentfold";
import type { McpConnection } from "./mcp-connection.ts";
import { McpServerError } from "./mcp-errors.ts";
import { toolResult } from "./mcp-result.ts";

/** The key under which a call's idempotency key travels in `_meta`, for servers that dedupe. */
export const idempotencyMetaKey = "io.agentfold/idempotency-key";

export interface ToolChoices {
  approval?: ApprovalPolicy<Record<string, unknown>> | undefined;
  idempotent?: boolean | undefined;
  prefix?: string | undefined;
  /** The set the tool belongs to: threads record its list (see core's tool-sources.ts). */
  source?: ToolSource | undefined;
  /** Told the server's list when a failed call listed it again. */
  relisted?: ((tools: McpTool[]) => void) | undefined;
}

/** An intent for an MCP name: intents allow letters, digits, "_" and "-" only, 64 at most. */
export function intentFor(name: string, prefix = ""): string {
  return `${prefix}${name}`
    .replace(/[^a-zA-Z0-9_-]/g, "_")
    .replace(/^([^a-zA-Z_])/, "_$1")
    .slice(0, 64);
}

/**
 * After a failed call: an error saying the tool is gone when the server no longer lists it (the
 * thread offers the list it recorded, and the set the list of when its module loaded or its
 * toolsCache file), else `undefined`. The list is handed to `relisted`, so a new turn records it.
 */
async function vanished(connection: McpConnection, name: string, relisted: ToolChoices["relisted"]): Promise<McpServerError | undefined> {
  const listed = await connection.listTools().catch(() => undefined);
  if (!listed || listed.some((tool) => tool.name === name)) return undefined;
  relisted?.(listed);
  return new McpServerError(
    connection.server,
    `MCP server "${connection.server}" no longer lists the tool "${name}" (it lists: ${listed.map((tool) => tool.name).join(", ") || "none"}). This thread was offered an earlier list (recorded in its tools_listed event): choose another tool; the server's current tools are offered from the next user message on.`,
  );
}

/**
 * @example
 * const tool = toolFromMcp(connection, { name: "read_text_file", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } }, {});
 * tool.approval; // "never"
 */
export function toolFromMcp(connection: McpConnection, mcp: McpTool, choices: ToolChoices): AnyTool {
  const { server } = connection;
  const schema = mcp.inputSchema as unknown;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema) || (schema as { type?: unknown }).type !== "object") {
    throw new ConfigurationError(
      `MCP server "${server}": tool "${mcp.name}" has an inputSchema that is not a JSON Schema object (${JSON.stringify(schema)}); the server must give { "type": "object", ... }. Leave the tool out with include: [...] until the server is fixed.`,
    );
  }
  const readOnly = mcp.annotations?.readOnlyHint === true;
  const description = [
    mcp.description ?? mcp.annotations?.title ?? mcp.title ?? mcp.name,
    `(MCP server "${server}", tool "${mcp.name}")`,
  ].join(" ");
  try {
    return defineTool({
      intent: intentFor(mcp.name, choices.prefix),
      description,
      args: schema as Record<string, unknown>,
      approval: choices.approval ?? (readOnly ? "never" : "required"),
      // Re-running after a crash is safe only when a second call changes nothing more.
      idempotent: choices.idempotent ?? (readOnly || mcp.annotations?.idempotentHint === true),
      ...(choices.source ? { source: choices.source } : {}),
      run: async (args, context) => {
        try {
          return toolResult(
            server,
            mcp.name,
            await connection.callTool(mcp.name, args, { signal: context.signal, meta: { [idempotencyMetaKey]: context.idempotencyKey } }),
          );
        } catch (error) {
          if (context.signal.aborted) throw error;
          throw (await vanished(connection, mcp.name, choices.relisted)) ?? error;
        }
      },
    });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new ConfigurationError(`MCP server "${server}", tool "${mcp.name}": ${error.message}`, { cause: error });
    }
    throw error;
  }
}
