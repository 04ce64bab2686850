/**
 * Advancing a thread from the terminal: run the agent with every batch of new events stored as it
 * happens, show a spinner while the model thinks, and — in a terminal — ask the person about each
 * pending approval or question, then go on until the thread is done, fails, or waits.
 *
 * Every write happens under the thread's lease, with its fencing token, like a server's runner: a
 * server on the same database never takes a live CLI run for a crashed one, and a CLI never writes
 * over a thread a server is advancing. The lease is not held while a person is asked.
 */
import { hostname } from "node:os";
import type { Agent, Model, ModelDelta, ModelRequest, Thread, ThreadStore } from "agentfold";
import {
  applyHumanAction,
  holdLease,
  LeaseLostError,
  nextWakeAt,
  resumeChild,
  ThreadBusyError,
  VersionConflictError,
  type LeaseGuard,
} from "agentfold/runtime";
import type { ThreadChange } from "@agentfold/server";
import { askPerson } from "./ask-person.ts";
import { currentContext } from "./commands/context.ts";
import { commandName } from "./command-name.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { printTimeline, retryText } from "./format-thread.ts";
import { colorsFor, type Output } from "./output.ts";
import { startSpinner, type Spinner } from "./spinner.ts";
import { startStreamPreview, type StreamPreview } from "./stream-preview.ts";

export interface DriveOptions {
  out: Output;
  store: ThreadStore;
  agent: Agent;
  model: Model;
  /** Recorded on approvals and answers. */
  actor: string;
  /** Flags a follow-up command must repeat (a non-default `--db`). */
  carry?: readonly string[];
  /** `AGENTFOLD_LEASE_WAIT_MS`: how long to wait for a thread another process is advancing. */
  leaseWaitMs?: number;
  /** The agent driving a thread (after a handoff, the one it was passed to). */
  agentFor?(thread: Thread): Promise<Agent>;
  /** The model for an agent a handoff passed the thread to. Default: `model`. */
  modelFor?(agent: Agent): Promise<Model>;
}

/** The thread's lease while this command writes it. */
export interface ThreadLease {
  /** The fencing token every append carries. */
  fence: number;
  /** Aborted when the lease is lost. */
  signal: AbortSignal;
  /** Checked right before each tool runs: no tool runs once the lease can no longer be counted on. */
  guard?: LeaseGuard;
}

/**
 * How long a command waits for a thread another process is advancing: `AGENTFOLD_LEASE_WAIT_MS`,
 * else 10 s (a typical step; a server waits as long for a person's action).
 */
export function leaseWaitFrom(env: NodeJS.ProcessEnv): number {
  const text = env.AGENTFOLD_LEASE_WAIT_MS;
  if (text === undefined || text === "") return 10_000;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new CliError(`AGENTFOLD_LEASE_WAIT_MS must be a whole number of milliseconds, got ${JSON.stringify(text)}.`);
  }
  return value;
}

function busyError(threadId: string, detail: string): CliError {
  return new CliError(
    `Thread ${threadId} ${detail} by another process (an agentfold server or another agentfold command on the same database). Wait until it pauses, then retry; see where it is with: ${commandName()} threads show ${threadId}`,
    ExitCode.busy,
    "thread_busy",
  );
}

/**
 * Runs `work` holding the thread's lease (owner `cli:<host>:<pid>`); a thread another process is
 * advancing is a `CliError` with exit code 7 once `waitMs` pass.
 *
 * @example
 * await withThreadLease(store, thread.id, 10_000, (lease) => applyChange({ out, store, lease }, thread.id, (current) => agent.cancel(current)));
 */
