/**
 * `npm run build`: builds every package (or the ones named) from `src/` to `dist/`: `.d.ts` from tsc
 * (which also type-checks the package against its siblings' declarations), and one JavaScript file
 * per published entry point bundled by rolldown, with a source map holding the sources. The sources
 * stay the truth: the repository runs and tests them directly (the `agentfold-source` export
 * condition); only published tarballs use `dist/`, and `npm pack` rebuilds it first (each package's
 * `prepack`).
 *
 *   node scripts/build.ts            # every package
 *   node scripts/build.ts core cli   # the folders named
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/** Package folders under packages/ that publish a build, in the order their imports point. */
export const builtPackages = ["core", "models", "stores", "server", "channels", "web", "evals", "mcp", "create-agentfold", "cli"];

/** The sibling packages `folder` depends on, by folder (their declarations are what its build reads). */
function siblingsOf(folder: string): string[] {
  const manifest = (name: string) =>
    JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8")) as Record<
      string,
      Record<string, string> | string | undefined
    >;
  const byName = new Map(builtPackages.map((name) => [manifest(name).name as string, name]));
  const own = manifest(folder);
  const names = [own.dependencies, own.peerDependencies, own.devDependencies].flatMap((map) =>
    Object.keys((map as Record<string, string> | undefined) ?? {}),
  );
  return names.flatMap((name) => byName.get(name) ?? []).filter((name) => name !== folder);
}

/** Files copied into dist/ as they are: read at run time, never imported. */
const copied: Record<string, [from: string, to: string][]> = {
  // `agentfold eject prompt` copies this file into a project; it lives outside dist's module graph
  // so a user's TypeScript never resolves an import to it.
  core: [["src/default-prompt.ts", "dist/templates/default-prompt.ts"]],
};

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * tsc rewrites `./x.ts` to `./x.js` in emitted JavaScript but leaves declaration files as written;
 * a consumer's TypeScript must find `./x.js` (which it maps to `./x.d.ts`), so rewrite those too.
 * And make every declaration that needs Node's types say so.
 */
