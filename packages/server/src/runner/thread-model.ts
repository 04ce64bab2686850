/**
 * Which model a thread runs with, in order: the spec its launch named (recorded on the thread, so
 * every later step in any process uses it), else the server's model when it overrides the agents'
 * own (`agentfold serve --model`), else the spec `agentfold run` recorded on a thread it started,
 * else the agent's `defineAgent({ model })`, else the server's model.
 *
 * Invariants: a spec is resolved once per process and shared; an error names where the spec came
 * from (the launch, the agent's definition), so the person who can fix it knows where to look.
 */
import { ConfigurationError, type Agent, type Model, type Thread } from "agentfold";
import { describeError } from "agentfold/runtime";

/** The metadata key a launch's `model` is recorded under. */
export const modelMetadataKey = "model";

export interface ModelSettings {
  /** The server's model: for agents that name none, and for all when `modelOverridesAgents`. */
  model: Model;
  /** Resolves the specs of agents and launches; without it, an agent that names a model is refused. */
  resolveModel?: ((spec: string) => Model | Promise<Model>) | undefined;
  modelOverridesAgents?: boolean | undefined;
}

export interface ModelChooser {
  /** The model for the next step of `thread`, driven by `agent`. */
  forThread(thread: Thread, agent: Agent): Promise<Model>;
  /** Resolves a spec now, with an error that names `source` when it cannot be used. */
  resolve(spec: string, source: string): Promise<Model>;
  /** Resolves every agent's own spec that this server would use, so a bad one stops the start. */
  checkAgents(agents: Iterable<Agent>): Promise<void>;
}

/** The spec `agentfold run` recorded on a thread it started (`metadata.cli.model`), if any. */
export function cliModelOf(thread: Thread): string | undefined {
  const cli = thread.metadata.cli;
  const spec = cli !== null && typeof cli === "object" && !Array.isArray(cli) ? cli.model : undefined;
  return typeof spec === "string" && spec !== "" ? spec : undefined;
}

/** The spec a launch recorded on the thread, if any. */
export function launchModelOf(thread: Thread): string | undefined {
  const spec = thread.metadata[modelMetadataKey];
  return typeof spec === "string" && spec !== "" ? spec : undefined;
}

export function createModelChooser(settings: ModelSettings): ModelChooser {
  const resolved = new Map<string, Promise<Model>>();
  const resolve = (spec: string, source: string): Promise<Model> => {
    const { resolveModel } = settings;
    if (!resolveModel) {
      return Promise.reject(
        new ConfigurationError(
          `${source} names the model "${spec}", but this runner was given no resolveModel to turn a spec into a model.`,
        ),
      );
    }
    let model = resolved.get(spec);
    if (!model) {
      model = Promise.resolve()
        .then(() => resolveModel(spec))
        .catch((error: unknown) => {
          resolved.delete(spec);
          throw new ConfigurationError(`The model "${spec}" of ${source} cannot be used: ${describeError(error)}`);
        });
      resolved.set(spec, model);
    }
    return model;
  };
  const agentSource = (agent: Agent) => `agent "${agent.name}" (defineAgent({ model }))`;
  return {
    resolve,
    forThread(thread, agent) {
      const launched = launchModelOf(thread);
      if (launched) return resolve(launched, `the launch of thread ${thread.id} ("model" in POST /v1/threads)`);
      if (settings.modelOverridesAgents) return Promise.resolve(settings.model);
      // A thread `agentfold run` started goes on with the model it ran with, as the CLI's own commands
      // do (a runner that cannot resolve specs — the CLI's own — was given that model already).
      const run = settings.resolveModel ? cliModelOf(thread) : undefined;
      if (run) return resolve(run, `thread ${thread.id} (the --model agentfold run recorded)`);
      if (agent.model) return resolve(agent.model, agentSource(agent));
      return Promise.resolve(settings.model);
    },
    async checkAgents(agents) {
      if (settings.modelOverridesAgents) return;
      for (const agent of agents) if (agent.model) await resolve(agent.model, agentSource(agent));
    },
  };
}
