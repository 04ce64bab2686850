/**
 * `agentfold init <dir>`: scaffold a new agent project. The files come from `create-agentfold`
 * (what `npm create agentfold` writes), so both ways to start give the same project.
 */
import type { Command } from "commander";
import { relative, resolve } from "node:path";
import { CliError } from "../exit-codes.ts";
import type { CommandContext } from "./context.ts";

/** Adds `init` to the program. */
export function registerInitCommand(program: Command, context: CommandContext): void {
  program
    .command("init")
    .description("Create a new agent project: package.json, an agent, scripted model replies, a test, an eval, a tsconfig and a README.")
    .argument("<dir>", "the directory to create (must be empty or missing)")
    .option("--force", "write into a non-empty directory (existing files are kept)")
    .option("--json", "print { directory, files } as JSON")
    .addHelpText(
      "after",
      `
The project depends on agentfold's packages from npm (^ the version of this CLI); npm create
agentfold@latest <dir> writes the same files without installing the CLI first.

Examples:
  $ agentfold init my-agent && cd my-agent && npm install && npm start`,
    )
    .action(async (directory: string, options: { force?: boolean; json?: boolean }) => {
      // Loaded by this command only: the other commands start without the project templates.
      const { nextSteps, ProjectDirectoryError, readmePointer, writeProject } = await import("create-agentfold");
      const out = context.output(options.json);
      const target = resolve(context.cwd, directory);
      let files: string[];
      try {
        files = writeProject(target, { force: options.force === true });
      } catch (error) {
        if (!(error instanceof ProjectDirectoryError)) throw error;
        throw new CliError(
          error.problem === "not_empty"
            ? `${directory} is not empty. Pick a new directory, or pass --force to add the files that are missing.`
            : `${directory} is a file, not a directory. Pick a new directory.`,
        );
      }
      if (out.json) return out.data({ directory: target, files });
      out.line(
        `${out.paint("green", "✔")} Created ${directory}: ${files.length > 0 ? files.join(", ") : "nothing (every file was there already)"}`,
      );
      out.line(`\nNext:\n${nextSteps(relative(context.cwd, target) || ".")}\n\n${readmePointer}`);
    });
}
