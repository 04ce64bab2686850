/**
 * `agentfold init <dir>`: scaffold a new agent project.
 */
import type { Command } from "commander";
import { relative } from "node:path";
import { resolve } from "node:path";
import { writeProject } from "../init-project.ts";
import { shellQuote } from "../output.ts";
import type { CommandContext } from "./context.ts";

/** Adds `init` to the program. */
export function registerInitCommand(program: Command, context: CommandContext): void {
  program
    .command("init")
    .description("Create a new agent project: package.json, an agent, a scripted model, a test and a README.")
    .argument("<dir>", "the directory to create (must be empty or missing)")
    .option("--force", "write into a non-empty directory (existing files are kept)")
    .option("--json", "print { directory, files } as JSON")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold init my-agent && cd my-agent && npm install && npm start`,
    )
    .action((directory: string, options: { force?: boolean; json?: boolean }) => {
      const out = context.output(options.json);
      const target = resolve(context.cwd, directory);
      const files = writeProject(target, { force: options.force === true });
      if (out.json) return out.data({ directory: target, files });
      out.line(`${out.paint("green", "✔")} Created ${directory}: ${files.join(", ")}`);
      const where = relative(context.cwd, target) || ".";
      out.line(`
Next:
  cd ${shellQuote(where)}
  npm install
  npm start`);
    });
}
