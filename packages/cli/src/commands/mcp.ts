/**
 * `agentfold mcp`: the agents of a module as an MCP server over stdio, for an assistant or an IDE
 * that starts it. stdout carries only MCP messages; what the command would print goes to stderr.
 */
import type { Command } from "commander";
import { importOptional } from "agentfold/runtime";
import { ExitCode } from "../exit-codes.ts";
import { loadAgentModule, parseTarget, pickAgent } from "../load-agents.ts";
import { openStore, storeSpec } from "../open-store.ts";
import type { CommandContext } from "./context.ts";
import { absoluteModelSpec, actorName } from "./shared.ts";
import { loadModel, modelSpec } from "../load-model.ts";

interface McpOptions {
  agents: string;
  db?: string;
  model?: string;
}

/** Adds `mcp` to the program. */
export function registerMcpCommand(program: Command, context: CommandContext): void {
  program
    .command("mcp")
    .description("Serve the agents of a module as an MCP server over stdio: start threads, read them, approve, reject and answer.")
    .requiredOption("--agents <module>", "the module whose exported agents are served (module#name serves one)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("-m, --model <spec>", "model spec (else AGENTFOLD_MODEL, else the default model)")
    .addHelpText(
      "after",
      `
An MCP client starts it, e.g. in its settings:
  { "command": "npx", "args": ["agentfold", "mcp", "--agents", "./agents.ts", "--db", "./agents.db"] }
Decisions made through it are recorded with AGENTFOLD_ACTOR, else mcp:<user name>, as the actor.
While it runs it also recovers the module's threads left running by a crashed process, like serve.

Examples:
  $ agentfold mcp --agents ./agents.ts
  $ agentfold mcp --agents ./agents.ts#support --db ./agents.db --model openai:gpt-4o-mini`,
    )
    .action(async (options: McpOptions) => {
      const { serveMcpOverStdio } = await importOptional(
        "@agentfold/mcp",
        "agentfold mcp needs the @agentfold/mcp package: npm i @agentfold/mcp",
        () => import("@agentfold/mcp"),
      );
      const { createRunner } = await import("@agentfold/server");
      const { module, agentName } = parseTarget(options.agents);
      const loaded = await loadAgentModule(module, context.cwd);
      const agents = agentName === undefined ? loaded.agents : [pickAgent(loaded, agentName, module)];
      const model = await loadModel(absoluteModelSpec(modelSpec(options.model, context.env), context.cwd), context.env);
      const store = await openStore(storeSpec(options.db, context.env).spec, context.cwd);
      const runner = createRunner({ store, agents, model });
      try {
        // Like serve: threads left running by a crashed process go on, and timers fire.
        await runner.start();
        const actor = context.env.AGENTFOLD_ACTOR ?? actorName(context.env).replace(/^cli/, "mcp");
        await serveMcpOverStdio({
          runner,
          store,
          agents,
          actor,
          stdin: context.stdin as NodeJS.ReadableStream,
          stdout: context.stdout as unknown as NodeJS.WritableStream,
        });
      } finally {
        await runner.close();
        await store.close();
      }
      context.exitCode = ExitCode.ok;
    });
}
