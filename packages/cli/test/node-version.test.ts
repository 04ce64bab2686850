/**
 * Every way into the CLI on a Node it cannot run on says so in one line, exit 2: the `agentfold`
 * bin under the machine's old Node, the checkout's `./agentfold` before setup, and a `.ts` agent on
 * a Node without type stripping (simulated by handing the loader that Node's feature flags), with
 * none of Node 22's experimental warnings around it. The commands the CLI prints start the way the
 * person runs it: `npx agentfold` inside a project.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { commandName } from "../src/command-name.ts";
import { CliError } from "../src/exit-codes.ts";
import { loadAgentModule, typeScriptUnsupported } from "../src/load-agents.ts";
import { bin, calculatorModule, cleanEnv, fixtures, repoRoot, tempDir } from "./helpers.ts";

/** The machine's own Node, older than agentfold supports. */
const oldNode = "/usr/bin/node";

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr:\n${stderr}`);
  return lines[0]!;
}

describe("Node versions", () => {
  let dir: ReturnType<typeof tempDir>;
  let oldVersion = "";
  before(() => {
    dir = tempDir("node");
    oldVersion = spawnSync(oldNode, ["--version"], { encoding: "utf8" }).stdout.trim();
    assert.match(oldVersion, /^v(1\d|20|21)\./, `${oldNode} is an unsupported Node (these tests need one)`);
  });
  after(() => dir.remove());

  test("the agentfold bin under an old Node: one line naming the Node it needs and how to get it, exit 2", () => {
    const result = spawnSync(oldNode, [bin, "run", calculatorModule, "hi"], { cwd: dir.path, env: cleanEnv(), encoding: "utf8" });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(
      oneLine(result.stderr),
      `agentfold needs Node.js 22.13 or newer (22 LTS or 24); this is Node.js ${oldVersion.slice(1)}. Install Node 24 from https://nodejs.org or with your version manager (e.g. nvm install 24).`,
    );
  });

  test("./agentfold before setup, with the machine's old Node on PATH: one line saying to run setup, exit 2", () => {
    // A copy of the wrapper and the script it sources, without the .agentfold/node setup installs.
    const checkout = join(dir.path, "checkout");
    mkdirSync(join(checkout, "scripts"), { recursive: true });
    copyFileSync(join(repoRoot, "agentfold"), join(checkout, "agentfold"));
    copyFileSync(join(repoRoot, "scripts/use-node.sh"), join(checkout, "scripts/use-node.sh"));
    const result = spawnSync("/bin/bash", ["./agentfold", "--help"], {
      cwd: checkout,
      env: cleanEnv({ PATH: `${dirname(oldNode)}:/bin` }),
      encoding: "utf8",
    });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(
      oneLine(result.stderr),
      `./agentfold runs this checkout on Node.js 24, but the node on PATH is ${oldVersion}: run bash scripts/setup.sh once (it installs Node 24 into .agentfold/node when the machine's is older).`,
    );
  });

  test("./agentfold prints follow-up commands that start with ./agentfold", () => {
    const result = spawnSync("./agentfold", ["threads", "show", "thr_missing", "--db", join(dir.path, "wrapper.db")], {
      cwd: repoRoot,
      env: cleanEnv({ PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` }),
      encoding: "utf8",
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(oneLine(result.stderr), /List threads with: \.\/agentfold threads ls/);
  });

  test("the CLI installed in a project's node_modules prints npx agentfold commands", () => {
    const project = join(dir.path, "project");
    mkdirSync(join(project, "node_modules/.bin"), { recursive: true });
    symlinkSync(bin, join(project, "node_modules/.bin/agentfold"));
    const result = spawnSync(
      process.execPath,
      [join(project, "node_modules/.bin/agentfold"), "threads", "show", "thr_missing", "--db", join(dir.path, "project.db")],
      {
        cwd: project,
        env: cleanEnv(),
        encoding: "utf8",
      },
    );
    assert.equal(result.status, 2, result.stderr);
    assert.match(oneLine(result.stderr), /List threads with: npx agentfold threads ls/);
  });

  test("the experimental warnings Node 22 prints for what agentfold relies on stay off stderr; others do not", () => {
    writeFileSync(join(dir.path, "done.json"), JSON.stringify({ steps: [{ intent: "done_for_now", message: "ok" }] }));
    const result = spawnSync(
      process.execPath,
      [bin, "run", join(fixtures, "warns-on-load.ts"), "hi", "--model", "script:done.json", "--db", join(dir.path, "warns.db")],
      {
        cwd: dir.path,
        env: cleanEnv(),
        encoding: "utf8",
      },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /SQLite|glob/);
    assert.match(result.stderr, /ExperimentalWarning: Frobnication is an experimental feature/);
  });

  test("commandName: npx inside a project, the npx cache, a global install, and the override", () => {
    assert.equal(commandName("/home/me/my-agent/node_modules/.bin/agentfold", {}), "npx agentfold");
    assert.equal(commandName("C:\\Users\\me\\my-agent\\node_modules\\@agentfold\\cli\\bin\\agentfold.js", {}), "npx agentfold");
    assert.equal(commandName("/home/me/.npm/_npx/1a2b/node_modules/.bin/agentfold", {}), "npx @agentfold/cli");
    assert.equal(commandName("/usr/local/bin/agentfold", {}), "agentfold");
    assert.equal(commandName("/usr/local/bin/agentfold", { AGENTFOLD_COMMAND: "./agentfold" }), "./agentfold");
  });

  test("a .ts agent on a Node without type stripping: one line saying what to do", async () => {
    const withoutStripping = { typescript: false } as const;
    await assert.rejects(loadAgentModule(calculatorModule, repoRoot, withoutStripping), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.message.split("\n").length, 1);
      assert.match(
        error.message,
        /agent\.ts is TypeScript, and Node\.js \S+ does not run \.ts files without a flag: use Node\.js 22\.18 or newer \(or 24\), or set NODE_OPTIONS=--experimental-strip-types, or compile it to JavaScript \(npx tsc\) and pass the \.js file\./,
      );
      return true;
    });
    // Node before 22.10 has no such flag at all.
    assert.match(typeScriptUnsupported("/app/agent.mts", "agent.mts", {}) ?? "", /^agent\.mts is TypeScript/);
    // With type stripping the same module loads; a .js module loads without it.
    assert.deepEqual(
      (await loadAgentModule(calculatorModule, repoRoot, { typescript: "strip" })).agents.map((agent) => agent.name),
      ["calculator"],
    );
    assert.deepEqual(
      (await loadAgentModule(join(fixtures, "plain-agent.js"), repoRoot, withoutStripping)).agents.map((agent) => agent.name),
      ["plain"],
    );
  });
});
