/**
 * The files of a new agentfold project, as text by relative path. Nothing here touches the file
 * system, so `npm create agentfold` and `agentfold init` write the same project and tests can read
 * it without writing it. Dependencies are registry ranges, never paths: the project is installed
 * from npm on the user's machine.
 */
import { readFileSync } from "node:fs";
import { projectReadme } from "./project-readme.ts";
import { agentSource, approvalMessage, approvalScript, evalSource, starterMessage, starterScript, testSource } from "./starter-agent.ts";

/**
 * The Node.js a project needs: agentfold's packages run on 22.13, but the project's own `.ts`
 * files (the agent, its test and eval) load through Node's type stripping, on by default since
 * 22.18 (and in 24).
 */
export const projectNodeRange = ">=22.18";

/**
 * The TypeScript a project type-checks with: the major the agentfold repository itself uses, so the
 * published declarations were checked by the same compiler (a test compares the two).
 */
export const typescriptRange = "^7.0.2";

/**
 * Node's type declarations for the oldest Node the project supports, so code that type-checks runs
 * on every supported Node.
 */
export const nodeTypesRange = "^22.18.0";

/** zod is a peer of `agentfold`: the project owns its copy and its schemas. */
export const zodRange = "^4.1.0";

/** agentfold packages the project's code and scripts use, all released under one version. */
const runtimePackages = ["agentfold", "@agentfold/cli", "@agentfold/models", "@agentfold/stores", "@agentfold/server"] as const;
/** Only evals import this one, so it is a development dependency. */
const developmentPackages = ["@agentfold/evals"] as const;

/**
 * The agentfold version this scaffolder writes into projects: its own, as every agentfold package
 * shares one version.
 *
 * @example
 * agentfoldVersion(); // "0.1.0"
 */
export function agentfoldVersion(): string {
  // One level up from both src/ (in the repository) and dist/ (when installed).
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

/**
 * The agentfold dependencies of a project, as `^<version>` ranges.
 *
 * @example
 * agentfoldDependencies("0.1.0"); // { agentfold: "^0.1.0", "@agentfold/cli": "^0.1.0", … }
 */
export function agentfoldDependencies(version = agentfoldVersion()): Record<string, string> {
  return Object.fromEntries([...runtimePackages, ...developmentPackages].map((name) => [name, `^${version}`]));
}

/**
 * An npm package name made from a directory name: lower case, only the characters npm allows.
 *
 * @example
 * projectName("My Agent"); // "my-agent"
 */
export function projectName(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "")
    .replace(/-+$/, "")
    .slice(0, 214);
  return name || "my-agent";
}

/** What the files of a project depend on. */
export interface ProjectOptions {
  /** The npm package name of the project (see {@link projectName}). */
  name: string;
  /** The agentfold version to depend on; defaults to this scaffolder's own. */
  version?: string;
}

/**
 * The project's `package.json`, as an object.
 *
 * Every script starts with the `agentfold` command on purpose: that bin checks the Node version
 * before anything else (one line, exit 2, on a Node that is too old), and `agentfold run` and
 * `agentfold test` say in one line when Node cannot load `.ts` files. `tsc` and `node --test` would
 * instead fail with compiler or loader errors, or on an old Node find no `.ts` tests at all.
 *
 * @example
 * projectManifest({ name: "my-agent" }).scripts.start; // 'agentfold run agent.ts "…" --model script:script.json'
 */
export function projectManifest(options: ProjectOptions) {
  const version = options.version ?? agentfoldVersion();
  const ranges = agentfoldDependencies(version);
  const pick = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, ranges[name]!]));
  return {
    name: options.name,
    version: "0.1.0",
    private: true,
    type: "module",
    description: "An agentfold agent.",
    scripts: {
      start: `agentfold run agent.ts "${starterMessage}" --model script:script.json`,
      "start:approval": `agentfold run agent.ts "${approvalMessage}" --model script:script-approval.json`,
      test: "agentfold test --model script:script.json && node --test && tsc --noEmit",
    },
    engines: { node: projectNodeRange },
    dependencies: { ...pick(runtimePackages), zod: zodRange },
    devDependencies: { ...pick(developmentPackages), "@types/node": nodeTypesRange, typescript: typescriptRange },
  };
}

/**
 * The project's `tsconfig.json`: the configuration Node's documentation recommends for running
 * TypeScript through type stripping. `rewriteRelativeImportExtensions` lets the user's files import
 * each other as `./agent.ts` (what Node needs) and still compile to `dist/` with `npx tsc` for a
 * Node without type stripping; `erasableSyntaxOnly` and `verbatimModuleSyntax` reject what Node
 * cannot strip. `types` names Node's declarations because TypeScript 6 and later include none by
 * default.
 *
 * @example
 * projectTsconfig().compilerOptions.module; // "nodenext"
 */
export function projectTsconfig() {
  return {
    compilerOptions: {
      target: "es2024",
      module: "nodenext",
      types: ["node"],
      strict: true,
      verbatimModuleSyntax: true,
      erasableSyntaxOnly: true,
      rewriteRelativeImportExtensions: true,
      // Declarations of installed packages are their authors' business; check the project's own code.
      skipLibCheck: true,
      outDir: "dist",
    },
  };
}

function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The files of a new project, by relative path.
 *
 * @example
 * const files = projectFiles({ name: "my-agent" });
 * Object.keys(files); // ["package.json", "agent.ts", "agent.test.ts", "agent.eval.ts", …]
 */
export function projectFiles(options: ProjectOptions): Record<string, string> {
  return {
    "package.json": jsonFile(projectManifest(options)),
    "agent.ts": agentSource,
    "agent.test.ts": testSource,
    "agent.eval.ts": evalSource,
    "script.json": jsonFile(starterScript),
    "script-approval.json": jsonFile(approvalScript),
    "tsconfig.json": jsonFile(projectTsconfig()),
    ".gitignore": "node_modules/\ndist/\n.agentfold/\n",
    "README.md": projectReadme(options.name),
  };
}
