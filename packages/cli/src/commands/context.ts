/**
 * The environment a command runs in: its streams, variables, working directory and what stops it.
 * Everything a command reads from "the process" comes from here, so `main(argv, options)` can run
 * many commands in one process (tests call it hundreds of times, several at once) without one
 * seeing another's output, variables or Ctrl-C.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createOutput, type InputStream, type OutputStream, type Output } from "../output.ts";

/** Stops listening for an interruption. */
export type StopListening = () => void;

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: InputStream;
  /** The path the CLI was started as (`process.argv[1]`), for the command words it prints. */
  invokedAs: string | undefined;
  /** The output of a command, given its `--json` flag. */
  output(json: boolean | undefined): Output;
  /**
   * Calls `listener` once when the person stops the command: Ctrl-C, and with `terminate` also
   * SIGTERM (what `serve` stops on). Returns the function that stops listening.
   */
  onInterrupt(listener: () => void, options?: { terminate?: boolean }): StopListening;
  /** The exit code of the command that ran. */
  exitCode: number;
}

/** What `main` may be given instead of the process's own streams, variables and signals. */
export interface ContextOptions {
  stdout?: OutputStream;
  stderr?: OutputStream;
  stdin?: InputStream;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Default `process.cwd()`. */
  cwd?: string;
  /**
   * Aborting it stops the command like Ctrl-C: a run stops between events (exit 130), `serve`
   * closes the server (exit 0). Without it the process's SIGINT (and SIGTERM for `serve`) do.
   */
  signal?: AbortSignal;
  /** Default `process.argv[1]`. */
  invokedAs?: string;
}

function processInterrupt(listener: () => void, options: { terminate?: boolean } = {}): StopListening {
  const signals: NodeJS.Signals[] = options.terminate ? ["SIGINT", "SIGTERM"] : ["SIGINT"];
  const stop = () => {
    for (const signal of signals) process.off(signal, handle);
  };
  // Listening once: a second Ctrl-C gets Node's default, which ends the process.
  const handle = () => {
    stop();
    listener();
  };
  for (const signal of signals) process.on(signal, handle);
  return stop;
}

function signalInterrupt(signal: AbortSignal): CommandContext["onInterrupt"] {
  return (listener) => {
    const handle = () => listener();
    if (signal.aborted) {
      const pending = setImmediate(handle);
      return () => clearImmediate(pending);
    }
    signal.addEventListener("abort", handle, { once: true });
    return () => signal.removeEventListener("abort", handle);
  };
}

/**
 * A context for one run of the command line: the process's streams, variables and signals, or the
 * ones given.
 *
 * @example
 * const context = createContext({ env: { AGENTFOLD_DB: ":memory:" }, cwd: "/tmp/project" });
 * await createProgram(context).parseAsync(["threads", "ls"], { from: "user" });
 */
export function createContext(options: ContextOptions = {}): CommandContext {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const stdin = options.stdin ?? process.stdin;
  const env = options.env ?? process.env;
  return {
    env,
    cwd: options.cwd ?? process.cwd(),
    stdout,
    stderr,
    stdin,
    invokedAs: options.invokedAs ?? process.argv[1],
    output: (json) => createOutput({ json: json === true, stdout, stderr, stdin, env }),
    onInterrupt: options.signal ? signalInterrupt(options.signal) : processInterrupt,
    exitCode: 0,
  };
}

/**
 * The context of the real process.
 *
 * @example
 * const context = processContext();
 */
export function processContext(): CommandContext {
  return createContext();
}

const current = new AsyncLocalStorage<CommandContext>();

/**
 * Runs `work` with `context` as the command's context: the helpers deep inside commands that print
 * follow-up commands, draw the spinner or listen for Ctrl-C find it with `currentContext()` instead
 * of reading the process.
 *
 * @example
 * await withContext(context, () => program.parseAsync(argv, { from: "user" }));
 */
export function withContext<T>(context: CommandContext, work: () => T): T {
  return current.run(context, work);
}

/**
 * The context of the command running now, or the process's when none is (a helper called from code).
 *
 * @example
 * currentContext().onInterrupt(() => controller.abort());
 */
export function currentContext(): CommandContext {
  return current.getStore() ?? processContext();
}
