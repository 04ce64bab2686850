/**
 * agentfold's MCP server over stdio: one client (the process that started this one), one caller.
 * stdout carries only MCP messages, so nothing else may print there.
 */
import type { Agent, ThreadStore } from "agentfold";
import type { Runner } from "@agentfold/server";
import { createAgentfoldMcpServer } from "./agentfold-mcp-server.ts";

/**
 * Serves until the client closes stdin; resolves then.
 *
 * @example
 * await serveMcpOverStdio({ runner, store, agents, actor: "mcp:dana" });
 */
export async function serveMcpOverStdio(options: {
  runner: Runner;
  store: ThreadStore;
  agents: readonly Agent[] | ReadonlyMap<string, Agent>;
  /** Recorded on the messages and decisions this client makes. */
  actor: string;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}): Promise<void> {
  const { StdioServerTransport } = await import("@modelcontextprotocol/sdk/server/stdio.js");
  const server = await createAgentfoldMcpServer({ ...options, caller: { name: options.actor } });
  const transport = new StdioServerTransport(
    (options.stdin ?? process.stdin) as import("node:stream").Readable,
    (options.stdout ?? process.stdout) as import("node:stream").Writable,
  );
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    (options.stdin ?? process.stdin).once("end", () => void server.close());
  });
  await server.connect(transport);
  await closed;
}
