/**
 * `/mcp` on the HTTP server: agentfold's MCP server over Streamable HTTP, stateless (a new MCP server
 * per request, as the SDK's stateless mode expects), so any server process can answer any request.
 *
 * Invariant: behind the same API keys as `/v1`. Extension routes run before the server's own auth,
 * so this route checks `Authorization: Bearer <key>` itself with the server's key set, and the key's
 * caller (its name, agents and intents) is who acts.
 */
import type { ApiKeys, ServerExtension } from "@agentfold/server";
import type { McpCaller } from "./agentfold-mcp-server.ts";
import { createAgentfoldMcpServer } from "./agentfold-mcp-server.ts";

export interface McpExtensionOptions {
  /** The server's API keys (`AGENTFOLD_API_KEYS` syntax, or parsed). Without keys every request acts as `anonymousActor`. */
  apiKeys?: string | ApiKeys | undefined;
  /** Who acts without keys. Default "mcp:anonymous". */
  anonymousActor?: string;
  /** Default "/mcp". */
  path?: string;
}

function unauthorized(): Response {
  return new Response(
    JSON.stringify({
      jsonrpc: "2.0",
      error: { code: -32001, message: "Send Authorization: Bearer <API key>; the key is one of AGENTFOLD_API_KEYS." },
      id: null,
    }),
    {
      status: 401,
      headers: { "content-type": "application/json", "www-authenticate": "Bearer" },
    },
  );
}

/**
 * @example
 * startServer({ store, agents, model, extensions: [mcpExtension({ apiKeys: process.env.AGENTFOLD_API_KEYS })] });
 */
export function mcpExtension(options: McpExtensionOptions = {}): ServerExtension {
  // Parsed on the first request: importing @agentfold/mcp for mcpTools must not load the HTTP server.
  let keysLoaded: Promise<ApiKeys | undefined> | undefined;
  const keysOf = () =>
    (keysLoaded ??=
      typeof options.apiKeys === "string"
        ? import("@agentfold/server").then(({ parseApiKeys }) => parseApiKeys(options.apiKeys as string))
        : Promise.resolve(options.apiKeys));
  const path = options.path ?? "/mcp";
  return {
    name: "mcp",
    mount({ app, runner, store, agents }) {
      app.all(path, async (c) => {
        let caller: McpCaller = { name: options.anonymousActor ?? "mcp:anonymous" };
        const keys = await keysOf();
        if (keys && keys.size > 0) {
          const token = /^Bearer (.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
          const found = token === undefined ? undefined : keys.callerOf(token);
          if (!found) return unauthorized();
          caller = found;
        }
        const { WebStandardStreamableHTTPServerTransport } = await import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js");
        const server = await createAgentfoldMcpServer({ runner, store, agents, caller, elicit: false });
        const transport = new WebStandardStreamableHTTPServerTransport({});
        await server.connect(transport);
        return transport.handleRequest(c.req.raw);
      });
    },
  };
}