export async function withThreadLease<T>(
  store: ThreadStore,
  threadId: string,
  waitMs: number,
  work: (lease: ThreadLease) => Promise<T>,
): Promise<T> {
  let held = false;
  try {
    return await holdLease(store, threadId, { owner: `cli:${hostname()}:${process.pid}`, waitMs }, (fence, signal, guard) => {
      held = true;
      return work({ fence, signal, guard });
    });
  } catch (error) {
    // Only this thread's lease: a child agent's busy thread inside `work` is reported as it is.
    if (!held && error instanceof ThreadBusyError) throw busyError(threadId, "is being advanced right now");
    if (error instanceof LeaseLostError && error.message.includes(`thread ${threadId} `)) throw busyError(threadId, "was taken over");
    throw error;
  }
}

/** Raised when the person pressed Ctrl-C while the agent was running. */
export class Interrupted extends CliError {
  readonly thread: Thread;
  constructor(thread: Thread, carry: readonly string[] = []) {
    super(
      `Stopped. Everything up to here is saved in thread ${thread.id}; continue with: ${resumeCommand(thread, carry)}`,
      ExitCode.interrupted,
      "interrupted",
    );
    this.thread = thread;
  }
}

function resumeCommand(thread: Thread, carry: readonly string[]): string {
  return `${commandName()} resume ${thread.id}${carry.length ? ` ${carry.join(" ")}` : ""}`;
}

/** Errors that are the user's to fix (exit 2) rather than faults (exit 1), by class name. */
const fixableErrors = new Set(["ConfigurationError", "InvalidInputError"]);

/** The error, with a note that the thread is saved and how to continue it once fixed. */
function withResumeHint(error: unknown, thread: Thread, carry: readonly string[]): unknown {
  if (!(error instanceof Error) || error instanceof CliError) return error;
  const fixable = fixableErrors.has(error.name);
  const hint = ` Thread ${thread.id} is saved (${thread.version} events); once this is fixed, continue with: ${resumeCommand(thread, carry)}`;
  const wrapped = new CliError(
    `${error.message}${hint}`,
    fixable ? ExitCode.usage : ExitCode.unexpected,
    (error as Error & { code?: string }).code ?? "unexpected",
  );
  wrapped.cause = error;
  return wrapped;
}

/** The spinner on screen, if any: a line printed meanwhile (a retry's event) erases it first. */
let activeSpinner: Spinner | undefined;
/** The streamed reply on screen, if any: a line printed meanwhile starts below it. */
let activePreview: StreamPreview | undefined;
/** Threads whose model call shows through `withSpinner` right now (a child on its parent's model too). */
const previewing = new Set<string>();

/**
 * A model that shows a spinner until its reply starts to stream, then the reply as it arrives
 * (stream-preview.ts), and each retry it waits out.
 */
function withSpinner(model: Model, out: Output): Model {
  if (!out.interactive) return model;
  return new Proxy(model, {
    get(target, property) {
      if (property !== "generate") return Reflect.get(target, property, target);
      return async (request: Parameters<Model["generate"]>[0]) => {
        const { stdout, env } = currentContext();
        const thinking = `thinking (${model.id})`;
        const spinner = startSpinner(stdout, thinking, colorsFor(stdout, env));
        activeSpinner = spinner;
        const onRetry: ModelRequest["onRetry"] = (retry) => {
          request.onRetry?.(retry);
          spinner.update(`${thinking}: ${retryText(retry)}`);
        };
        const preview = startStreamPreview(stdout, colorsFor(stdout, env));
        const onDelta: ModelRequest["onDelta"] = (delta) => {
          request.onDelta?.(delta);
          // The first piece replaces the spinner; the reply itself shows that the model is working.
          activeSpinner = undefined;
          spinner.stop();
          activePreview = preview;
          preview.write(delta);
        };
        previewing.add(request.threadId);
        try {
          return await target.generate({ ...request, onRetry, onDelta });
        } finally {
          previewing.delete(request.threadId);
          activeSpinner = undefined;
          activePreview = undefined;
          spinner.stop();
          preview.breakLine();
        }
      };
    },
  });
}

/**
 * Stores a new version of the thread with the lease's fencing token and prints the events it adds.
 *
 * @example
 * thread = await storeAppend({ out, store, lease }, agent.approve(thread, callId), thread);
 */
