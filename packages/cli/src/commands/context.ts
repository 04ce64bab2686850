/**
 * The environment a command runs in. Passed explicitly so tests can run commands in-process.
 */
import { createOutput, type Output } from "../output.ts";

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The output of a command, given its `--json` flag. */
  output(json: boolean | undefined): Output;
  /** The exit code of the command that ran. */
  exitCode: number;
}

/**
 * The context of the real process.
 *
 * @example
 * const context = processContext();
 */
export function processContext(): CommandContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    output: (json) => createOutput({ json: json === true }),
    exitCode: 0,
  };
}
