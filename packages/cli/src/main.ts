/**
 * The `agentfold` program: commands, help with examples, and one place that turns any error into a
 * clear message and an exit code (never a stack trace, unless AGENTFOLD_DEBUG is set).
 */
import { Command, CommanderError } from "commander";
import { CliError, ExitCode, exitCodeHelp } from "./exit-codes.ts";
import { createContext, withContext, type CommandContext, type ContextOptions } from "./commands/context.ts";
import { colorsFor } from "./output.ts";
import { withCommandName } from "./command-name.ts";
import { registerHumanActionCommands } from "./commands/human-actions.ts";
import { registerInitCommand } from "./commands/init.ts";
import { registerRunCommands } from "./commands/run.ts";
import { registerServeCommand } from "./commands/serve.ts";
import { registerThreadCommands } from "./commands/threads.ts";
import { registerTestCommand } from "./commands/test.ts";
import { registerExportCommand } from "./commands/export-thread.ts";
import { registerEjectCommand } from "./commands/eject.ts";
import { registerCancelCommand } from "./commands/cancel.ts";
import { registerMcpCommand } from "./commands/mcp.ts";
import { Interrupted } from "./drive-thread.ts";

/** Errors that mean the input was wrong (exit 2), by class name, so they match across copies of agentfold. */
const usageErrors = new Set([
  "ConfigurationError",
  "InvalidInputError",
  "StateConflictError",
  "VersionConflictError",
  "ThreadNotFoundError",
  "ThreadFormatError",
  "ThreadExistsError",
]);

/**
 * The top-level commands each registration makes, in the order `--help` lists them. A test checks
 * the names against what each registration makes.
 */
export const registrations: ReadonlyArray<
  readonly [names: readonly string[], register: (program: Command, context: CommandContext) => void]
> = [
  [["run", "resume", "message"], registerRunCommands],
  [["approve", "reject", "respond"], registerHumanActionCommands],
  [["cancel"], registerCancelCommand],
  [["threads", "fork"], registerThreadCommands],
  [["threads"], registerExportCommand],
  [["serve"], registerServeCommand],
  [["mcp"], registerMcpCommand],
  [["init"], registerInitCommand],
  [["test"], registerTestCommand],
  [["eject"], registerEjectCommand],
];

/**
 * Builds the program. Commands set `context.exitCode`.
 *
 * `command` (the first word of a command line) registers only the commands made with it: a short
 * command does not build the other commands' options and help (a few milliseconds of `agentfold
 * approve`). An unknown word, an option or nothing registers every command, for help and "did you
 * mean".
 *
 * @example
 * const program = createProgram(createContext());
 * await program.parseAsync(["run", "agent.ts", "hi"], { from: "user" });
 */
export function createProgram(context: CommandContext, command?: string): Command {
  const program = new Command("agentfold")
    .description("Run, inspect and serve agentfold agents: stateless reducers over an append-only thread of events.")
    .version("0.1.0", "-v, --version")
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      `
Where things come from:
  store  --db <path|postgres-url>, else AGENTFOLD_DB, else ./.agentfold/agentfold.db (SQLite)
  model  --model <spec>, else AGENTFOLD_MODEL, else the spec the thread ran with, else the default
         (an API key in OPENAI_API_KEY / ANTHROPIC_API_KEY / GOOGLE_GENERATIVE_AI_API_KEY, else a
         small local model). Specs: openai:<model>, anthropic:<model>, google:<model>, ollama:<model>,
         openai-compatible:<baseURL>#<model>, local:<path.gguf>, script:<steps.json>

${exitCodeHelp}

Examples:
  $ agentfold run examples/calculator/agent.ts "can you divide 3 by 4"
  $ agentfold run ./agent.ts "divide 3 by 4" --model script:./steps.json --json
  $ agentfold approve thr_abc123 call_1_0 --args '{"a": 3, "b": 5}'
  $ agentfold threads ls --status awaiting_approval
  $ agentfold serve --agents ./agent.ts --port 8080
  $ agentfold init my-agent
  $ agentfold test --model openai:gpt-4o-mini --runs 5`,
    );
  const known = registrations.some(([names]) => command !== undefined && names.includes(command));
  for (const [names, register] of registrations) {
    if (!known || names.includes(command!)) register(program, context);
  }
  // Help and version go to the context's streams, sized and coloured for them, never to the
  // process's; errors are reported once, by `main`.
  const output = {
    writeOut: (text: string) => void context.stdout.write(text),
    writeErr: (text: string) => void context.stderr.write(text),
    // Commander's own default: the terminal's width, else 80.
    getOutHelpWidth: () => (context.stdout.isTTY && context.stdout.columns) || 80,
    getErrHelpWidth: () => (context.stderr.isTTY && context.stderr.columns) || 80,
    getOutHasColors: () => colorsFor(context.stdout, context.env),
    getErrHasColors: () => colorsFor(context.stderr, context.env),
    outputError: () => {},
  };
  for (const command of [program, ...allCommands(program)]) {
    command.exitOverride();
    command.configureOutput(output);
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}

/** Whether `--json` appears among the arguments (for reporting errors before options are parsed). */
function wantsJson(argv: readonly string[]): boolean {
  return argv.includes("--json");
}

/**
 * Reports an error and returns its exit code.
 */
function report(error: unknown, context: CommandContext, argv: readonly string[]): number {
  const out = context.output(wantsJson(argv));
  let code: number;
  let kind: string;
  let message: string;
  if (error instanceof CommanderError) {
    if (
      error.exitCode === 0 ||
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    )
      return ExitCode.ok;
    code = ExitCode.usage;
    kind = "usage";
    message = error.message.replace(/^error: /, "");
  } else if (error instanceof CliError) {
    code = error.exitCode;
    kind = error.code;
    message = error.message;
  } else if (error instanceof Error && usageErrors.has(error.name)) {
    code = ExitCode.usage;
    kind = (error as Error & { code?: string }).code ?? "invalid_input";
    message = error.message;
  } else {
    code = ExitCode.unexpected;
    kind = "unexpected";
    message = error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error);
    if (!context.env.AGENTFOLD_DEBUG) message += " (set AGENTFOLD_DEBUG=1 for the stack trace)";
  }
  // Messages written by other packages (evals, models) cannot know how this CLI was started.
  message = withCommandName(message);
  if (out.json) out.data({ error: { code: kind, message } });
  else {
    out.warn(`${out.paint("red", "error:")} ${message}`);
    if (error instanceof CommanderError) out.warn("(add --help for usage and examples)");
  }
  if (context.env.AGENTFOLD_DEBUG && error instanceof Error && error.stack) out.warn(error.stack);
  return code;
}

/**
 * Runs the command line and returns the exit code; it never exits the process (the bin sets the exit
 * code). Without options it uses the process's streams, variables, working directory and signals;
 * given them, it touches none of those, so tests run it many times in one process, even several at
 * once.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 * const code = await main(["threads", "ls", "--json"], { stdout, stderr, env: { AGENTFOLD_DB: "test.db" }, cwd: "/tmp/project" });
 */
export async function main(argv: readonly string[], options: ContextOptions = {}): Promise<number> {
  const context = createContext(options);
  return withContext(context, () => runProgram(argv, context));
}

async function runProgram(argv: readonly string[], context: CommandContext): Promise<number> {
  const program = createProgram(context, argv[0]);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync(argv as string[], { from: "user" });
    return context.exitCode;
  } catch (error) {
    if (error instanceof Interrupted) context.output(false).warn(error.message);
    return error instanceof Interrupted ? error.exitCode : report(error, context, argv);
  }
}
