/**
 * How the person at the shell runs this CLI, for the commands it prints ("continue with: …",
 * "list them with: …"), so that each printed command runs as printed.
 *
 * - Installed in a project (`npm start`, `npx agentfold`, a `node_modules/.bin` shim): the command
 *   is not on the shell's PATH, so `npx agentfold`, which finds the project's copy.
 * - Run once from npx's cache (`npx @agentfold/cli …` outside a project): `npx @agentfold/cli`.
 * - Installed globally, or anything else: `agentfold`.
 * - `AGENTFOLD_COMMAND` overrides all of these; the repository's `./agentfold` wrapper sets it to
 *   itself.
 *
 * Both are read from the context of the command running (see `currentContext`), which is the
 * process's unless `main` was given others.
 */
import { currentContext } from "./commands/context.ts";

/**
 * The command words that run this CLI, as printed in follow-up commands.
 *
 * @example
 * commandName("/home/me/my-agent/node_modules/.bin/agentfold", {}); // "npx agentfold"
 * commandName("/usr/local/bin/agentfold", {});                      // "agentfold"
 */
export function commandName(
  invokedAs: string | undefined = currentContext().invokedAs,
  env: NodeJS.ProcessEnv = currentContext().env,
): string {
  const override = env.AGENTFOLD_COMMAND?.trim();
  if (override) return override;
  const segments = (invokedAs ?? "").split(/[\\/]/);
  if (segments.includes("_npx")) return "npx @agentfold/cli";
  if (segments.includes("node_modules")) return "npx agentfold";
  return "agentfold";
}

/** The commands other packages' messages may name (they cannot know how the CLI was started). */
const subcommands = "run|resume|message|approve|reject|respond|cancel|threads|fork|serve|test|init|eject";

/**
 * `message` with every `agentfold <command>` in it started the way this CLI runs (see
 * `commandName`), for messages written by other packages (`@agentfold/evals`, `@agentfold/models`):
 * "see agentfold threads show thr_1" becomes "see npx agentfold threads show thr_1" in a project.
 * Words already preceded by `npx ` or part of a path or package name are left alone.
 *
 * @example
 * withCommandName("Record it first: agentfold test a.eval.ts --record", "npx agentfold"); // "Record it first: npx agentfold test a.eval.ts --record"
 */
export function withCommandName(message: string, name: string = commandName()): string {
  if (name === "agentfold") return message;
  return message.replace(new RegExp(`(?<![\\w@/.-])(?<!npx )agentfold (?=(?:${subcommands})\\b)`, "g"), `${name} `);
}
