/**
 * The model a command uses: `--model`, else `AGENTFOLD_MODEL`, else the default of
 * `@agentfold/models`. Spec strings are those of DESIGN.md (`openai:gpt-4o-mini`, `script:steps.json`…).
 */
import type { Model } from "agentfold";
import { CliError, ExitCode } from "./exit-codes.ts";

/** The model spec in effect: the option, else `AGENTFOLD_MODEL`, else a spec recorded on the thread. */
export function modelSpec(option: string | undefined, env: NodeJS.ProcessEnv, recorded?: string): string | undefined {
  for (const candidate of [option, env.AGENTFOLD_MODEL, recorded]) {
    if (candidate !== undefined && candidate.trim() !== "") return candidate.trim();
  }
  return undefined;
}

type ResolveModel = (spec?: string) => Model | Promise<Model>;

async function modelsPackage(): Promise<{ resolveModel?: ResolveModel }> {
  return (await import("@agentfold/models")) as unknown as { resolveModel?: ResolveModel };
}

/**
 * Resolves a model spec (or the default model when there is none) to a `Model`.
 * Configuration problems (no model, unknown provider, missing key or file) exit with code 2.
 *
 * @example
 * const model = await loadModel("script:./steps.json");
 */
export async function loadModel(spec: string | undefined): Promise<Model> {
  try {
    const { resolveModel } = await modelsPackage();
    if (resolveModel) return await resolveModel(spec);
    return await fallbackModel(spec);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const configuration = error instanceof Error && (error.name === "ConfigurationError" || error.name === "InvalidInputError");
    throw new CliError(reason, configuration ? ExitCode.usage : ExitCode.unexpected, "model");
  }
}

/** Scripted models only, for when `@agentfold/models` offers no `resolveModel`. */
async function fallbackModel(spec: string | undefined): Promise<Model> {
  if (spec === undefined) {
    throw new CliError(
      "No model is configured. Give one in any of three ways: set an API key (OPENAI_API_KEY, ANTHROPIC_API_KEY or " +
        "GOOGLE_GENERATIVE_AI_API_KEY) with --model openai:<model>; point at an OpenAI-compatible server with " +
        "--model openai-compatible:<baseURL>#<model> (or ollama:<model>); or use a local file with --model local:<path.gguf>. " +
        "AGENTFOLD_MODEL works like --model; --model script:<steps.json> replays scripted replies.",
    );
  }
  if (spec.startsWith("script:")) {
    const { scriptedModelFromFile } = await import("agentfold/testing");
    return scriptedModelFromFile(spec.slice("script:".length));
  }
  throw new CliError(`Model spec ${JSON.stringify(spec)} needs @agentfold/models, which cannot resolve it in this install. Use --model script:<steps.json>.`);
}
