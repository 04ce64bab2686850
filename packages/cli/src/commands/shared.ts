/**
 * What several commands share: the store in effect, loading a thread or its agent, recording who
 * acted, and printing the final state with the exit code it maps to.
 */
import { userInfo } from "node:os";
import { isAbsolute, resolve } from "node:path";
import type { Agent, JsonValue, Model, Thread, ThreadStore } from "agentfold";
import { CliError } from "../exit-codes.ts";
import { commandName } from "../command-name.ts";
import { exitCodeFor, printThreadState, threadSummary } from "../format-thread.ts";
import { loadAgentModule, parseTarget, pickAgent } from "../load-agents.ts";
import { loadModel, modelSpec } from "../load-model.ts";
import { openStore, redact, storeSpec } from "../open-store.ts";
import { shellQuote, type Output } from "../output.ts";

/** Options every thread command accepts. */
export interface StoreOptions {
  db?: string;
  json?: boolean;
}

/** What `agentfold run` records on a thread so later commands can continue it without flags. */
export interface RecordedRun {
  /** Absolute path of the agent module. */
  module?: string;
  /** The model spec the run used. */
  model?: string;
}

/** The flags a follow-up command must repeat: a `--db` that was given explicitly. */
export function carryFlags(options: StoreOptions, env: NodeJS.ProcessEnv): string[] {
  if (options.db === undefined) return [];
  const { spec } = storeSpec(options.db, env);
  return ["--db", shellQuote(spec)];
}

/**
 * Opens the store for one command and closes it afterwards, whatever happens.
 *
 * @example
 * const code = await withStore({ db: "./my.db" }, process.env, process.cwd(), (store) => listThreads(store));
 */
export async function withStore<T>(
  options: StoreOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
  use: (store: ThreadStore, spec: string) => Promise<T>,
): Promise<T> {
  const { spec } = storeSpec(options.db, env);
  const store = await openStore(spec, cwd);
  try {
    return await use(store, spec);
  } finally {
    await store.close();
  }
}

/** Loads a thread or explains that there is none. */
export async function loadThread(store: ThreadStore, threadId: string, spec: string): Promise<Thread> {
  const thread = await store.load(threadId);
  if (!thread) {
    throw new CliError(
      `No thread with id ${JSON.stringify(threadId)} in ${redact(spec)}. List threads with: ${commandName()} threads ls (add --db when they live elsewhere).`,
    );
  }
  return thread;
}

/** The `cli` metadata of a thread started by `agentfold run`. */
export function recordedRun(thread: Thread): RecordedRun {
  const value = thread.metadata.cli;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  const record = value as Record<string, JsonValue>;
  return {
    ...(typeof record.module === "string" ? { module: record.module } : {}),
    ...(typeof record.model === "string" ? { model: record.model } : {}),
  };
}

/** The metadata `agentfold run` stores: the module path and model spec, so others can continue. */
export function runMetadata(modulePath: string, model: string | undefined): Record<string, JsonValue> {
  return { cli: { module: modulePath, ...(model === undefined ? {} : { model }) } };
}

/**
 * The agent that owns a thread: from `--agents <module>`, else the module recorded by `agentfold run`.
 *
 * @example
 * const agent = await agentForThread(thread, options.agents, process.cwd());
 */
export async function agentForThread(thread: Thread, agentsOption: string | undefined, cwd: string): Promise<Agent> {
  const recorded = recordedRun(thread).module;
  const target = agentsOption ?? recorded;
  if (target === undefined) {
    throw new CliError(
      `Thread ${thread.id} was not started by agentfold run, so its agent module is unknown. Pass it with --agents <module>.`,
    );
  }
  const { module, agentName } = parseTarget(target);
  const loaded = await loadAgentModule(module, cwd);
  if (agentName !== undefined) return pickAgent(loaded, agentName, module);
  if (thread.agent !== undefined) {
    const found = loaded.agents.find((agent) => agent.name === thread.agent);
    if (found) return found;
    throw new CliError(
      `Thread ${thread.id} belongs to agent "${thread.agent}", which ${module} does not export (agents found: ${loaded.agents.map((agent) => agent.name).join(", ")}). Pass the right module with --agents.`,
    );
  }
  return pickAgent(loaded, undefined, module);
}

/** Makes the path inside a `script:` spec absolute, so the spec recorded on a thread works from anywhere. */
export function absoluteModelSpec(spec: string | undefined, cwd: string): string | undefined {
  if (spec === undefined || !spec.startsWith("script:")) return spec;
  const path = spec.slice("script:".length);
  return `script:${isAbsolute(path) ? path : resolve(cwd, path)}`;
}

/** Resolves the model for a command: `--model`, `AGENTFOLD_MODEL`, the spec recorded on the thread, the default. */
export async function modelFor(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  thread?: Thread,
): Promise<{ model: Model; spec: string | undefined }> {
  const spec = absoluteModelSpec(modelSpec(option, env, thread ? recordedRun(thread).model : undefined), cwd);
  return { model: await loadModel(spec, env), spec };
}

/** Who acted, as recorded on approvals and answers: `cli:<user name>`. */
export function actorName(env: NodeJS.ProcessEnv): string {
  if (env.AGENTFOLD_ACTOR) return env.AGENTFOLD_ACTOR;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

/**
 * Prints where the thread ended up (or its JSON summary) and returns the exit code for its status.
 *
 * @example
 * return finish(out, thread, carryFlags(options, env));
 */
export function finish(out: Output, thread: Thread, carry: readonly string[]): number {
  if (out.json) out.data(threadSummary(thread, carry));
  else printThreadState(out, thread, carry);
  return exitCodeFor(thread);
}

/** Parses `--args` JSON: an object, or a clear usage error. */
export function parseArgsOption(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--args is not valid JSON: ${(error as Error).message}. Give a JSON object, e.g. --args '{"a": 3, "b": 4}'.`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError(`--args must be a JSON object, e.g. --args '{"a": 3, "b": 4}', got ${text}.`);
  }
  return value as Record<string, unknown>;
}
