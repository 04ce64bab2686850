/**
 * Where the CLI finds agent modules when a command names none: `AGENTFOLD_AGENTS` (one module, or
 * several separated by commas), else `agentfold.config.ts` (or `.mjs`, `.js`) in the working
 * directory or the nearest directory above it, whose default export names them:
 *
 * ```ts
 * export default { agents: "./agents.ts" }; // or ["./support.ts", "./billing.ts"]
 * ```
 *
 * Paths in the config file are relative to the file; paths in the variable to the working directory.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError } from "./exit-codes.ts";
// Through getBuiltinModule, not `import`: see load-agents.ts (a short command's start-up).
const { existsSync } = process.getBuiltinModule("node:fs");

/** The names a config file may have, in the order they are looked for in each directory. */
export const configFileNames = ["agentfold.config.ts", "agentfold.config.mjs", "agentfold.config.js"] as const;

/** The agent modules configured for `cwd`, and where the setting came from (for messages). */
export interface ConfiguredAgents {
  /** Absolute module paths, each optionally with `#agent-name`. */
  modules: string[];
  /** `AGENTFOLD_AGENTS` or the config file's path. */
  source: string;
}

/** The nearest config file at or above `cwd`, or `undefined`. */
export function findConfigFile(cwd: string): string | undefined {
  for (let directory = resolve(cwd); ; directory = dirname(directory)) {
    for (const name of configFileNames) {
      const path = join(directory, name);
      if (existsSync(path)) return path;
    }
    if (dirname(directory) === directory) return undefined;
  }
}

const absolute = (path: string, base: string) => (isAbsolute(path) ? path : resolve(base, path));

/**
 * The agent modules from `AGENTFOLD_AGENTS`, else from the nearest config file; `undefined` when
 * neither is set.
 *
 * @example
 * const configured = await configuredAgents(process.env, process.cwd());
 * configured?.modules; // ["/app/agents.ts"]
 */
export async function configuredAgents(env: NodeJS.ProcessEnv, cwd: string): Promise<ConfiguredAgents | undefined> {
  const variable = env.AGENTFOLD_AGENTS?.trim();
  if (variable) {
    const modules = variable
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
    return { modules: modules.map((module) => absolute(module, cwd)), source: "AGENTFOLD_AGENTS" };
  }
  const path = findConfigFile(cwd);
  if (!path) return undefined;
  let exported: unknown;
  try {
    exported = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
  } catch (error) {
    throw new CliError(`Cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const agents = (exported as { agents?: unknown } | undefined)?.agents;
  const list = typeof agents === "string" ? [agents] : agents;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === "string" && item.trim() !== "")) {
    throw new CliError(
      `${path} must export default { agents: "./agents.ts" } (a module path, or a list of them, relative to the file); got ${JSON.stringify(exported)}.`,
    );
  }
  return { modules: list.map((module: string) => absolute(module, dirname(path))), source: path };
}
