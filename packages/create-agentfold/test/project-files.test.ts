/**
 * What a new project holds, checked without installing it: registry ranges (never paths) at the
 * version every agentfold package shares, scripts that start with the `agentfold` command, a plain
 * nodenext tsconfig, and a README whose commands run inside the project.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  agentfoldVersion,
  nodeTypesRange,
  projectFiles,
  type projectManifest,
  projectName,
  type projectTsconfig,
  typescriptRange,
  zodRange,
} from "../src/project-files.ts";
import { approvalScript, starterMessage, starterScript } from "../src/starter-agent.ts";
import { repoRoot } from "./support.ts";

type Manifest = {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  private?: boolean;
};

function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, "utf8")) as Manifest;
}

/** Every package of this repository, by name. */
const repositoryPackages = new Map(
  readdirSync(join(repoRoot, "packages")).map((folder) => {
    const manifest = readManifest(join(repoRoot, "packages", folder, "package.json"));
    return [manifest.name, manifest] as const;
  }),
);

const files = projectFiles({ name: "my-agent" });
const manifest = JSON.parse(files["package.json"]!) as ReturnType<typeof projectManifest>;
const allRanges: Record<string, string> = { ...manifest.dependencies, ...manifest.devDependencies };

describe("the files of a new project", () => {
  test("agentfold's packages at ^ the version they all share, and each one exists in this repository", () => {
    const version = agentfoldVersion();
    assert.equal(version, repositoryPackages.get("create-agentfold")?.version);
    const agentfoldNames = Object.keys(allRanges).filter((name) => name === "agentfold" || name.startsWith("@agentfold/"));
    assert.deepEqual(agentfoldNames.sort(), [
      "@agentfold/cli",
      "@agentfold/evals",
      "@agentfold/models",
      "@agentfold/server",
      "@agentfold/stores",
      "agentfold",
    ]);
    for (const name of agentfoldNames) {
      const published = repositoryPackages.get(name);
      assert.ok(published && !published.private, `${name} is a published package of this repository`);
      assert.equal(published.version, version, `${name} has the shared version`);
      assert.equal(allRanges[name], `^${version}`, name);
    }
  });

  test("no dependency is a path, a link or a workspace: the project installs from a registry", () => {
    for (const [name, range] of Object.entries(allRanges)) {
      assert.match(range, /^\^\d+\.\d+\.\d+$/, `${name}: ${range}`);
    }
    assert.doesNotMatch(files["package.json"]!, /file:|link:|workspace:|\/work\/|\/packages\//);
    assert.doesNotMatch(JSON.stringify(files), new RegExp(repoRoot.replace(/[/.]/g, "\\$&")), "no file mentions this checkout");
  });

  test("zod is agentfold's peer range; typescript has the repository's major; @types/node matches the oldest Node the project supports", () => {
    assert.equal(manifest.dependencies.zod, zodRange);
    assert.equal(repositoryPackages.get("agentfold")?.peerDependencies?.zod, zodRange);
    const root = readManifest(join(repoRoot, "package.json"));
    const major = (range: string | undefined) => /\d+/.exec(range ?? "")?.[0];
    assert.equal(manifest.devDependencies.typescript, typescriptRange);
    assert.equal(major(typescriptRange), major(root.devDependencies?.typescript), "the repository's TypeScript major");
    assert.equal(manifest.devDependencies["@types/node"], nodeTypesRange);
    assert.equal(manifest.engines.node, ">=22.18");
    assert.equal(/\d+\.\d+/.exec(nodeTypesRange)?.[0], "22.18", "types of the oldest Node in engines");
  });

  test("every script starts with the agentfold command, which checks the Node version first", () => {
    assert.deepEqual(manifest.scripts, {
      start: `agentfold run agent.ts "${starterMessage}" --model script:script.json`,
      "start:approval": 'agentfold run agent.ts "publish a note saying hello" --model script:script-approval.json',
      test: "agentfold test --model script:script.json && node --test && tsc --noEmit",
    });
  });

  test("a plain nodenext tsconfig: imports of ./agent.ts allowed by rewriteRelativeImportExtensions, no repository settings", () => {
    const tsconfig = JSON.parse(files["tsconfig.json"]!) as ReturnType<typeof projectTsconfig>;
    const options = tsconfig.compilerOptions as Record<string, unknown>;
    assert.equal(options.module, "nodenext");
    assert.equal(options.rewriteRelativeImportExtensions, true);
    assert.deepEqual(options.types, ["node"]);
    for (const setting of ["allowImportingTsExtensions", "customConditions", "paths", "baseUrl", "noEmit"])
      assert.equal(setting in options, false, setting);
    assert.equal("include" in tsconfig, false, "every .ts file of the project");
  });

  test("the scripted replies agree with the agent: 7 words, then an approval", () => {
    assert.equal(starterMessage.split(" ").length, 7);
    assert.deepEqual(starterScript.steps[0], { intent: "count_words", text: starterMessage });
    assert.match(JSON.stringify(starterScript.steps[1]), /has 7 words/);
    assert.equal(approvalScript.steps[0]?.intent, "publish_note");
    assert.deepEqual(JSON.parse(files["script.json"]!), starterScript);
    assert.match(files["agent.ts"]!, /intent: "count_words"/);
    assert.match(files["agent.ts"]!, /intent: "publish_note",[\s\S]*approval: "required"/);
    assert.match(files["agent.eval.ts"]!, /from "@agentfold\/evals"/);
    assert.match(files["agent.test.ts"]!, /from "\.\/agent\.ts"/);
  });

  test("the README's commands run inside the project: the CLI through npx, scripts through npm", () => {
    const readme = files["README.md"]!;
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((match) => match[1]!.trim().split("\n"));
    assert.ok(blocks.length > 5);
    for (const line of blocks) {
      assert.match(line, /^(npm (install|start|test|run start:approval)\b|npx agentfold |OPENAI_API_KEY=\S+ npx agentfold )/, line);
      assert.doesNotMatch(line, /#/, `no comment a shell without interactive comments would pass as arguments: ${line}`);
    }
  });

  test("the README serves the agent with scripted replies the project has, so the inbox works without an API key", () => {
    const serve = files["README.md"]!.split("\n").find((line) => line.startsWith("npx agentfold serve "));
    assert.ok(serve, "the README shows how to serve the agent");
    const script = /--model script:(\S+)/.exec(serve)?.[1];
    assert.ok(script, `without --model the server would use the default model (a download or an API key): ${serve}`);
    assert.ok(files[script], `${script} is one of the project's files`);
  });

  test("the scripted reply after an approval is true after a rejection too", () => {
    const last = JSON.stringify(approvalScript.steps.at(-1));
    assert.doesNotMatch(last, /"Published/, "it is written before anyone decides");
  });

  test("project names are npm package names", () => {
    assert.equal(projectName("My Agent"), "my-agent");
    assert.equal(projectName(".hidden"), "hidden");
    assert.equal(projectName("___"), "my-agent");
    assert.equal(JSON.parse(projectFiles({ name: projectName("Bot 2") })["package.json"]!).name, "bot-2");
  });
});
