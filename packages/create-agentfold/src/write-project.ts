/**
 * Writing a new project to disk: into a missing or empty directory, never over an existing file.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { projectFiles, projectName } from "./project-files.ts";

/** Why a directory cannot take a new project: it holds files already, or it is not a directory. */
export type DirectoryProblem = "not_empty" | "not_a_directory";

/**
 * The target directory cannot take a new project. Front ends word the advice their own way (a new
 * name for `npm create`, `--force` for `agentfold init`), so the reason is a field.
 *
 * @example
 * try {
 *   writeProject("my-agent");
 * } catch (error) {
 *   if (error instanceof ProjectDirectoryError && error.problem === "not_empty") console.error("pick another name");
 * }
 */
export class ProjectDirectoryError extends Error {
  override readonly name = "ProjectDirectoryError";
  readonly problem: DirectoryProblem;
  /** The absolute path of the directory. */
  readonly directory: string;

  constructor(directory: string, problem: DirectoryProblem) {
    super(
      problem === "not_empty"
        ? `${directory} already exists and is not empty: pick a new directory (a project is never written over existing files).`
        : `${directory} exists and is not a directory: pick another name.`,
    );
    this.problem = problem;
    this.directory = directory;
  }
}

/**
 * What is in the way of writing a project into `directory`, if anything. A directory holding only
 * `.git` counts as empty, so a fresh clone of an empty repository can take a project.
 *
 * @example
 * directoryProblem("/tmp/new-agent"); // undefined: missing or empty
 */
export function directoryProblem(directory: string): DirectoryProblem | undefined {
  if (!existsSync(directory)) return undefined;
  if (!statSync(directory).isDirectory()) return "not_a_directory";
  return readdirSync(directory).some((entry) => entry !== ".git") ? "not_empty" : undefined;
}

export interface WriteProjectOptions {
  /** Write into a non-empty directory, adding only the files that are missing. */
  force?: boolean;
  /** The agentfold version to depend on; defaults to this scaffolder's own. */
  version?: string;
}

/**
 * Writes a new project into `directory` (created if missing) and returns the files written.
 * Refuses a non-empty directory unless `force` is set, and never overwrites a file even then.
 *
 * @example
 * const written = writeProject("./my-agent"); // ["package.json", "agent.ts", …]
 */
export function writeProject(directory: string, options: WriteProjectOptions = {}): string[] {
  const target = resolve(directory);
  const problem = directoryProblem(target);
  if (problem === "not_a_directory" || (problem === "not_empty" && !options.force)) throw new ProjectDirectoryError(target, problem);
  mkdirSync(target, { recursive: true });
  const files = projectFiles({
    name: projectName(basename(target)),
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  const written: string[] = [];
  for (const [file, content] of Object.entries(files)) {
    const path = join(target, file);
    if (existsSync(path)) continue;
    // `wx` fails rather than overwrite a file that appeared since the check above.
    writeFileSync(path, content, { flag: "wx" });
    written.push(file);
  }
  return written;
}
