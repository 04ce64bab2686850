/**
 * Finding and loading eval files. `*.eval.ts` files anywhere under the working directory (outside
 * `node_modules` and `.git`), or the files, directories and globs given; each file's default export
 * (and any other exported suite) is an eval suite.
 */
import { existsSync, statSync } from "node:fs";
import { glob } from "node:fs/promises";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigurationError } from "agentfold";
import { isEvalSuite, validateSuite } from "./define-eval.ts";
import type { LoadedSuite } from "./run-evals.ts";

/** The pattern used when none is given. */
export const defaultEvalPattern = "**/*.eval.ts";

const skippedDirectories = new Set(["node_modules", ".git"]);

async function globFiles(pattern: string, cwd: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of glob(pattern, { cwd, exclude: (name: string) => skippedDirectories.has(basename(name)) })) {
    const path = resolve(cwd, entry);
    if (statSync(path).isFile()) found.push(path);
  }
  return found;
}

/**
 * The eval files that `patterns` name: a file, a directory (searched for `*.eval.ts`) or a glob
 * relative to `cwd`. Sorted, without duplicates. Throws when nothing matches.
 *
 * @example
 * const files = await findEvalFiles([], process.cwd());              // every **\/*.eval.ts
 * const some = await findEvalFiles(["examples/calculator"], process.cwd());
 */
export async function findEvalFiles(patterns: readonly string[], cwd: string): Promise<string[]> {
  const wanted = patterns.length === 0 ? [defaultEvalPattern] : patterns;
  const files = new Set<string>();
  for (const pattern of wanted) {
    const path = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
    if (existsSync(path) && statSync(path).isFile()) {
      files.add(path);
      continue;
    }
    const matches =
      existsSync(path) && statSync(path).isDirectory() ? await globFiles(defaultEvalPattern, path) : await globFiles(pattern, cwd);
    for (const match of matches) files.add(match);
  }
  if (files.size === 0) {
    throw new ConfigurationError(
      `No eval files match ${wanted.map((pattern) => JSON.stringify(pattern)).join(", ")} in ${cwd}. Eval files are named *.eval.ts and export default defineEval({ agent, cases }).`,
    );
  }
  return [...files].sort();
}

/**
 * Imports an eval file and returns its suites, validated. The default export is named after the
 * file (`calculator.eval.ts` → `calculator`), other exported suites after their export name.
 *
 * @example
 * const suites = await loadEvalFile("examples/calculator/calculator.eval.ts", process.cwd());
 */
export async function loadEvalFile(file: string, cwd: string): Promise<LoadedSuite[]> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  const shown = relative(cwd, path) || path;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(`Cannot load the eval file ${shown}: ${reason}`, { cause: error });
  }
  const base = basename(path)
    .replace(/\.eval\.[cm]?[jt]s$/, "")
    .replace(/\.[cm]?[jt]s$/, "");
  const suites: LoadedSuite[] = [];
  const seen = new Set<unknown>();
  for (const [exportName, value] of Object.entries(namespace)) {
    if (!isEvalSuite(value) || seen.has(value)) continue;
    seen.add(value);
    validateSuite(value, `${shown} (export ${exportName})`);
    const fallback = exportName === "default" ? base : `${base}#${exportName}`;
    suites.push({ suite: value, name: value.name ?? fallback, file: shown, path });
  }
  if (suites.length === 0) {
    const exported = Object.keys(namespace);
    throw new ConfigurationError(
      `The eval file ${shown} exports no eval suite (exports: ${exported.length ? exported.join(", ") : "none"}). Add: export default defineEval({ agent, cases: [...] }).`,
    );
  }
  return suites;
}
