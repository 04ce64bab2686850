/**
 * The model a command uses: `--model`, else `AGENTFOLD_MODEL`, else the spec recorded on the thread,
 * else the default of `@agentfold/models` (an API key's provider, else a small local model). Spec
 * strings are those of DESIGN.md (`openai:gpt-4o-mini`, `script:steps.json`…).
 */
import type { Model } from "agentfold";
import { scriptedModelFromFile } from "agentfold/runtime";
import { CliError, ExitCode } from "./exit-codes.ts";

/** The model spec in effect: the option, else `AGENTFOLD_MODEL`, else a spec recorded on the thread. */
export function modelSpec(option: string | undefined, env: NodeJS.ProcessEnv, recorded?: string): string | undefined {
  for (const candidate of [option, env.AGENTFOLD_MODEL, recorded]) {
    if (candidate !== undefined && candidate.trim() !== "") return candidate.trim();
  }
  return undefined;
}

/** A spec and where it came from, for errors that say where to fix it. */
export interface ChosenSpec {
  spec: string | undefined;
  source: string;
}

/**
 * The model spec in effect and its source: `--model`, else `AGENTFOLD_MODEL`, else the spec
 * `agentfold run` recorded on the thread, else the agent's own (`defineAgent({ model })`), else none
 * (the default model).
 */
export function chooseModelSpec(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  recorded: string | undefined,
  agent: { name: string; model?: string | undefined } | undefined,
): ChosenSpec {
  const candidates: [string | undefined, string][] = [
    [option, "--model"],
    [env.AGENTFOLD_MODEL, "AGENTFOLD_MODEL"],
    [recorded, "the thread (the --model or AGENTFOLD_MODEL agentfold run used)"],
    [agent?.model, `agent "${agent?.name}" (defineAgent({ model }))`],
  ];
  for (const [spec, source] of candidates) {
    if (spec !== undefined && spec.trim() !== "") return { spec: spec.trim(), source };
  }
  return { spec: undefined, source: "the default model" };
}

/** `loadModel`, with an error that names where the spec came from. */
export async function loadChosenModel(chosen: ChosenSpec, env: NodeJS.ProcessEnv = process.env): Promise<Model> {
  try {
    return await loadModel(chosen.spec, env);
  } catch (error) {
    if (!(error instanceof CliError) || chosen.spec === undefined) throw error;
    throw new CliError(`The model "${chosen.spec}" from ${chosen.source} cannot be used: ${error.message}`, error.exitCode, "model");
  }
}

/**
 * Resolves a model spec (or the default model when there is none) to a `Model`.
 * Configuration problems (unknown provider, missing key or file) exit with code 2. The default local
 * model is fetched on its first call; when that is impossible, the call fails with the message that
 * names the three ways to give a model.
 *
 * @example
 * const model = await loadModel("script:./steps.json", process.env);
 */
export async function loadModel(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Model> {
  try {
    // A scripted model is agentfold's own (what resolveModel does for `script:` too): loading the
    // twelve modules of @agentfold/models for it cost a short command a few milliseconds.
    if (spec?.startsWith("script:") && spec.length > "script:".length) return scriptedModelFromFile(spec.slice("script:".length));
    // Loaded only when a command needs a model: the provider SDKs take a while to import.
    const { resolveModel } = await import("@agentfold/models");
    return resolveModel(spec, { env });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const configuration = error instanceof Error && (error.name === "ConfigurationError" || error.name === "InvalidInputError");
    throw new CliError(reason, configuration ? ExitCode.usage : ExitCode.unexpected, "model");
  }
}
