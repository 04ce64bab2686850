/**
 * Exit codes of the `agentfold` command, and the error type that carries one. Scripts rely on
 * these numbers: never renumber them.
 */

/** What each exit code means. Printed by `agentfold --help`. */
export const ExitCode = {
  /** The command did what was asked; for run, approve, reject and respond: the thread is done. */
  ok: 0,
  /** Something unexpected: a bug, a crash of a model provider or a database. */
  unexpected: 1,
  /** Bad input: an unknown module, agent, thread or call, invalid JSON, a missing option. */
  usage: 2,
  /** The thread waits: for a person (an approval or an answer) or until a time. The output says how to continue. */
  waiting: 3,
  /** The thread failed (a step or error limit was reached). */
  failed: 4,
  /** The thread was canceled. */
  canceled: 5,
  /** `agentfold test`: a case passed less often than the threshold. */
  belowThreshold: 6,
  /** Another process (a server, another command) is advancing the thread; retry once it pauses. */
  busy: 7,
  /** Ctrl-C while the agent was running; what was done so far is saved. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The `Exit codes:` section of the top-level help. */
export const exitCodeHelp = `Exit codes:
  0  done (or the command succeeded)
  1  unexpected error (a bug, a provider or database failure)
  2  bad input: unknown module, agent, thread or call; invalid JSON; missing option
  3  the thread waits for a person (approval or answer) or until a time; the output says how to continue
  4  the thread failed (step or error limit reached)
  5  the thread was canceled
  6  agentfold test: an eval case passed less often than --threshold
  7  the thread is being advanced by another process (a server, another command); retry
  130  interrupted (Ctrl-C) while running; everything done so far is saved`;

/**
 * An error the command reports as one clear line (no stack trace) with its exit code.
 *
 * @example
 * throw new CliError(`No thread with id "${id}". List them with: agentfold threads ls`, ExitCode.usage);
 */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly code: string;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.usage, code = "invalid_input") {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.code = code;
  }
}
