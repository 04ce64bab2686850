/**
 * `npm create agentfold@latest [directory]`: writes a project and prints the commands that come
 * next. It does not run `npm install`: the person picks when to install, and with which package
 * manager, registry or network settings; the scaffold itself is instant and works offline.
 *
 * Errors are one line on stderr that says what to do, with an exit code: 2 for bad input, 1 for a
 * failure to write, 130 when a prompt is interrupted.
 */
import { createInterface } from "node:readline/promises";
import { relative, resolve } from "node:path";
import { agentfoldVersion } from "./project-files.ts";
import { directoryProblem, ProjectDirectoryError, writeProject } from "./write-project.ts";

/** Where `main` reads and writes: the real process, or streams a test controls. */
export interface CreateIo {
  cwd: string;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

/** The directory proposed when the person is asked and just presses Enter. */
export const defaultDirectory = "my-agent";

const usage = "npm create agentfold@latest [directory]";

function helpText(version: string): string {
  return `Usage: ${usage}

Creates an agentfold ${version} project in <directory> (missing or empty): an agent (agent.ts),
scripted model replies to run it without an API key, a unit test, an eval, a tsconfig, a README,
and a package.json that depends on agentfold's packages from npm. It installs nothing; next run:
cd <directory>, npm install, npm start.

Options:
  -h, --help     show this help
  -v, --version  show the agentfold version the project will depend on
`;
}

/** A bad command line or target: printed as one line, exit 2. */
class UsageError extends Error {}

/** The person pressed Ctrl-C or closed the input at the prompt. */
class Canceled extends Error {}

function parseArguments(argv: readonly string[]): { directory: string | undefined; help: boolean; version: boolean } {
  const positionals: string[] = [];
  let help = false;
  let version = false;
  let optionsEnded = false;
  for (const argument of argv) {
    if (!optionsEnded && argument === "--") optionsEnded = true;
    else if (!optionsEnded && (argument === "-h" || argument === "--help")) help = true;
    else if (!optionsEnded && (argument === "-v" || argument === "--version")) version = true;
    else if (!optionsEnded && argument.startsWith("-") && argument !== "-")
      throw new UsageError(`Unknown option ${argument}. Usage: ${usage} (see --help).`);
    else positionals.push(argument);
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `Give one directory, not ${positionals.length} (${positionals.join(" ")}). Usage: ${usage}; quote a name that has spaces.`,
    );
  }
  const [directory] = positionals;
  if (directory !== undefined && directory.trim() === "")
    throw new UsageError(`The directory name is empty. Usage: ${usage}, e.g. npm create agentfold@latest my-agent.`);
  return { directory, help, version };
}

/** Asks for the directory in a terminal; Enter takes {@link defaultDirectory}. */
async function askDirectory(io: CreateIo): Promise<string> {
  const controller = new AbortController();
  const prompt = createInterface({ input: io.stdin, output: io.stdout as NodeJS.WritableStream, terminal: true });
  // Ctrl-C or Ctrl-D at the prompt cancels; without these the question would wait forever.
  prompt.on("SIGINT", () => controller.abort());
  prompt.on("close", () => controller.abort());
  try {
    const answer = await prompt.question(`Where should the project go? (${defaultDirectory}) `, { signal: controller.signal });
    return answer.trim() || defaultDirectory;
  } catch (error) {
    if (controller.signal.aborted) throw new Canceled();
    throw error;
  } finally {
    prompt.close();
  }
}

/** A path as the person should type it in their shell. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The commands to run after creating a project in `shownDirectory` (relative to where the person
 * is; `.` for here). Each line runs as printed.
 *
 * @example
 * nextSteps("my-agent"); // "  cd my-agent\n  npm install\n  npm start\n  npm test\n  npx agentfold threads ls"
 */
export function nextSteps(shownDirectory: string): string {
  const commands = [
    ...(shownDirectory === "." ? [] : [`cd ${shellWord(shownDirectory)}`]),
    "npm install",
    "npm start",
    "npm test",
    "npx agentfold threads ls",
  ];
  return commands.map((command) => `  ${command}`).join("\n");
}

/**
 * Printed after the next steps by `npm create agentfold` and `agentfold init`: where serving, real
 * models and evals are explained.
 *
 * @example
 * console.log(`Next:\n${nextSteps("my-agent")}\n\n${readmePointer}`);
 */
export const readmePointer = "README.md shows how to use a real model, run evals and serve the agent over HTTP with a web inbox.";

function processIo(): CreateIo {
  return { cwd: process.cwd(), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/**
 * Runs the scaffolder with command-line arguments and returns the exit code.
 *
 * @example
 * process.exitCode = await main(["my-agent"]);
 */
export async function main(argv: readonly string[], io: CreateIo = processIo()): Promise<number> {
  try {
    const version = agentfoldVersion();
    const options = parseArguments(argv);
    if (options.help) {
      io.stdout.write(helpText(version));
      return 0;
    }
    if (options.version) {
      io.stdout.write(`${version}\n`);
      return 0;
    }
    let directory = options.directory;
    if (directory === undefined) {
      if (!io.stdin.isTTY || !io.stdout.isTTY) {
        throw new UsageError(
          `Name the directory to create, e.g. ${usage.replace("[directory]", "my-agent")} (there is no terminal to ask in).`,
        );
      }
      directory = await askDirectory(io);
    }
    const target = resolve(io.cwd, directory);
    const shown = relative(io.cwd, target) || ".";
    // Checked before writing so the advice can name this command, not the library's options.
    const problem = directoryProblem(target);
    if (problem === "not_empty") {
      throw new UsageError(`${shown} already exists and is not empty. Pick a new directory: npm create agentfold@latest <new-directory>.`);
    }
    if (problem === "not_a_directory")
      throw new UsageError(`${shown} is a file, not a directory. Pick a new directory: npm create agentfold@latest <new-directory>.`);
    const files = writeProject(target, { version });
    io.stdout.write(`Created ${shown} (agentfold ${version}): ${files.join(", ")}\n\nNext:\n${nextSteps(shown)}\n\n${readmePointer}\n`);
    return 0;
  } catch (error) {
    if (error instanceof Canceled) {
      io.stderr.write("Canceled; nothing was written.\n");
      return 130;
    }
    if (error instanceof UsageError || error instanceof ProjectDirectoryError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`Could not create the project: ${reason.split("\n")[0]}\n`);
    return 1;
  }
}
