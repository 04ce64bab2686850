/**
 * Packs every published package the way `npm publish` would (each `prepack` builds its dist/ from
 * the current sources first) and unpacks the tarballs, for the packaging tests.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The package folders that publish, in the order their imports point (dependencies first). */
export const publishedFolders = ["core", "models", "stores", "server", "channels", "web", "evals", "mcp", "create-agentfold", "cli"];

export interface PackedPackage {
  folder: string;
  name: string;
  version: string;
  tarball: string;
  /** Where the tarball was unpacked: the `package/` directory npm puts everything under. */
  unpacked: string;
  /** Paths inside the tarball, relative to `package/`. */
  files: string[];
  manifest: Record<string, unknown>;
}

/** An environment for npm and node child processes that sees the packages as a user would. */
export function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // The repository resolves its own packages to TypeScript sources through this condition; a user never has it.
  delete env.NODE_OPTIONS;
  // Settings npm passes to the scripts it runs (this test may run under `npm test`).
  for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  return { ...env, ...extra };
}

export function packAll(destination = mkdtempSync(join(tmpdir(), "agentfold-pack-"))): PackedPackage[] {
  mkdirSync(destination, { recursive: true });
  return publishedFolders.map((folder) => {
    const directory = join(repositoryRoot, "packages", folder);
    const output = execFileSync("npm", ["pack", "--json", "--pack-destination", destination], {
      cwd: directory,
      env: userEnvironment(),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    // prepack scripts print to stdout before npm's JSON: the JSON is the last top-level array.
    const [report] = JSON.parse(output.slice(output.lastIndexOf("\n[") + 1)) as {
      name: string;
      version: string;
      filename: string;
      files: { path: string }[];
    }[];
    if (!report) throw new Error(`npm pack printed no report for packages/${folder}`);
    const tarball = join(destination, report.filename);
    const unpackedRoot = join(destination, folder);
    mkdirSync(unpackedRoot, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", unpackedRoot]);
    const unpacked = join(unpackedRoot, "package");
    return {
      folder,
      name: report.name,
      version: report.version,
      tarball,
      unpacked,
      files: report.files.map((file) => file.path).sort(),
      manifest: JSON.parse(readFileSync(join(unpacked, "package.json"), "utf8")) as Record<string, unknown>,
    };
  });
}