export async function storeAppend(
  options: Pick<DriveOptions, "out" | "store"> & { lease: ThreadLease },
  next: Thread,
  previous: Thread,
): Promise<Thread> {
  if (next === previous) return next;
  await options.store.append(next, { expectedVersion: previous.version, fence: options.lease.fence });
  if (!options.out.json) {
    activeSpinner?.clear();
    activePreview?.breakLine();
    printTimeline(options.out, next.events.slice(previous.version), previous.version);
  }
  return next;
}

/**
 * Applies a person's change (its agent already given) to the thread as stored and stores it (under
 * the lease). When someone wrote the thread in between without the lease (a cancel), it reloads and
 * applies the change once more, so the error, if any, says what the thread's state is now ("…
 * already decided").
 */
export async function applyChange(
  options: Pick<DriveOptions, "out" | "store"> & { lease: ThreadLease },
  threadId: string,
  change: (thread: Thread) => Thread,
): Promise<Thread> {
  for (let attempt = 0; ; attempt++) {
    const current = await options.store.load(threadId);
    if (!current) throw new CliError(`Thread ${threadId} no longer exists.`);
    try {
      return await storeAppend(options, change(current), current);
    } catch (error) {
      if (error instanceof VersionConflictError && attempt === 0) continue;
      throw error;
    }
  }
}

/**
 * Runs the thread until it must pause; in a terminal, asks about what it waits for and goes on.
 * `change` (an approval, a rejection, an answer or a message: a `ThreadChange`, as a server's runner
 * takes) is applied first, to the thread as stored. Every write is made under the thread's lease.
 * Returns the last stored thread.
 *
 * @example
 * const final = await driveThread(thread, { out, store, agent, model, actor: "cli:alice" });
 * process.exitCode = exitCodeFor(final);
 */
export async function driveThread(start: Thread, options: DriveOptions, change?: ThreadChange): Promise<Thread> {
  const { out } = options;
  let driving = { agent: options.agent, model: options.model };
  let thread = start;
  let pendingChange = change;
  for (;;) {
    const first = pendingChange;
    pendingChange = undefined;
    thread = await withThreadLease(options.store, thread.id, options.leaseWaitMs ?? 10_000, async (lease) => {
      let current = first
        ? await applyChange({ ...options, lease }, thread.id, (stored) => first(stored, driving.agent))
        : ((await options.store.load(thread.id)) ?? thread);
      current = await resumeReadyChildren({ ...options, lease }, current);
      for (;;) {
        const action = driving.agent.nextAction(current);
        if (action.type === "wait" || action.type === "stop") return current;
        // A handoff passed the thread to another agent: it takes the next steps, under the same lease.
        if (action.type === "handoff") {
          driving = await handedTo(options, current, action.to);
          continue;
        }
        const before = current;
        current = await runAgent(current, { ...options, ...driving }, lease);
        if (current === before) return current;
      }
    });
    if (!out.interactive || (thread.status !== "awaiting_approval" && thread.status !== "awaiting_human")) return thread;
    const item = thread.pending.find((candidate) => candidate.kind !== "child");
    if (!item) return thread;
    // The person is asked without the lease: a paused thread holds nothing.
    const asked = thread;
    const action = await askPerson(driving.agent, asked, item, options.actor);
    if (!action) return thread;
    pendingChange = (current) => {
      if (current.version !== asked.version) {
        throw new CliError(
          `Thread ${asked.id} changed while you were deciding (it is now ${current.status}); see it with: ${commandName()} threads show ${asked.id}`,
          ExitCode.busy,
          "conflict",
        );
      }
      return applyHumanAction(driving.agent, current, action);
    };
  }
}

