/**
 * A created project works: with this checkout's packages linked into its node_modules (as an
 * install would place the published ones), `npm start` reaches done, `npm run start:approval`
 * pauses and prints `npx agentfold …` commands that run as printed, and `npm test` passes (evals,
 * unit test, type-check). Under a Node older than 22.13 its scripts say in one line what to install.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, lines, linkCheckoutPackages, oldNode, runBin, sourceEnv, tempDir } from "./support.ts";

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync("sh", ["-c", command], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("a created project", () => {
  let dir: ReturnType<typeof tempDir>;
  let project = "";
  before(() => {
    dir = tempDir("scaffold");
    const created = runBin(["my-agent"], { cwd: dir.path });
    assert.equal(created.code, 0, created.stderr);
    project = join(dir.path, "my-agent");
    linkCheckoutPackages(project);
  });
  after(() => dir.remove());

  test("npm start runs the agent with the scripted model to done and stores the thread", () => {
    const started = sh("npm start", project, sourceEnv());
    assert.equal(started.code, 0, `${started.stdout}\n${started.stderr}`);
    assert.match(started.stdout, /done {2}\(assistant, 6 events\)/);
    assert.match(started.stdout, /"how many words are in this sentence" has 7 words\./);
    assert.ok(existsSync(join(project, ".agentfold/agentfold.db")));
    const listed = sh("npx agentfold threads ls", project, sourceEnv());
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /assistant/);
  });

  test("npm run start:approval waits (exit 3) and prints npx agentfold commands that run as printed", () => {
    const paused = sh("npm run --silent start:approval", project, sourceEnv());
    assert.equal(paused.code, 3, `${paused.stdout}\n${paused.stderr}`);
    const printed = lines(paused.stdout)
      .map((line) => line.trim())
      .filter((line) => line.includes("agentfold "));
    const approve = printed.find((line) => / approve thr_\w+ call_1_0$/.test(line));
    assert.ok(approve, `an approve command is printed:\n${paused.stdout}`);
    assert.match(approve, /^npx agentfold approve /, "the CLI runs from the project's node_modules, so printed commands use npx");
    for (const line of printed.filter((line) => / (approve|reject) thr_/.test(line))) assert.match(line, /^npx agentfold /, line);

    const approved = sh(approve, project, sourceEnv());
    assert.equal(approved.code, 0, `${approved.stdout}\n${approved.stderr}`);
    assert.match(approved.stdout, /publish_note → \{"published":true/);
  });

  test("npm test: the evals pass with the scripted replies, the unit test passes, the user's files type-check", () => {
    // The packages are linked sources, not published builds: point the type-check at them too.
    const tested = sh("npm test -- --customConditions agentfold-source", project, sourceEnv());
    assert.equal(tested.code, 0, `${tested.stdout}\n${tested.stderr}`);
    assert.match(tested.stdout, /2 of 2 cases at or above 90%/);
    assert.match(tested.stdout, /pass 1\n/);
    assert.match(tested.stdout, /fail 0\n/);
  });

  test("the type-check can fail: a wrong argument in the user's code is an error", () => {
    const checked = sh(
      `printf '%s\\n' 'import { assistant } from "./agent.ts";' 'assistant.start(42);' > broken.ts && tsc --noEmit --customConditions agentfold-source; status=$?; rm broken.ts; exit $status`,
      project,
      sourceEnv({ PATH: `${join(project, "node_modules/.bin")}:${process.env.PATH ?? ""}` }),
    );
    assert.notEqual(checked.code, 0);
    assert.match(checked.stdout, /broken\.ts\(2,\d+\): error TS2345/);
  });

  test("under a Node older than 22.13, npm start and npm test print one line naming the Node to install, exit 2", () => {
    const env = cleanEnv({ PATH: `/usr/bin:/bin` });
    const version = spawnSync(oldNode, ["--version"], { encoding: "utf8", env });
    assert.match(version.stdout, /^v(1\d|20|21)\./, `${oldNode} is an unsupported Node (this test needs one)`);
    for (const script of ["start", "test", "run start:approval"]) {
      const result = sh(`npm ${script} --silent`, project, env);
      assert.equal(result.code, 2, `npm ${script}: ${result.stdout}\n${result.stderr}`);
      assert.deepEqual(lines(result.stderr), [
        `agentfold needs Node.js 22.13 or newer (22 LTS or 24); this is Node.js ${version.stdout.trim().slice(1)}. Install Node 24 from https://nodejs.org or with your version manager (e.g. nvm install 24).`,
      ]);
    }
  });
});
