/**
 * Advancing a thread from the terminal: run the agent with every batch of new events stored as it
 * happens, show a spinner while the model thinks, and — in a terminal — ask the person about each
 * pending approval or question, then go on until the thread is done, fails, or waits.
 */
import type { Agent, Model, Thread, ThreadStore } from "agentfold";
import { askPerson } from "./ask-person.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { printTimeline } from "./format-thread.ts";
import type { Output } from "./output.ts";
import { startSpinner } from "./spinner.ts";

export interface DriveOptions {
  out: Output;
  store: ThreadStore;
  agent: Agent;
  model: Model;
  /** Recorded on approvals and answers. */
  actor: string;
  /** Flags a follow-up command must repeat (a non-default `--db`). */
  carry?: readonly string[];
}

/** Raised when the person pressed Ctrl-C while the agent was running. */
export class Interrupted extends CliError {
  readonly thread: Thread;
  constructor(thread: Thread, carry: readonly string[] = []) {
    super(`Stopped. Everything up to here is saved in thread ${thread.id}; continue with: ${resumeCommand(thread, carry)}`, ExitCode.interrupted, "interrupted");
    this.thread = thread;
  }
}

function resumeCommand(thread: Thread, carry: readonly string[]): string {
  return `agentfold resume ${thread.id}${carry.length ? ` ${carry.join(" ")}` : ""}`;
}

/** Errors that are the user's to fix (exit 2) rather than faults (exit 1), by class name. */
const fixableErrors = new Set(["ConfigurationError", "InvalidInputError"]);

/** The error, with a note that the thread is saved and how to continue it once fixed. */
function withResumeHint(error: unknown, thread: Thread, carry: readonly string[]): unknown {
  if (!(error instanceof Error) || error instanceof CliError) return error;
  const fixable = fixableErrors.has(error.name);
  const hint = ` Thread ${thread.id} is saved (${thread.version} events); once this is fixed, continue with: ${resumeCommand(thread, carry)}`;
  const wrapped = new CliError(`${error.message}${hint}`, fixable ? ExitCode.usage : ExitCode.unexpected, (error as Error & { code?: string }).code ?? "unexpected");
  wrapped.cause = error;
  return wrapped;
}

/** A model that shows a spinner for as long as each call takes. */
function withSpinner(model: Model, out: Output): Model {
  if (!out.interactive) return model;
  return new Proxy(model, {
    get(target, property) {
      if (property !== "generate") return Reflect.get(target, property, target);
      return async (request: Parameters<Model["generate"]>[0]) => {
        const spinner = startSpinner(process.stdout, `thinking (${model.id})`);
        try {
          return await target.generate(request);
        } finally {
          spinner.stop();
        }
      };
    },
  });
}

/**
 * Stores a new thread and prints the events it adds.
 *
 * @example
 * thread = await storeAppend(options, agent.approve(thread, callId), thread);
 */
export async function storeAppend(options: Pick<DriveOptions, "out" | "store">, next: Thread, previous: Thread): Promise<Thread> {
  if (next === previous) return next;
  await options.store.append(next, { expectedVersion: previous.version });
  if (!options.out.json) printTimeline(options.out, next.events.slice(previous.version), previous.version);
  return next;
}

/**
 * Runs the thread until it must pause; in a terminal, asks about what it waits for and goes on.
 * Returns the last stored thread.
 *
 * @example
 * const final = await driveThread(thread, { out, store, agent, model, actor: "cli:alice" });
 * process.exitCode = exitCodeFor(final);
 */
export async function driveThread(start: Thread, options: DriveOptions): Promise<Thread> {
  const { out, agent } = options;
  let thread = start;
  for (;;) {
    const action = agent.nextAction(thread).type;
    if (action !== "wait" && action !== "stop") thread = await runAgent(thread, options);
    if (!out.interactive || (thread.status !== "awaiting_approval" && thread.status !== "awaiting_human")) return thread;
    const item = thread.pending.find((candidate) => candidate.kind !== "child");
    if (!item) return thread;
    const next = await askPerson(agent, thread, item, options.actor);
    if (!next) return thread;
    thread = await storeAppend(options, next, thread);
  }
}

async function runAgent(thread: Thread, options: DriveOptions): Promise<Thread> {
  const controller = new AbortController();
  // Ctrl-C stops the run between events; everything committed so far stays stored.
  const interrupt = () => controller.abort();
  process.once("SIGINT", interrupt);
  let latest = thread;
  try {
    return await options.agent.run(thread, {
      model: withSpinner(options.model, options.out),
      signal: controller.signal,
      commit: async (next, previous) => {
        await storeAppend(options, next, previous);
        latest = next;
      },
    });
  } catch (error) {
    if (controller.signal.aborted) throw new Interrupted(latest, options.carry ?? []);
    throw withResumeHint(error, latest, options.carry ?? []);
  } finally {
    process.off("SIGINT", interrupt);
  }
}