/** The agent a handoff named, from the thread's module, with its model; a clear error when it is not there. */
async function handedTo(options: DriveOptions, thread: Thread, name: string): Promise<{ agent: Agent; model: Model }> {
  const agent = await options.agentFor?.(thread);
  if (agent?.name !== name) {
    throw new CliError(
      `Thread ${thread.id} was handed off to agent "${name}", which this command cannot find: export it from the thread's agent module, or pass --agents <module>.`,
    );
  }
  return { agent, model: (await options.modelFor?.(agent)) ?? options.model };
}

/**
 * Marks the children the thread waits for that can go on (a person answered them with
 * --no-continue, or a server did; a timer of theirs has come due) as resumed, so the next run
 * continues them (the parent's tool fires the child's timer) and reads their results. A child that
 * still waits is left as it is.
 */
async function resumeReadyChildren(options: Pick<DriveOptions, "out" | "store"> & { lease: ThreadLease }, thread: Thread): Promise<Thread> {
  let current = thread;
  for (const item of thread.pending) {
    if (item.kind !== "child") continue;
    const child = await options.store.load(item.childThreadId);
    if (!child || child.status === "awaiting_approval" || child.status === "awaiting_human") continue;
    if (child.status === "waiting" && !isDue(child)) continue;
    current = await storeAppend(options, resumeChild(current, item.callId), current);
  }
  return current;
}

/** Whether a waiting thread has something due now (a timer, a request's deadline). */
function isDue(thread: Thread): boolean {
  const wakeAt = nextWakeAt(thread.state);
  return wakeAt !== undefined && Date.parse(wakeAt) <= Date.now();
}

/**
 * Shows the replies of child agents' own models (`asTool({ model })`) as they stream, each under a
 * line naming the child's thread: the pieces reach the parent's step marked with the child's thread
 * (`childThreadId`). A child on the parent's model already shows through `withSpinner`.
 */
function childReplies(out: Output, thread: Thread): { onModelDelta?: (delta: ModelDelta, seen: Thread) => void; end(): void } {
  if (!out.interactive) return { end: () => {} };
  const previews = new Map<string, StreamPreview>();
  return {
    onModelDelta(delta, seen) {
      const childId = delta.childThreadId;
      if (childId === undefined || seen.id !== thread.id || previewing.has(childId)) return;
      let preview = previews.get(childId);
      if (!preview || activePreview !== preview) {
        const { stdout, env } = currentContext();
        activeSpinner?.clear();
        activePreview?.breakLine();
        out.line(out.paint("gray", `child thread ${childId}:`));
        preview ??= startStreamPreview(stdout, colorsFor(stdout, env));
        previews.set(childId, preview);
        activePreview = preview;
      }
      preview.write(delta);
    },
    end() {
      for (const preview of previews.values()) preview.breakLine();
      activePreview = undefined;
    },
  };
}

async function runAgent(thread: Thread, options: DriveOptions, lease: ThreadLease): Promise<Thread> {
  const controller = new AbortController();
  // Ctrl-C stops the run between events; everything committed so far stays stored.
  const stopListening = currentContext().onInterrupt(() => controller.abort());
  let latest = thread;
  const children = childReplies(options.out, thread);
  try {
    return await options.agent.run(thread, {
      model: withSpinner(options.model, options.out),
      ...(children.onModelDelta ? { onModelDelta: children.onModelDelta } : {}),
      signal: AbortSignal.any([controller.signal, lease.signal]),
      ...(lease.guard ? { lease: lease.guard } : {}),
      // Child agents keep their threads in this store (a module never makes one).
      threads: options.store,
      commit: async (next, previous) => {
        await storeAppend({ ...options, lease }, next, previous);
        latest = next;
      },
    });
  } catch (error) {
    if (controller.signal.aborted) throw new Interrupted(latest, options.carry ?? []);
    const lost = lease.signal.aborted ? lease.signal.reason : error;
    if (lost instanceof LeaseLostError) throw busyError(thread.id, "was taken over");
    if (lease.signal.aborted) throw withResumeHint(lost, latest, options.carry ?? []);
    throw withResumeHint(error, latest, options.carry ?? []);
  } finally {
    children.end();
    stopListening();
  }
}
