/**
 * What several commands share: the store in effect, loading a thread or its agent, recording who
 * acted, and printing the final state with the exit code it maps to.
 */
import { userInfo } from "node:os";
import { isAbsolute, resolve } from "node:path";
import type { Agent, JsonValue, Model, Thread, ThreadStore } from "agentfold";
import { findThreadAgent, parentOf, rootThreadOf } from "agentfold/runtime";
import { CliError } from "../exit-codes.ts";
import { commandName } from "../command-name.ts";
import { exitCodeFor, printThreadState, threadSummary } from "../format-thread.ts";
import { configuredAgents } from "../agent-config.ts";
import { loadAgentModule, parseTarget, pickAgent, type LoadedModule } from "../load-agents.ts";
import { chooseModelSpec, loadChosenModel } from "../load-model.ts";
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
 * The thread a family starts from: the thread itself, or the top ancestor of a child agent's thread
 * (what `agentfold run` recorded its module and model on).
 */
export function rootOf(store: ThreadStore, thread: Thread): Promise<Thread> {
  return rootThreadOf(thread, (id) => store.load(id));
}

/** The agent modules to look in for a thread's agent, and where that choice came from. */
async function agentModules(root: Thread, agentsOption: string | undefined, env: NodeJS.ProcessEnv, cwd: string) {
  if (agentsOption !== undefined) return { modules: [agentsOption], source: "--agents" };
  const recorded = recordedRun(root).module;
  if (recorded !== undefined) return { modules: [recorded], source: `agentfold run on thread ${root.id}` };
  return configuredAgents(env, cwd);
}

/**
 * The agent that owns a thread, from the modules in `--agents <module>`, else the module
 * `agentfold run` recorded on the thread (or its top ancestor), else `AGENTFOLD_AGENTS`, else
 * `agentfold.config.ts`. A child agent's thread gets the agent its parent's tool runs.
 *
 * @example
 * const agent = await agentForThread(store, thread, options.agents, { cwd: process.cwd(), env: process.env });
 */
export async function agentForThread(
  store: ThreadStore,
  thread: Thread,
  agentsOption: string | undefined,
  context: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Agent> {
  return (await threadAgentAndModules(store, thread, agentsOption, context)).agent;
}

/** `agentForThread`, with the modules it looked in (what a command that names the agent's export needs). */
export async function threadAgentAndModules(
  store: ThreadStore,
  thread: Thread,
  agentsOption: string | undefined,
  context: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ agent: Agent; modules: LoadedModule[] }> {
  const root = await rootOf(store, thread);
  const targets = await agentModules(root, agentsOption, context.env, context.cwd);
  if (!targets) {
    throw new CliError(
      `The agent module of thread ${thread.id} is unknown: it was not started by agentfold run. Pass --agents <module>, set AGENTFOLD_AGENTS=<module>, or write agentfold.config.ts with: export default { agents: "./agents.ts" }`,
    );
  }
  const loaded = await Promise.all(
    targets.modules.map(async (target) => {
      const { module, agentName } = parseTarget(target);
      return { module, agentName, loaded: await loadAgentModule(module, context.cwd) };
    }),
  );
  const modules = loaded.map((entry) => entry.loaded);
  const [only, ...others] = loaded;
  if (only && others.length === 0 && only.agentName !== undefined && !parentOf(thread)) {
    return { agent: pickAgent(only.loaded, only.agentName, only.module), modules };
  }
  const agents = loaded.flatMap((entry) => entry.loaded.agents);
  const found = await findThreadAgent(thread, {
    byName: (name) => agents.find((agent) => agent.name === name),
    load: (id) => store.load(id),
  });
  if (found) return { agent: found, modules };
  if (thread.agent === undefined && only && others.length === 0) return { agent: pickAgent(only.loaded, undefined, only.module), modules };
  throw new CliError(
    `Thread ${thread.id} belongs to agent "${thread.drivingAgent}", which ${targets.modules.join(", ")} (from ${targets.source}) does not export (agents found: ${agents.map((agent) => agent.name).join(", ")}). Pass the right module with --agents.`,
  );
}

/** Makes the path inside a `script:` spec absolute, so the spec recorded on a thread works from anywhere. */
export function absoluteModelSpec(spec: string | undefined, cwd: string): string | undefined {
  if (spec === undefined || !spec.startsWith("script:")) return spec;
  const path = spec.slice("script:".length);
  return `script:${isAbsolute(path) ? path : resolve(cwd, path)}`;
}

/** The agent whose own model a command may use: a child agent's runs with its family's, so none. */
export function ownAgent(thread: Thread, agent: Agent): Agent | undefined {
  return parentOf(thread) ? undefined : agent;
}

/**
 * Resolves the model for a command: `--model`, `AGENTFOLD_MODEL`, the spec recorded on the thread,
 * the agent's own (`defineAgent({ model })`), the default. `spec` is the one to record on a new
 * thread: only a spec given for this run, so an agent's own model stays its own after a handoff.
 * `forAgent` is the model for another agent of the thread (one a handoff passed it to).
 */
export async function modelFor(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  thread?: Thread,
  agent?: Agent,
): Promise<{ model: Model; spec: string | undefined; forAgent: (other: Agent) => Promise<Model> }> {
  const recorded = thread ? recordedRun(thread).model : undefined;
  const given = chooseModelSpec(option, env, recorded, undefined);
  const chosen = given.spec === undefined ? chooseModelSpec(undefined, {}, undefined, agent) : given;
  const model = await loadChosenModel({ ...chosen, spec: absoluteModelSpec(chosen.spec, cwd) }, env);
  const forAgent = async (other: Agent): Promise<Model> => {
    if (given.spec !== undefined || other.model === agent?.model) return model;
    const own = chooseModelSpec(undefined, {}, undefined, other);
    return loadChosenModel({ ...own, spec: absoluteModelSpec(own.spec, cwd) }, env);
  };
  return { model, spec: absoluteModelSpec(given.spec, cwd), forAgent };
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
