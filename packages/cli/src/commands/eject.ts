/**
 * `agentfold eject prompt [file]`: copies the default prompt's source into your project, so you own
 * it (factor 2). The copy imports its types from `agentfold` and is used as `defineAgent({ prompt })`.
 */
import type { Command } from "commander";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { commandName } from "../command-name.ts";
import { CliError } from "../exit-codes.ts";
import type { CommandContext } from "./context.ts";
// Not imported: see load-agents.ts.
const { existsSync, mkdirSync, readFileSync, writeFileSync } = process.getBuiltinModule("node:fs");

/**
 * The default prompt's source, with its imports pointed at the `agentfold` package. An installed
 * package keeps it at `dist/templates/default-prompt.ts` (outside the compiled module graph); in
 * this repository the entry is the source folder, where it sits beside `index.ts`.
 */
export function defaultPromptSource(): string {
  const entry = import.meta.resolve("agentfold");
  const path = [new URL("./templates/default-prompt.ts", entry), new URL("./default-prompt.ts", entry)]
    .map((url) => fileURLToPath(url))
    .find((candidate) => existsSync(candidate));
  if (!path)
    throw new CliError(
      `The default prompt's source is missing from the installed agentfold package (${fileURLToPath(entry)}); reinstall it.`,
    );
  return readFileSync(path, "utf8").replace(/from "\.\/[a-z-]+\.ts"/g, 'from "agentfold"');
}

/** Adds `eject` to the program. */
export function registerEjectCommand(program: Command, context: CommandContext): void {
  program
    .command("eject")
    .description("Copy a default into your project so you own it. Today: the prompt.")
    .argument("<what>", 'what to copy: "prompt"')
    .argument("[file]", "where to write it", "prompt.ts")
    .option("--force", "overwrite the file if it exists")
    .option("--json", "print { file } as JSON")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold eject prompt src/prompt.ts
  then: import { defaultPrompt as prompt } from "./prompt.ts"; defineAgent({ name, tools, prompt })`,
    )
    .action((what: string, file: string, options: { force?: boolean; json?: boolean }) => {
      const out = context.output(options.json);
      if (what !== "prompt")
        throw new CliError(`Nothing called ${JSON.stringify(what)} can be ejected. Try: ${commandName()} eject prompt [file]`);
      const target = resolve(context.cwd, file);
      if (existsSync(target) && !options.force) {
        throw new CliError(`${file} already exists; pass --force to overwrite it, or choose another file.`);
      }
      const source = defaultPromptSource();
      try {
        // `eject prompt src/prompt.ts` in a project without src/ yet: make the folder, as an editor would.
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, source);
      } catch (error) {
        throw new CliError(`Cannot write ${file}: ${(error as Error).message}. Choose a file in a folder you can write to.`);
      }
      if (out.json) return out.data({ file: target });
      const shown = relative(context.cwd, target) || file;
      out.line(`${out.paint("green", "✔")} Wrote the default prompt to ${shown}. Edit it, then pass it to your agent:`);
      out.line(`  import { defaultPrompt as prompt } from "./${shown.replace(/\\.ts$/, ".ts")}";`);
      out.line("  defineAgent({ name, tools, prompt });");
    });
}
