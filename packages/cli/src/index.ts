/**
 * `@agentfold/cli`: the `agentfold` command, also callable from code (tests, wrappers).
 *
 * @example
 * import { main } from "@agentfold/cli";
 * process.exitCode = await main(["threads", "ls", "--json"]);
 * // In a test: its own streams, variables and working directory; nothing of the process is touched.
 * let text = "";
 * const code = await main(["threads", "ls"], { stdout: { write: (chunk: string) => (text += chunk) }, env: {}, cwd: "/tmp/project" });
 */

// The program
export { main, createProgram } from "./main.ts";
export { createContext, processContext, type CommandContext, type ContextOptions } from "./commands/context.ts";
export type { InputStream, OutputStream } from "./output.ts";

// Exit codes and errors
export { ExitCode, CliError, type ExitCodeValue } from "./exit-codes.ts";

// Pieces other tools reuse
export { loadAgent, loadAgentModule, pickAgent, parseTarget, isAgent, type LoadedModule } from "./load-agents.ts";
export { DEFAULT_DB, storeSpec, openStore } from "./open-store.ts";
