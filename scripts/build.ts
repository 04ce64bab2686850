/**
 * `npm run build`: compiles every package (or the ones named) from `src/` to `dist/` — JavaScript,
 * `.d.ts` and source maps with the sources inlined. The sources stay the truth: the repository runs
 * and tests them directly (the `agentfold-source` export condition); only published tarballs use
 * `dist/`, and `npm pack` rebuilds it first (each package's `prepack`).
 *
 *   node scripts/build.ts            # every package
 *   node scripts/build.ts core cli   # the folders named
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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

export function buildPackage(folder: string): void {
  // A package compiles against its siblings' declarations: in a fresh clone (or when `npm pack`
  // runs one package's prepack) build the ones that have no dist/ yet, dependencies first.
  for (const sibling of siblingsOf(folder)) {
    if (!existsSync(join(root, "packages", sibling, "dist"))) buildPackage(sibling);
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
      buildPackage(folder);
    } catch (error) {
      console.error((error as Error).message);
      process.exit(1);
    }
    console.log(`built packages/${folder}/dist`);
  }
}
