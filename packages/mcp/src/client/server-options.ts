/**
 * What `mcpTools` is told about a server: a command to start (stdio) or a URL (Streamable HTTP),
 * checked before anything starts, so a typo is a clear error rather than a hung handshake.
 */
import { ConfigurationError, type ApprovalPolicy } from "agentfold";

interface CommonOptions {
  /** Names the server in errors and in the intents' descriptions. Default: the command's or the URL's host name. */
  name?: string;
  /**
   * Per tool (by its MCP name): "required", "never" or a predicate. A tool not listed needs approval
   * unless the server annotates it `readOnlyHint: true`.
   */
  approval?: Readonly<Record<string, ApprovalPolicy<Record<string, unknown>>>>;
  /**
   * Per tool: may a call be re-run after a crash left it started without a result? Default: what the
   * server annotates (`readOnlyHint` or `idempotentHint`); otherwise a person is asked what happened.
   */
  idempotent?: Readonly<Record<string, boolean>>;
  /** Only these tools (MCP names). Default: all the server lists. */
  include?: readonly string[];
  /** Put before each intent, e.g. "fs_" gives "fs_read_text_file". Default: none. */
  prefix?: string;
  /** How long the handshake and the tool list may take. Default 10 s. */
  connectTimeoutMs?: number;
  /** How long one call may take before it is an error. Default 60 s, the SDK's own. */
  callTimeoutMs?: number;
  /**
   * Where the server's tool list is kept, so loading the agent starts nothing: by default a file per
   * server under `./.agentfold/mcp-tools/` (relative to the working directory), or this file. The
   * first load lists the server and writes it; later loads read it and the server starts on the
   * first call, which lists the tools again and rewrites the file when they changed.
   * `false`: no file; the server is listed each time `mcpTools` is called.
   */
  toolsCache?: string | false;
}

/** A server started as a child process, speaking MCP over its stdin and stdout. */
export interface StdioServerOptions extends CommonOptions {
  command: string;
  args?: readonly string[];
  /** Added to a minimal environment (PATH, HOME…): the server does not see the agent's secrets unless given them here. */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
}

/** A server reached over Streamable HTTP. */
export interface HttpServerOptions extends CommonOptions {
  url: string | URL;
  /** Sent with every request, e.g. `{ authorization: "Bearer …" }`. */
  headers?: Readonly<Record<string, string>>;
  /** For tests and proxies. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

export type McpServerOptions = StdioServerOptions | HttpServerOptions;

export function isStdio(options: McpServerOptions): options is StdioServerOptions {
  return "command" in options;
}

const positive = (value: number | undefined) => value === undefined || (Number.isFinite(value) && value > 0);

/** Checks the options and returns the server's name; throws a `ConfigurationError` naming the field to fix. */
export function checkServerOptions(options: McpServerOptions): string {
  if (typeof options !== "object" || options === null) {
    throw new ConfigurationError(
      "mcpTools needs { command, args?, env? } for a stdio server or { url, headers? } for a Streamable HTTP server.",
    );
  }
  const hasCommand = "command" in options && options.command !== undefined;
  const hasUrl = "url" in options && options.url !== undefined;
  if (hasCommand === hasUrl) {
    throw new ConfigurationError(
      `mcpTools needs exactly one of command (a stdio server) or url (a Streamable HTTP server); got ${hasCommand ? "both" : "neither"}.`,
    );
  }
  let name: string;
  if (isStdio(options)) {
    if (typeof options.command !== "string" || !options.command.trim())
      throw new ConfigurationError('mcpTools: command must be a non-empty string, e.g. "npx".');
    if (options.args !== undefined && !(Array.isArray(options.args) && options.args.every((arg) => typeof arg === "string"))) {
      throw new ConfigurationError(`mcpTools (${options.command}): args must be an array of strings.`);
    }
    name = options.name ?? options.command.split(/[\\/]/).pop()!;
  } else {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ConfigurationError(
        `mcpTools: url ${JSON.stringify(String(options.url))} is not a URL; give the server's MCP endpoint, e.g. http://localhost:3000/mcp.`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConfigurationError(`mcpTools: url ${url.href} must be http: or https: (Streamable HTTP).`);
    }
    name = options.name ?? url.host;
  }
  if (!positive(options.connectTimeoutMs) || !positive(options.callTimeoutMs)) {
    throw new ConfigurationError(`mcpTools (${name}): connectTimeoutMs and callTimeoutMs must be positive numbers of milliseconds.`);
  }
  if (
    options.toolsCache !== undefined &&
    options.toolsCache !== false &&
    (typeof options.toolsCache !== "string" || !options.toolsCache.trim())
  ) {
    throw new ConfigurationError(
      `mcpTools (${name}): toolsCache must be a file path, e.g. ".agentfold/${name}-tools.json", or false for no cache (default: a file under ./.agentfold/mcp-tools/).`,
    );
  }
  if (options.prefix !== undefined && !/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(options.prefix)) {
    throw new ConfigurationError(`mcpTools (${name}): prefix must start with a letter or "_" and hold only letters, digits, "_" or "-".`);
  }
  return name;
}
