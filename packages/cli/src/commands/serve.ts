/**
 * `agentfold serve`: the HTTP API of DESIGN.md for the agents of a module, on a store and a model.
 */
import { isIP } from "node:net";
import type { Command } from "commander";
import { importOptional } from "agentfold/runtime";
import { CliError, ExitCode } from "../exit-codes.ts";
import { loadAgentModule, parseTarget, pickAgent } from "../load-agents.ts";
import { openStore, redact, storeSpec } from "../open-store.ts";
import type { CommandContext } from "./context.ts";
import { absoluteModelSpec } from "./shared.ts";
import { loadModel, modelSpec } from "../load-model.ts";
import { listenProblem, parseDrainTimeout, parseLeaseTtl, routeLines } from "./serve-options.ts";
import { startTracing } from "../tracing-setup.ts";

interface ServeOptions {
  agents: string;
  db?: string;
  port: string;
  host: string;
  model?: string;
  json?: boolean;
  ui: boolean;
  /** `--no-auth`: serve a non-loopback host without API keys, on purpose. */
  auth: boolean;
  /** `--allowed-host`, repeated: host names served besides loopback names and IP addresses. */
  allowedHost: string[];
  /** `--lease-ttl`: seconds, or milliseconds with `ms`. */
  leaseTtl?: string;
  /** `--drain-timeout`: seconds, or milliseconds with `ms`. */
  drainTimeout: string;
  /** `--launch-model`, repeated: model specs a launch request may name. */
  launchModel: string[];
  /** `--mcp`: agentfold's MCP server at /mcp. */
  mcp?: boolean;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || bare.startsWith("::ffff:127.");
  return false;
}

/**
 * Without API keys anyone who can reach the port can launch agents and approve their calls: that is
 * the default on loopback only. Elsewhere, keys or an explicit `--no-auth`.
 */
function checkAuth(host: string, keys: string | undefined, auth: boolean): void {
  const hasKeys = keys !== undefined && keys.trim() !== "";
  if (!auth && hasKeys) {
    throw new CliError(
      "--no-auth conflicts with AGENTFOLD_API_KEYS, which is set: drop --no-auth to require the keys, or unset AGENTFOLD_API_KEYS.",
    );
  }
  if (hasKeys || !auth || isLoopback(host)) return;
  throw new CliError(
    `Refusing to serve on ${host} without API keys: anyone who can reach it could launch agents and approve their tool calls. ` +
      `Set AGENTFOLD_API_KEYS="name:key" (several: "alice:<key>,ci:<key2>"; e.g. AGENTFOLD_API_KEYS="admin:$(openssl rand -hex 24)") to require "Authorization: Bearer <key>", ` +
      `or pass --no-auth if something in front of the server already authenticates requests.`,
  );
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`--port must be a number from 0 to 65535 (0 picks a free port), got ${JSON.stringify(text)}.`);
  }
  return port;
}

/** Waits for Ctrl-C or SIGTERM (or the signal `main` was given). */
function untilStopped(context: CommandContext): Promise<void> {
  return new Promise((resolve) => {
    context.onInterrupt(resolve, { terminate: true });
  });
}

/** `/mcp`, loaded only with `--mcp`: the MCP SDK is an optional peer. Its keys are the API's keys. */
async function mcpExtension(apiKeys: string | undefined) {
  const mcp = await importOptional(
    "@agentfold/mcp",
    "serve --mcp needs the @agentfold/mcp package: npm i @agentfold/mcp",
    () => import("@agentfold/mcp"),
  );
  return mcp.mcpExtension({ apiKeys });
}

