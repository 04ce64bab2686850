/**
 * @agentfold/mcp: the Model Context Protocol for agentfold. `mcpTools` turns an MCP server's tools
 * into agentfold tools; `createAgentfoldMcpServer` serves agents' threads to MCP clients, over stdio
 * (`serveMcpOverStdio`) or Streamable HTTP (`mcpExtension`, mounted at /mcp by `agentfold serve --mcp`).
 */

// MCP servers as tool sources
export { mcpTools, type McpToolSet } from "./client/mcp-tools.ts";
export type { McpServerOptions, StdioServerOptions, HttpServerOptions } from "./client/server-options.ts";
export { McpServerError, McpToolError } from "./client/mcp-errors.ts";
export { idempotencyMetaKey } from "./client/tool-from-mcp.ts";

// agentfold as an MCP server
export { createAgentfoldMcpServer, type AgentfoldMcpServerOptions, type McpCaller } from "./server/agentfold-mcp-server.ts";
export { serveMcpOverStdio } from "./server/serve-stdio.ts";
export { mcpExtension, type McpExtensionOptions } from "./server/mcp-extension.ts";
