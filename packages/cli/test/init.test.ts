/**
 * `agentfold init` scaffolds a project that installs (dependencies point at this checkout) and runs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, json, repoRoot, runCli, tempDir } from "./helpers.ts";

describe("agentfold init", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("init");
  });
  after(() => dir.remove());

  test("the scaffold installs, its agent reaches done with the scripted model, and its test passes", async () => {
    const created = await runCli(["init", "my-agent"], { cwd: dir.path });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /cd my-agent\n\s+npm install\n\s+npm start/);
    const project = join(dir.path, "my-agent");
    for (const file of ["package.json", "agent.ts", "script.json", "script-approval.json", "agent.test.ts", "README.md", ".gitignore", "tsconfig.json"]) {
      assert.ok(existsSync(join(project, file)), file);
    }
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { name: string; dependencies: Record<string, string> };
    assert.equal(manifest.name, "my-agent");
    assert.equal(manifest.dependencies.agentfold, `file:${join(repoRoot, "packages/core")}`);
    assert.equal(manifest.dependencies["@agentfold/cli"], `file:${join(repoRoot, "packages/cli")}`);

    // Prefer the npm cache (filled by the repository's own install); reach the registry only for what is missing.
    const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project, env: cleanEnv(), encoding: "utf8", timeout: 120_000 });
    assert.equal(install.status, 0, `${install.stdout}\n${install.stderr}`);
    const agentfold = join(project, "node_modules/.bin/agentfold");
    assert.ok(existsSync(agentfold), "the agentfold binary is installed");

    const run = spawnSync(agentfold, ["run", "agent.ts", "how many words are in this sentence", "--model", "script:script.json", "--json"], {
      cwd: project,
      env: cleanEnv(),
      encoding: "utf8",
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const summary = json<{ status: string; result: string }>({ code: run.status, stdout: run.stdout, stderr: run.stderr });
    assert.deepEqual([summary.status, summary.result], ["done", '"how many words are in this sentence" has 7 words.']);
    assert.ok(existsSync(join(project, ".agentfold/agentfold.db")), "threads go to the default SQLite file");

    const waiting = spawnSync("npm", ["run", "--silent", "start:approval"], { cwd: project, env: cleanEnv(), encoding: "utf8" });
    assert.equal(waiting.status, 3, `${waiting.stdout}\n${waiting.stderr}`);
    assert.match(waiting.stdout, /approve publish_note/);

    const tests = spawnSync(process.execPath, ["--test"], { cwd: project, env: cleanEnv(), encoding: "utf8" });
    assert.equal(tests.status, 0, `${tests.stdout}\n${tests.stderr}`);
  });

  test("refuses a non-empty directory unless --force, and never overwrites a file", async () => {
    const target = join(dir.path, "taken");
    await runCli(["init", "taken", "--json"], { cwd: dir.path });
    writeFileSync(join(target, "agent.ts"), "// mine\n");
    const refused = await runCli(["init", "taken"], { cwd: dir.path });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /taken is not empty\. Pick a new directory, or pass --force/);
    const forced = await runCli(["init", "taken", "--force", "--json"], { cwd: dir.path });
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(json<{ files: string[] }>(forced).files, []);
    assert.equal(readFileSync(join(target, "agent.ts"), "utf8"), "// mine\n");
  });
});