/** Adds `serve` to the program. */
export function registerServeCommand(program: Command, context: CommandContext): void {
  program
    .command("serve")
    .description("Serve the HTTP API (launch, approve, answer, stream threads) for the agents of a module. Stops on Ctrl-C.")
    .requiredOption("--agents <module>", "the module whose exported agents are served (module#name serves one)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("-p, --port <n>", "port; 0 picks a free one (else PORT, else 3000)", context.env.PORT ?? "3000")
    .option("--host <name>", "interface to listen on", "127.0.0.1")
    .option("-m, --model <spec>", "model spec for every agent (else AGENTFOLD_MODEL, else each agent's own, else the default model)")
    .option(
      "--launch-model <spec>",
      'a model spec a launch request may name in "model", besides its agent\'s own (repeat it)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option("--json", "print { url } as JSON once listening")
    .option("--no-ui", "do not serve the web inbox at /")
    .option("--mcp", "also serve the agents to MCP clients at /mcp (Streamable HTTP, behind the API keys; needs @agentfold/mcp)")
    .option("--no-auth", "allow a non-loopback --host without AGENTFOLD_API_KEYS (something in front of the server authenticates)")
    .option(
      "--allowed-host <name>",
      "a host name the server answers besides localhost and IP addresses (repeat it; also AGENTFOLD_ALLOWED_HOSTS=name,name2)",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      "--lease-ttl <seconds|ms>",
      "how long the runner's lease on a thread lasts without renewal: 5 (seconds, the default; a killed server's threads resume within 10 s), 2.5s or 1500ms",
    )
    .option(
      "--drain-timeout <seconds|ms>",
      "on SIGTERM or Ctrl-C, how long running steps get to finish before they are stopped and their threads left to another process",
      "8",
    )
    .addHelpText(
      "after",
      `
Shutdown: on SIGTERM (or Ctrl-C) the server drains: /readyz answers 503, new work is refused with
503 "draining", event streams end, running steps get --drain-timeout to finish, and the rest are
stopped with their leases released so another server goes on with them at once; then it exits 0.

API keys: set AGENTFOLD_API_KEYS="name:key,other:key2" to require bearer tokens. Without keys the
server answers anyone who can reach it, so a --host other than loopback needs keys or --no-auth.
Without keys it also answers only requests addressed to localhost, an IP address or an
--allowed-host name (a web page cannot reach it through DNS rebinding); with keys, --allowed-host
limits the names it answers.

Examples:
  $ agentfold serve --agents examples/calculator/agent.ts
  $ agentfold serve --agents ./agents.ts --db postgres://postgres@127.0.0.1:5432/agents --port 8080 --model openai:gpt-4o-mini
  $ AGENTFOLD_API_KEYS="admin:$(openssl rand -hex 24)" agentfold serve --agents ./agents.ts --host 0.0.0.0
  $ curl -s localhost:3000/v1/threads -d '{"agent":"calculator","message":"divide 3 by 4"}' -H 'content-type: application/json'`,
    )
    .action(async (options: ServeOptions) => {
      const out = context.output(options.json);
      const port = parsePort(options.port);
      const leaseTtlMs = options.leaseTtl === undefined ? undefined : parseLeaseTtl(options.leaseTtl);
      const drainTimeoutMs = parseDrainTimeout(options.drainTimeout);
      const keys = context.env.AGENTFOLD_API_KEYS;
      checkAuth(options.host, keys, options.auth);
      // Loaded only for this command: the HTTP stack is not needed elsewhere.
      const { createLogger, startServer } = await import("@agentfold/server");
      // Log lines on stderr, so stdout keeps the banner (or the --json line) alone; JSON unless a person reads them.
      const logger = await createLogger({
        level: context.env.AGENTFOLD_LOG_LEVEL ?? "info",
        destination: context.stderr,
        pretty: context.stderr.isTTY === true && !options.json,
      });
      const tracing = await startTracing(context.env);
      const { webInbox } = await import("@agentfold/web");
      const { module, agentName } = parseTarget(options.agents);
      const loaded = await loadAgentModule(module, context.cwd);
      const agents = agentName === undefined ? loaded.agents : [pickAgent(loaded, agentName, module)];
      // --model (or AGENTFOLD_MODEL) is for every agent; without it, an agent's own model wins over the default.
      const chosen = modelSpec(options.model, context.env);
      const model = await loadModel(absoluteModelSpec(chosen, context.cwd), context.env);
      const resolveModel = (spec: string) => loadModel(absoluteModelSpec(spec, context.cwd), context.env);
      const { spec } = storeSpec(options.db, context.env);
      const store = await openStore(spec, context.cwd);
      let running: Awaited<ReturnType<typeof startServer>>;
      try {
        // The module's own extensions (channels, schedules) and the web inbox at `/`.
        const extensions = [
          ...loaded.extensions,
          ...(options.mcp ? [await mcpExtension(options.auth ? keys : undefined)] : []),
          ...(options.ui ? [webInbox()] : []),
        ];
        const allowedHosts = [...options.allowedHost, ...(context.env.AGENTFOLD_ALLOWED_HOSTS ?? "").split(",")];
        running = await startServer({
          store,
          agents,
          model,
          resolveModel,
          modelOverridesAgents: chosen !== undefined,
          launchModels: options.launchModel,
          port,
          hostname: options.host,
          extensions,
          apiKeys: options.auth && keys ? keys : false,
          allowedHosts,
          logger,
          drainTimeoutMs,
          // Several processes on one Postgres: model pieces reach streams on any of them, and timers
          // and hand-overs go through the work queue.
          ...(/^postgres(ql)?:\/\//i.test(spec) ? { deltaRelay: spec, workQueue: spec } : {}),
          ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
        });
      } catch (error) {
        await store.close();
        await tracing?.shutdown();
        throw listenProblem(error, options.host, port) ?? error;
      }
      const url = running.url;
      const auth = options.auth && keys?.trim() ? "API keys" : "none";
      const routes = running.routeGroups.map(({ name, paths }) => ({ name, paths }));
      if (out.json)
        out.data({ url, agents: agents.map((agent) => agent.name), db: redact(spec), auth, leaseTtlMs: running.runner.leaseTtlMs, routes });
      else {
        out.line(
          `${out.paint("green", "●")} agentfold API on ${out.paint("bold", url)}  (agents: ${agents.map((agent) => agent.name).join(", ")}; store: ${redact(spec)}; auth: ${auth}; lease: ${running.runner.leaseTtlMs / 1000} s)`,
        );
        // Everything mounted, the module's extensions included, so a route is never a surprise.
        for (const [index, line] of routeLines(routes).entries()) out.line(`  ${index === 0 ? "routes:" : "       "} ${line}`);
        out.line(out.paint("gray", `  try: curl -s ${url}/healthz   ·   OpenAPI: ${url}/openapi.json   ·   Ctrl-C stops`));
      }
      await untilStopped(context);
      await running.close();
      await store.close();
      // After the runner stopped: its last spans are flushed before the process exits.
      await tracing?.shutdown();
      context.exitCode = ExitCode.ok;
    });
}
