/**
 * The tool list of an MCP server kept in a file, so an agent module can define its tools without
 * starting the server: `mcpTools({ toolsCache })` reads the file when it exists and lists the
 * server (then writes the file) only when it does not. The server starts on the first call.
 *
 * Invariant: the file holds what the server listed, unfiltered (`include`, `approval`, `prefix` are
 * applied after reading), so changing those options never needs a fresh listing. A stale file is
 * safe: a call to a tool the server dropped fails with an error naming the tools it lists now;
 * delete the file to pick up new tools.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { ConfigurationError } from "agentfold";

const format = "agentfold.mcp-tools/1";

/** The cached list, or `undefined` when the file does not exist. */
export function readToolsCache(path: string, server: string): McpTool[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw new ConfigurationError(`mcpTools (${server}): cannot read toolsCache ${path}: ${(error as Error).message}.`);
  }
  let parsed: { format?: unknown; tools?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  const tools = parsed?.tools;
  if (
    parsed?.format !== format ||
    !Array.isArray(tools) ||
    !tools.every((tool) => typeof tool?.name === "string" && typeof tool?.inputSchema === "object")
  ) {
    throw new ConfigurationError(
      `mcpTools (${server}): toolsCache ${path} is not a tool list written by mcpTools (${format}). Delete it and it is written again from the server's list.`,
    );
  }
  return tools as McpTool[];
}

export function writeToolsCache(path: string, server: string, tools: readonly McpTool[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ format, server, tools }, null, 2)}\n`);
}