function rewriteDeclarations(dist: string): void {
  for (const file of filesUnder(dist).filter((path) => path.endsWith(".d.ts"))) {
    const text = readFileSync(file, "utf8");
    let rewritten = text.replace(/((?:from|import)\s*\(?\s*)"(\.\.?\/[^"]+)\.ts"/g, '$1"$2.js"');
    // Declarations that name Node's types load them themselves: since TypeScript 6 a project
    // includes no @types by default, and `NodeJS.ProcessEnv` or `node:fs` would not resolve.
    if (/\bNodeJS\.|from "node:|import\("node:/.test(rewritten) && !rewritten.includes('<reference types="node"')) {
      rewritten = `/// <reference types="node" />\n${rewritten}`;
    }
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

/** The package's entry points, `src/x.ts` → `dist/x.js`, from the `exports` of its package.json. */
function entryPoints(directory: string): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(directory, "package.json"), "utf8")) as {
    exports: Record<string, string | Record<string, string>>;
  };
  const entries: Record<string, string> = {};
  for (const target of Object.values(manifest.exports)) {
    if (typeof target === "string") continue;
    const source = target["agentfold-source"];
    const built = target.default;
    if (!source || !built) continue;
    entries[built.replace(/^\.\/dist\//, "").replace(/\.js$/, "")] = join(directory, source);
  }
  return entries;
}

/**
 * Bundles each entry point into one file: a fresh process loads three files instead of a hundred
 * (`agentfold approve` loaded 85 of our own modules, each resolved, read and linked on its own; see
 * docs/decisions/2026-11-30-packaging.md). Only the package's own modules go in:
 * siblings, third-party packages (zod above all: the user's schemas must meet the same copy) and
 * Node's builtins stay imports. Modules shared by two entries (`agentfold` and `agentfold/runtime`
 * hand out the same classes) and modules imported with `import()` go to `dist/chunks/`, so a shared
 * module still runs once and a lazy one still loads late. Each file's map carries the sources it
 * was made from (the packaging test compares them with src/).
 */
async function bundle(directory: string): Promise<void> {
  const { rolldown } = await import("rolldown");
  const build = await rolldown({
    input: entryPoints(directory),
    cwd: directory,
    platform: "node",
    external: (id, importer) => importer !== undefined && !id.startsWith(".") && !id.startsWith("/"),
    transform: { target: "es2024" },
    logLevel: "warn",
  });
  const { output } = await build.write({
    dir: join(directory, "dist"),
    format: "esm",
    sourcemap: true,
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/[name]-[hash].js",
  });
  await build.close();
  for (const chunk of output) {
    if (chunk.type === "chunk") addUnmappedModules(join(directory, "dist", `${chunk.fileName}.map`), chunk.moduleIds);
  }
}

/**
 * A module that only re-exports (an `index.ts`) produces no code of its own, so the bundler leaves it
 * out of the map; it still decides what the file exports. List every module of the file, with its
 * text, so that the map names all the sources the file was made from.
 */
function addUnmappedModules(mapFile: string, moduleIds: readonly string[]): void {
  const map = JSON.parse(readFileSync(mapFile, "utf8")) as { sources: string[]; sourcesContent: (string | null)[] };
  const listed = new Set(map.sources.map((source) => join(dirname(mapFile), source)));
  for (const id of moduleIds.filter((id) => id.startsWith("/") && !listed.has(id))) {
    map.sources.push(relative(dirname(mapFile), id));
    map.sourcesContent.push(readFileSync(id, "utf8"));
  }
  writeFileSync(mapFile, JSON.stringify(map));
}

/**
 * tsc inlines sources into JavaScript maps only; put them into the declaration maps too, so that a
 * module made only of types also says which text its `.d.ts` was made from.
 */
function inlineDeclarationSources(dist: string): void {
  for (const mapFile of filesUnder(dist).filter((path) => path.endsWith(".d.ts.map"))) {
    const map = JSON.parse(readFileSync(mapFile, "utf8")) as { sources: string[]; sourcesContent?: string[] };
    map.sourcesContent = map.sources.map((source) => readFileSync(join(dirname(mapFile), source), "utf8"));
    writeFileSync(mapFile, JSON.stringify(map));
  }
}

/** tsc's one-file-per-module JavaScript, which the bundles replace (its `.d.ts` stay). */
function removeCompiledJavaScript(dist: string): void {
  for (const file of filesUnder(dist).filter((path) => path.endsWith(".js") || path.endsWith(".js.map"))) rmSync(file);
}

export async function buildPackage(folder: string): Promise<void> {
  // A package compiles against its siblings' declarations: in a fresh clone (or when `npm pack`
  // runs one package's prepack) build the ones that have no dist/ yet, dependencies first.
  for (const sibling of siblingsOf(folder)) {
    if (!existsSync(join(root, "packages", sibling, "dist"))) await buildPackage(sibling);
  }
  const directory = join(root, "packages", folder);
  const dist = join(directory, "dist");
  rmSync(dist, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [tsc, "-p", join(directory, "tsconfig.build.json")], { stdio: "inherit" });
  } catch {
    throw new Error(`tsc failed for packages/${folder} (its errors are printed above).`);
  }
  rewriteDeclarations(dist);
  inlineDeclarationSources(dist);
  removeCompiledJavaScript(dist);
  await bundle(directory);
  for (const [from, to] of copied[folder] ?? []) {
    mkdirSync(dirname(join(directory, to)), { recursive: true });
    copyFileSync(join(directory, from), join(directory, to));
  }
}

if (import.meta.main) {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((folder) => !builtPackages.includes(folder));
  if (unknown.length > 0) {
    console.error(`Unknown package folder: ${unknown.join(", ")}. Known: ${builtPackages.join(", ")}.`);
    process.exit(2);
  }
  for (const folder of wanted.length > 0 ? wanted : builtPackages) {
    if (!existsSync(join(root, "packages", folder, "tsconfig.build.json"))) continue;
    try {
      await buildPackage(folder);
    } catch (error) {
      console.error((error as Error).message);
      process.exit(1);
    }
    console.log(`built packages/${folder}/dist`);
  }
}
