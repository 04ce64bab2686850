/**
 * Finding agents in a user's module: `path/to/agent.ts` or `path/to/agent.ts#name`.
 */
import type { ServerExtension } from "@agentfold/server";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Agent } from "agentfold";
import { CliError } from "./exit-codes.ts";
import { describeLocation, syntaxErrorLocation } from "./module-error.ts";
// Through getBuiltinModule, not `import`: importing node:fs as a module builds its namespace, which
// loads fs/promises, readline and streams, a few milliseconds of every short command (see
// docs/decisions/2026-11-30-cold-start.md).
const { existsSync } = process.getBuiltinModule("node:fs");

/** The agents a module exports, and where it was loaded from. */
export interface LoadedModule {
  /** Absolute path of the module file. */
  path: string;
  /** Every agent the module exports, once each. */
  agents: Agent[];
  /** The default export, when it is an agent. */
  defaultAgent: Agent | undefined;
  /** Agents by export name (`default` included). */
  exportNames: Map<string, Agent>;
  /** The module's `extensions` export: server extensions such as channels, mounted by `serve`. */
  extensions: ServerExtension[];
}

/** `module#agent` split in two; the agent part is optional. */
export function parseTarget(target: string): { module: string; agentName: string | undefined } {
  const hash = target.lastIndexOf("#");
  if (hash <= 0) return { module: target, agentName: undefined };
  const agentName = target.slice(hash + 1);
  return { module: target.slice(0, hash), agentName: agentName === "" ? undefined : agentName };
}

/** Whether a value looks like what `defineAgent()` returns. */
export function isAgent(value: unknown): value is Agent {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<Record<keyof Agent, unknown>>;
  return (
    typeof candidate.name === "string" &&
    Array.isArray(candidate.tools) &&
    typeof candidate.run === "function" &&
    typeof candidate.approve === "function" &&
    typeof candidate.render === "function"
  );
}

/** What the running Node can load; `process.features` unless a test injects another Node's. */
export interface LoaderFeatures {
  /** `"strip"` or `"transform"` when Node runs `.ts` files, `false` (or missing before 22.10) when not. */
  readonly typescript?: "strip" | "transform" | false | undefined;
}

/**
 * One line saying how to load the TypeScript file `path` when this Node cannot (Node 22 before
 * 22.18 strips types only with a flag), or `undefined` when it can, or the file is JavaScript.
 *
 * @example
 * typeScriptUnsupported("/app/agent.ts", "agent.ts", { typescript: false }); // "agent.ts is TypeScript, and …"
 */
export function typeScriptUnsupported(path: string, shown: string, features: LoaderFeatures = process.features): string | undefined {
  if (!/\.[cm]?ts$/.test(path) || features.typescript) return undefined;
  return (
    `${shown} is TypeScript, and Node.js ${process.versions.node} does not run .ts files without a flag: ` +
    "use Node.js 22.18 or newer (or 24), or set NODE_OPTIONS=--experimental-strip-types, or compile it to JavaScript (npx tsc) and pass the .js file."
  );
}

/**
 * Imports a module and collects the agents it exports.
 *
 * @example
 * const loaded = await loadAgentModule("examples/calculator/agent.ts", process.cwd());
 * loaded.agents.map((agent) => agent.name); // ["calculator"]
 */
export async function loadAgentModule(modulePath: string, cwd: string, features: LoaderFeatures = process.features): Promise<LoadedModule> {
  const path = isAbsolute(modulePath) ? modulePath : resolve(cwd, modulePath);
  if (!existsSync(path)) {
    throw new CliError(
      `Agent module ${JSON.stringify(modulePath)} does not exist (looked for ${path}). Pass the path of a .ts or .js file that exports an agent made with defineAgent().`,
    );
  }
  const unsupported = typeScriptUnsupported(path, modulePath, features);
  if (unsupported) throw new CliError(unsupported);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const location = syntaxErrorLocation(error, path);
    if (!location) throw new CliError(`Cannot load agent module ${modulePath}: ${reason}`);
    // A syntax error: where it is and the line itself, in the module or in a file it imports.
    const { place, excerpt } = describeLocation(location, cwd);
    const named = location.file === path ? place : `${modulePath}: ${place}`;
    throw new CliError(`Cannot load agent module ${named}: ${reason}${excerpt}`);
  }
  const agents: Agent[] = [];
  const exportNames = new Map<string, Agent>();
  for (const [exportName, value] of Object.entries(namespace)) {
    if (!isAgent(value)) continue;
    exportNames.set(exportName, value);
    if (!agents.includes(value)) agents.push(value);
  }
  const defaultAgent = isAgent(namespace.default) ? namespace.default : undefined;
  if (agents.length === 0) {
    const exported = Object.keys(namespace);
    throw new CliError(
      `Agent module ${modulePath} exports no agent (exports: ${exported.length ? exported.join(", ") : "none"}). ` +
        "Export one made with defineAgent(), e.g. `export default defineAgent({ name, tools })`.",
    );
  }
  // Server extensions (channels, schedules…) the module wants `agentfold serve` to mount.
  const extensions = Array.isArray(namespace.extensions) ? (namespace.extensions as unknown[]) : [];
  for (const [index, extension] of extensions.entries()) {
    const candidate = extension as { name?: unknown; mount?: unknown } | null;
    if (typeof candidate?.name !== "string" || typeof candidate.mount !== "function") {
      throw new CliError(
        `Agent module ${modulePath}: extensions[${index}] is not a server extension (it needs a name and a mount function), e.g. createChannels({ ... }).`,
      );
    }
  }
  return { path, agents, defaultAgent, exportNames, extensions: extensions as ServerExtension[] };
}

/**
 * Picks one agent: by name (`#name`, an agent's `name` or its export name), else the default export,
 * else the only agent exported.
 *
 * @example
 * const agent = pickAgent(loaded, "calculator");
 */
export function pickAgent(loaded: LoadedModule, name: string | undefined, modulePath = loaded.path): Agent {
  const names = loaded.agents.map((agent) => agent.name).join(", ");
  if (name !== undefined) {
    const found = loaded.agents.find((agent) => agent.name === name) ?? loaded.exportNames.get(name);
    if (found) return found;
    throw new CliError(
      `No agent named ${JSON.stringify(name)} in ${modulePath}. Agents found: ${names}. Pick one with ${modulePath}#<name>.`,
    );
  }
  if (loaded.defaultAgent) return loaded.defaultAgent;
  const [only, ...others] = loaded.agents;
  if (only && others.length === 0) return only;
  throw new CliError(`${modulePath} exports several agents (${names}) and no default one. Pick one with ${modulePath}#<name>.`);
}

/**
 * Loads `module[#agent]` and picks the agent.
 *
 * @example
 * const { agent, path } = await loadAgent("examples/calculator/agent.ts#calculator", process.cwd());
 */
export async function loadAgent(target: string, cwd: string): Promise<{ agent: Agent; path: string; loaded: LoadedModule }> {
  const { module, agentName } = parseTarget(target);
  const loaded = await loadAgentModule(module, cwd);
  return { agent: pickAgent(loaded, agentName, module), path: loaded.path, loaded };
}
