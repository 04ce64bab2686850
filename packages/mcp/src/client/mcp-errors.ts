/**
 * Errors of an MCP server at run time. They are not `ConfigurationError`s on purpose: a server that
 * is down or crashes mid-call is a failure of that call, recorded as the call's error event (the
 * agent's error policy applies), never an exception that stops the thread.
 */
import { AgentfoldError } from "agentfold";

/** An MCP server failed a call: it could not be reached, closed mid-call, or sent a malformed result. */
export class McpServerError extends AgentfoldError {
  /** The server's name, as `mcpTools` was given it (or derived from its command or URL). */
  readonly server: string;
  constructor(server: string, message: string, options?: { cause?: unknown }) {
    super("mcp_server", message, options);
    this.server = server;
  }
}

/** A tool answered with `isError: true`: the tool's own failure, which goes back to the model. */
export class McpToolError extends AgentfoldError {
  readonly server: string;
  readonly tool: string;
  constructor(server: string, tool: string, message: string) {
    super("mcp_tool", message);
    this.server = server;
    this.tool = tool;
  }
}
