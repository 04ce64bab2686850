/**
 * `agentfold threads export <thread> --as-eval <file>`: a stored thread becomes an eval case. The
 * events up to `--at` are the case's thread; the model decision that followed is the expectation.
 */
import { dirname, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import { commandName } from "../command-name.ts";
import { CliError } from "../exit-codes.ts";
import { parentOf } from "agentfold/runtime";
import { shellQuote } from "../output.ts";
import type { CommandContext } from "./context.ts";
import { loadThread, threadAgentAndModules, withStore, type StoreOptions } from "./shared.ts";
// Not imported: see load-agents.ts.
const { existsSync, mkdirSync, writeFileSync } = process.getBuiltinModule("node:fs");

interface ExportOptions extends StoreOptions {
  asEval?: string;
  at?: string;
  agents?: string;
  name?: string;
  force?: boolean;
}

/** The import specifier of `modulePath` from a file in `directory`: relative, with `/` separators. */
function importSpecifier(directory: string, modulePath: string): string {
  const path = relative(directory, modulePath).split(sep).join("/");
  return path.startsWith(".") ? path : `./${path}`;
}

/** Adds `threads export` to the `threads` command. */
export function registerExportCommand(program: Command, context: CommandContext): void {
  const threads =
    program.commands.find((command) => command.name() === "threads") ??
    program.command("threads").description("List, show, render and export stored threads.");
  threads
    .command("export")
    .description(
      "Turn a stored thread into an eval case file: the events up to --at become the case, the model's next decision its expectation.",
    )
    .argument("<thread>", "thread id")
    .requiredOption("--as-eval <file>", "the eval file to write, e.g. evals/regressions/divide-by-zero.eval.ts")
    .option(
      "--at <n>",
      "the event (as numbered by threads show) after which the next decision is expected (default: just before the last decision)",
    )
    .option("--agents <module>", "the agent module, optionally with #name (default: the one recorded by agentfold run)")
    .option("--name <text>", "the case name (default: <thread> after event #<n>)")
    .option("--force", "overwrite the file when it exists")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("--json", "print { file, thread, events, decisionEvent, expect } as JSON")
    .addHelpText(
      "after",
      `
If the decision was a mistake, edit \`expect\` in the file to the right step: the case fails until
the agent gets it right.

Examples:
  $ agentfold threads export thr_abc123 --as-eval evals/thr_abc123.eval.ts
  $ agentfold threads export thr_abc123 --as-eval evals/clarify.eval.ts --at 3 --name "asks before dividing"
  $ agentfold test evals/clarify.eval.ts --model openai:gpt-4o-mini --runs 5`,
    )
    .action(async (threadId: string, options: ExportOptions) => {
      const out = context.output(options.json);
      const file = options.asEval!;
      if (!/\.eval\.[cm]?ts$/.test(file))
        throw new CliError(
          `--as-eval ${file}: name the file *.eval.ts so ${commandName()} test finds it, e.g. ${file.replace(/(\.[cm]?[jt]s)?$/, ".eval.ts")}.`,
        );
      let at: number | undefined;
      if (options.at !== undefined) {
        at = Number(options.at);
        if (!/^\d+$/.test(options.at.trim()) || !Number.isSafeInteger(at))
          throw new CliError(
            `--at must be an event number (0, 1, 2…) as shown by ${commandName()} threads show ${threadId}, got ${JSON.stringify(options.at)}.`,
          );
      }
      const path = resolve(context.cwd, file);
      if (existsSync(path) && !options.force)
        throw new CliError(`${file} already exists. Pick another file, or pass --force to overwrite it.`);
      await withStore(options, context.env, context.cwd, async (store, spec) => {
        const thread = await loadThread(store, threadId, spec);
        const { agent, modules } = await threadAgentAndModules(store, thread, options.agents, context);
        // The case imports the agent by an export of its module: one the thread's agent is exported as.
        const exports = modules.flatMap((loaded) => {
          const names = [...loaded.exportNames.entries()].filter(([, value]) => value === agent).map(([name]) => name);
          return names.length > 0 ? [{ loaded, exportName: names.find((name) => name !== "default") ?? names[0]! }] : [];
        });
        const [found] = exports;
        if (!found) {
          throw new CliError(
            `Thread ${thread.id} is run by agent "${agent.name}", which ${modules.map((loaded) => loaded.path).join(", ")} does not export${parentOf(thread) ? " (it is a child agent, reached through its parent's tool)" : ""}. Export it from the module (export const ${agent.name.replace(/\W/g, "_")} = …) so the case can import it, or export the parent's thread instead.`,
          );
        }
        const { loaded, exportName } = found;
        // Loaded by this command only: the other commands start without the eval package.
        const { exportCase } = await import("@agentfold/evals");
        const exported = exportCase({
          thread,
          ...(at === undefined ? {} : { at }),
          agentImport: { specifier: importSpecifier(dirname(path), loaded.path), exportName },
          ...(options.name === undefined ? {} : { name: options.name }),
        });
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, exported.source);
        if (out.json) {
          return out.data({
            file,
            thread: thread.id,
            events: exported.eventCount,
            decisionEvent: exported.decisionIndex,
            name: exported.name,
            expect: exported.expect,
          });
        }
        const step = exported.expect.calls
          ? exported.expect.calls.map((call) => `${call.intent}(${JSON.stringify(call.args)})`).join(", ")
          : `${String(exported.expect.intent)}(${JSON.stringify(exported.expect.args)})`;
        out.line(
          `Wrote ${file}: case ${JSON.stringify(exported.name)} with events #0-#${exported.eventCount - 1} of ${thread.id}, expecting ${step} (event #${exported.decisionIndex}).`,
        );
        out.line(`run it:\n  ${commandName()} test ${shellQuote(file)} --model <spec> --runs 5`);
      });
    });
}
