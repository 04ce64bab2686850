/**
 * The models an eval run uses: live, recording, or replaying. Recording and replaying go through the
 * cassettes of `@agentfold/models` (its recording and replaying `fetch`), so a replayed run takes the
 * same adapter path as the recorded one — only the network is gone. Each eval file has its own
 * cassette next to it: `calculator.eval.ts` → `calculator.cassette.json`; a judge with its own
 * model spec gets `calculator.<spec>.cassette.json`.
 */
import { existsSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { ConfigurationError, type Model } from "agentfold";
import type { ModelPrice } from "@agentfold/models";
import type { LoadedSuite } from "./run-evals.ts";

/** `live` calls the model; `record` calls it and saves every exchange; `replay` serves saved ones. */
export type CassetteMode = "live" | "record" | "replay";

export interface EvalModelsOptions {
  /** The model spec under test (`openai:gpt-4o-mini`…). Without it: the default of `resolveModel`. */
  spec?: string;
  mode?: CassetteMode;
  env?: Record<string, string | undefined>;
  /** Price of the model under test, for the cost column. */
  price?: ModelPrice;
  /** Prices of judge models, by spec. */
  judgePrices?: Record<string, ModelPrice>;
}

export interface EvalModels {
  /** The model under test for a suite (its file's cassette when recording or replaying). */
  modelFor(suite: LoadedSuite): Model;
  /** A judge's model, from its spec string. */
  judgeModel(spec: string, suite: LoadedSuite): Model;
}

/** Model specs that talk HTTP, the only ones a cassette can hold. */
const httpPrefixes = ["openai", "anthropic", "google", "ollama", "openai-compatible"];

function slug(text: string): string {
  return text.replace(/[^a-zA-Z0-9._-]+/g, "_").replace(/^_+|_+$/g, "");
}

/**
 * Where the cassette of an eval file lives: next to it, for the model under test or for a judge.
 *
 * @example
 * cassettePath("examples/calculator/calculator.eval.ts");                  // examples/calculator/calculator.cassette.json
 * cassettePath("examples/calculator/calculator.eval.ts", "openai:gpt-4o"); // examples/calculator/calculator.openai_gpt-4o.cassette.json
 */
export function cassettePath(evalFile: string, judgeSpec?: string): string {
  const base = basename(evalFile)
    .replace(/\.eval\.[cm]?[jt]s$/, "")
    .replace(/\.[cm]?[jt]s$/, "");
  return join(dirname(evalFile), judgeSpec === undefined ? `${base}.cassette.json` : `${base}.${slug(judgeSpec)}.cassette.json`);
}

/**
 * Checks that `spec` can be recorded, with an error that says why not.
 *
 * @example
 * assertRecordable("script:steps.json"); // throws: a scripted model has nothing to record
 */
export function assertRecordable(spec: string | undefined): asserts spec is string {
  if (spec === undefined || spec.trim() === "") {
    throw new ConfigurationError("--record needs the model to record: pass --model <spec>, e.g. --model openai:gpt-4o-mini.");
  }
  const prefix = spec.slice(0, Math.max(0, spec.indexOf(":")));
  if (prefix === "script") {
    throw new ConfigurationError(
      `${spec} is a scripted model: its replies are already written down, so there is nothing to record. Record a real model instead, e.g. --model openai:gpt-4o-mini --record.`,
    );
  }
  if (prefix === "record" || prefix === "replay") {
    throw new ConfigurationError(
      `Pass the plain model spec with --record or --replay, not "${spec}": agentfold test picks the cassette next to each eval file.`,
    );
  }
  if (!httpPrefixes.includes(prefix)) {
    throw new ConfigurationError(
      `--record saves HTTP exchanges, and ${spec} makes none. Record one of: ${httpPrefixes.map((name) => `${name}:`).join(", ")}.`,
    );
  }
}

function fileOf(suite: LoadedSuite, mode: CassetteMode): string {
  if (suite.path === undefined)
    throw new ConfigurationError(
      `Suite "${suite.name}" was not loaded from a file, so it has no cassette to ${mode === "record" ? "record into" : "replay from"}.`,
    );
  return suite.path;
}

/**
 * Makes the models of an eval run. Cassettes are checked up front: replaying without one, or
 * recording a model that speaks no HTTP, fails before any case runs.
 *
 * @example
 * const models = await evalModels({ spec: "openai:gpt-4o-mini", mode: "record" });
 * const report = await runEvals(suites, { model: models.modelFor, judgeModel: models.judgeModel });
 */
export async function evalModels(options: EvalModelsOptions): Promise<EvalModels> {
  const mode = options.mode ?? "live";
  // Loaded on demand: the provider SDKs take a while to import, and eval files never need them.
  const { resolveModel, readCassette } = await import("@agentfold/models");
  const env = options.env ?? process.env;
  const judgePrices = options.judgePrices ?? {};
  if (mode === "record") assertRecordable(options.spec);
  if (mode === "replay" && options.spec?.trim()) {
    const prefix = options.spec.slice(0, Math.max(0, options.spec.indexOf(":")));
    if (prefix === "record" || prefix === "replay") assertRecordable(options.spec);
  }

  const byFile = new Map<string, Model>();
  let live: Model | undefined;
  const judges = new Map<string, Model>();

  const replayModel = (path: string, expected: string | undefined, prices: Record<string, ModelPrice>): Model => {
    if (!existsSync(path)) {
      throw new ConfigurationError(
        `There is no cassette ${path} to replay. Record it first: agentfold test <file> --model <spec> --record.`,
      );
    }
    const cassette = readCassette(path);
    if (expected !== undefined && expected.trim() !== "" && expected.trim() !== cassette.spec) {
      throw new ConfigurationError(
        `The cassette ${path} was recorded with ${cassette.spec}, not ${expected}. Drop --model to replay it, or record it again with --model ${expected} --record.`,
      );
    }
    return resolveModel(`replay:${path}`, { env, prices });
  };

  return {
    modelFor(suite) {
      if (mode === "live") {
        live ??= resolveModel(options.spec, {
          env,
          ...(options.price && options.spec ? { prices: { [options.spec]: options.price } } : {}),
        });
        return live;
      }
      const path = cassettePath(fileOf(suite, mode));
      let model = byFile.get(path);
      if (!model) {
        if (mode === "record") {
          const spec = options.spec!;
          model = resolveModel(`record:${spec}`, { env, cassette: path, ...(options.price ? { prices: { [spec]: options.price } } : {}) });
        } else {
          const recorded = existsSync(path) ? readCassette(path).spec : "";
          model = replayModel(path, options.spec, options.price ? { [recorded]: options.price } : {});
        }
        byFile.set(path, model);
      }
      return model;
    },
    judgeModel(spec, suite) {
      const recordable = httpPrefixes.includes(spec.slice(0, Math.max(0, spec.indexOf(":"))));
      if (mode === "live" || !recordable) {
        const key = `live\n${spec}`;
        let judge = judges.get(key);
        if (!judge) judges.set(key, (judge = resolveModel(spec, { env, prices: judgePrices })));
        return judge;
      }
      const path = cassettePath(fileOf(suite, mode), spec);
      let judge = judges.get(path);
      if (!judge) {
        judge =
          mode === "record"
            ? resolveModel(`record:${spec}`, { env, cassette: path, prices: judgePrices })
            : replayModel(path, spec, judgePrices);
        judges.set(path, judge);
      }
      return judge;
    },
  };
}
