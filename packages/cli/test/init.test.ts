/**
 * `agentfold init` writes the project `npm create agentfold` writes (registry ranges, never paths
 * into this checkout), prints the commands that come next, and never overwrites a file. That the
 * project runs is create-agentfold's scaffold test; installing it from a registry is test/registry.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectFiles } from "create-agentfold";
import { json, repoRoot, runCli, tempDir } from "./helpers.ts";

describe("agentfold init", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("init");
  });
  after(() => dir.remove());

  test("writes create-agentfold's project, with version ranges and no path into this checkout", async () => {
    const created = await runCli(["init", "my-agent"], { cwd: dir.path });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Next:\n\s+cd my-agent\n\s+npm install\n\s+npm start\n\s+npm test\n\s+npx agentfold threads ls\n/);
    // The README is where serving and real models are: both ways to start a project point to it.
    assert.match(
      created.stdout,
      /\n\nREADME\.md shows how to use a real model, run evals and serve the agent over HTTP with a web inbox\.\n$/,
    );
    const project = join(dir.path, "my-agent");
    const expected = projectFiles({ name: "my-agent" });
    assert.deepEqual(readdirSync(project).sort(), Object.keys(expected).sort());
    for (const [file, content] of Object.entries(expected)) assert.equal(readFileSync(join(project, file), "utf8"), content, file);

    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const cliVersion = (JSON.parse(readFileSync(join(repoRoot, "packages/cli/package.json"), "utf8")) as { version: string }).version;
    assert.equal(manifest.dependencies.agentfold, `^${cliVersion}`);
    assert.equal(manifest.dependencies["@agentfold/cli"], `^${cliVersion}`);
    for (const file of readdirSync(project))
      assert.doesNotMatch(readFileSync(join(project, file), "utf8"), /file:|\/packages\/(core|cli)/, file);
  });

  test("refuses a non-empty directory unless --force, and never overwrites a file", async () => {
    const target = join(dir.path, "taken");
    await runCli(["init", "taken", "--json"], { cwd: dir.path });
    writeFileSync(join(target, "agent.ts"), "// mine\n");
    const refused = await runCli(["init", "taken"], { cwd: dir.path });
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    assert.match(refused.stderr, /taken is not empty\. Pick a new directory, or pass --force/);
    const forced = await runCli(["init", "taken", "--force", "--json"], { cwd: dir.path });
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(json<{ files: string[] }>(forced).files, []);
    assert.equal(readFileSync(join(target, "agent.ts"), "utf8"), "// mine\n");
  });

  test("a file in the way is one line and exit 2", async () => {
    writeFileSync(join(dir.path, "a-file"), "");
    const refused = await runCli(["init", "a-file"], { cwd: dir.path });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^error: a-file is a file, not a directory\. Pick a new directory\.\n$/);
  });
});
