/**
 * `@agentfold/cli`: the `agentfold` command, also callable from code (tests, wrappers).
 *
 * @example
 * import { main } from "@agentfold/cli";
 * process.exitCode = await main(["threads", "ls", "--json"]);
 */

// The program
export { main, createProgram } from "./main.ts";
export { processContext, type CommandContext } from "./commands/context.ts";

// Exit codes and errors
export { ExitCode, CliError, type ExitCodeValue } from "./exit-codes.ts";

// Pieces other tools reuse
export { loadAgent, loadAgentModule, pickAgent, parseTarget, isAgent, type LoadedModule } from "./load-agents.ts";
export { DEFAULT_DB, storeSpec, openStore } from "./open-store.ts";
