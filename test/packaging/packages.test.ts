/**
 * What `npm publish` would ship, checked the way a user's tools see it: only the build, README and
 * LICENSE; exports with `types` and `default` that exist; a build made from the current sources;
 * publint and Are the Types Wrong clean for every package.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { packAll, repositoryRoot, type PackedPackage } from "./pack-packages.ts";

const packed = packAll();
const versions = new Map(packed.map((entry) => [entry.name, entry.version]));

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** What is left of a module's text once its types, comments and empty import/export lists are gone. */
function codeOf(text: string): string {
  return stripTypeScriptTypes(text)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .replace(/^\s*(import|export)\s*\{[\s,]*\}\s*(from\s*"[^"]*")?;?/gm, "")
    .trim();
}

for (const entry of packed) {
  test(`${entry.name}: ships only the build, its README and LICENSE`, () => {
    const allowed = ["dist/", ...(entry.manifest.bin ? ["bin/"] : []), ...(entry.folder === "web" ? ["public/"] : [])];
    const stray = entry.files.filter(
      (path) => !["package.json", "README.md", "LICENSE"].includes(path) && !allowed.some((prefix) => path.startsWith(prefix)),
    );
    assert.deepEqual(stray, [], `unexpected files in ${entry.name}'s tarball`);
    assert.ok(entry.files.includes("README.md") && entry.files.includes("LICENSE"), "README.md and LICENSE");
    assert.equal(
      entry.files.some((path) => /\.test\.|\/test\//.test(path)),
      false,
      "no tests",
    );
    assert.equal(entry.manifest.license, "Apache-2.0");
    assert.ok(entry.manifest.repository, "repository");
    assert.equal(entry.manifest.sideEffects, false);
    assert.match(String((entry.manifest.engines as { node?: string } | undefined)?.node), /^>=22\./);
  });

  test(`${entry.name}: every export and bin points at a shipped file, types first for users`, () => {
    const exportsMap = entry.manifest.exports as Record<string, unknown>;
    for (const [subpath, value] of Object.entries(exportsMap)) {
      if (typeof value === "string") {
        assert.ok(entry.files.includes(value.replace(/^\.\//, "")), `${subpath} → ${value}`);
        continue;
      }
      const conditions = value as Record<string, string>;
      // Outside the repository the source condition is never set, so users resolve types then default.
      assert.deepEqual(Object.keys(conditions), ["agentfold-source", "types", "default"], subpath);
      for (const target of [conditions.types!, conditions.default!]) {
        assert.ok(entry.files.includes(target.replace(/^\.\//, "")), `${entry.name} ${subpath}: ${target} is not in the tarball`);
      }
    }
    for (const target of Object.values((entry.manifest.bin as Record<string, string> | undefined) ?? {})) {
      assert.ok(entry.files.includes(target.replace(/^\.\//, "")), `bin ${target}`);
    }
  });

  test(`${entry.name}: dist is built from the current sources`, () => {
    const packageDirectory = join(repositoryRoot, "packages", entry.folder);
    const sourceRoot = join(packageDirectory, "src");
    const stale = (path: string) => `${path} is not built from the current sources: run npm run build`;
    // Each published entry is one bundled file (plus shared and lazily loaded chunks); its source
    // map carries the text of every module in it. A stale build would carry older text.
    const bundled = new Map<string, string>();
    for (const mapPath of entry.files.filter((path) => path.endsWith(".js.map"))) {
      assert.ok(entry.files.includes(mapPath.replace(/\.map$/, "")), `${mapPath} without its file`);
      const map = JSON.parse(readFileSync(join(entry.unpacked, mapPath), "utf8")) as { sources: string[]; sourcesContent?: string[] };
      for (const [index, source] of map.sources.entries()) {
        const path = resolve(packageDirectory, dirname(mapPath), source);
        assert.ok(existsSync(path), `${mapPath} names ${relative(repositoryRoot, path)}, which no longer exists: run npm run build`);
        assert.equal(map.sourcesContent?.[index], readFileSync(path, "utf8"), stale(mapPath));
        bundled.set(path, mapPath);
      }
    }
    for (const file of entry.files.filter((path) => path.startsWith("dist/") && path.endsWith(".js"))) {
      assert.ok(entry.files.includes(`${file}.map`), `${file} has no source map`);
    }
    for (const source of sourceFiles(sourceRoot)) {
      const built = relative(sourceRoot, source).replace(/\.ts$/, "");
      const text = readFileSync(source, "utf8");
      // Declarations stay one per module (tsc), with maps that carry their source's text.
      for (const suffix of [".d.ts", ".d.ts.map"]) {
        assert.ok(entry.files.includes(`dist/${built}${suffix}`), `dist/${built}${suffix} missing: run npm run build`);
      }
      const declarationMap = JSON.parse(readFileSync(join(entry.unpacked, "dist", `${built}.d.ts.map`), "utf8")) as {
        sourcesContent?: string[];
      };
      assert.equal(declarationMap.sourcesContent?.[0], text, stale(`dist/${built}.d.ts`));
      // Every module with code is in some bundle; only a module made of types is not.
      if (!bundled.has(source)) assert.equal(codeOf(text), "", `${relative(repositoryRoot, source)} is in no bundle: run npm run build`);
    }
    for (const declaration of entry.files.filter((path) => path.endsWith(".d.ts"))) {
      const text = readFileSync(join(entry.unpacked, declaration), "utf8");
      assert.doesNotMatch(text, /from "\.\.?\/[^"]+\.ts"/, `${declaration} imports a .ts file a user's TypeScript cannot resolve`);
    }
  });

  test(`${entry.name}: depends on the same version of its sibling packages`, () => {
    const dependencies = (entry.manifest.dependencies ?? {}) as Record<string, string>;
    for (const [name, range] of Object.entries(dependencies)) {
      if (versions.has(name)) assert.equal(range, versions.get(name), `${name}`);
    }
  });

  test(`${entry.name}: publint finds nothing`, async () => {
    // The unpacked tarball is exactly what is published, so publint reads it as it is (no packing).
    const { messages, pkg } = await publint({ pkgDir: entry.unpacked, pack: false, strict: true });
    assert.deepEqual(
      messages.map((message) => formatMessage(message, pkg, { color: false })),
      [],
    );
  });

  test(`${entry.name}: Are the Types Wrong finds no problem for ESM users`, async () => {
    // The library behind the attw CLI, called in this process: TypeScript loads once for every package.
    const attw = await import("@arethetypeswrong/core");
    const analysis = await attw.checkPackage(attw.createPackageFromTarballData(new Uint8Array(readFileSync(entry.tarball))));
    assert.ok(analysis.types, `${entry.name} ships no types`);
    // The packages are ESM only (Node ≥ 22 can require() them): CommonJS-era resolution modes are out of scope.
    const problems = analysis.problems.filter(
      (problem) => !("resolutionKind" in problem) || (problem.resolutionKind !== "node10" && problem.resolutionKind !== "node16-cjs"),
    );
    assert.deepEqual(problems, []);
  });
}

test("the dependency rules of the packages", () => {
  const byName = new Map<string, PackedPackage>(packed.map((entry) => [entry.name, entry]));
  const manifest = (name: string) => byName.get(name)!.manifest as Record<string, Record<string, string> | undefined>;
  // One zod in a user's project: agentfold validates the schemas the user writes with it.
  assert.equal(manifest("agentfold").dependencies?.zod, undefined);
  assert.ok(manifest("agentfold").peerDependencies?.zod);
  // SQLite users never install pg; provider SDKs are installed for the providers a user picks.
  assert.equal(manifest("@agentfold/stores").dependencies?.pg, undefined);
  for (const provider of ["@ai-sdk/openai", "@ai-sdk/anthropic", "@ai-sdk/google", "@ai-sdk/openai-compatible"]) {
    assert.equal(manifest("@agentfold/models").dependencies?.[provider], undefined, provider);
    assert.equal(manifest("@agentfold/server").dependencies?.[provider], undefined, provider);
  }
  assert.ok(existsSync(join(repositoryRoot, "LICENSE")));
});
