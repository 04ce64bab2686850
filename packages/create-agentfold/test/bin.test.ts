/**
 * The `create-agentfold` bin as `npm create agentfold@latest` runs it: it writes the project and
 * prints what to run next; bad input is one line on stderr and exit 2, with nothing written; an old
 * Node is told in one line what to install. The real bin runs where the process matters (the first
 * project, --help, an old Node, a terminal); the other cases call its `main` in this process.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { main } from "../src/main.ts";
import { agentfoldVersion } from "../src/project-files.ts";
import { bin, cleanEnv, lines, oldNode, runBin, sourceCondition, tempDir, type Result } from "./support.ts";

/** Runs create-agentfold's `main` in this process, without a terminal: what the bin would print and exit with. */
async function runMain(args: readonly string[], options: { cwd: string }): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const stdin = Object.assign(Readable.from([]), { isTTY: false });
  const code = await main(args, {
    cwd: options.cwd,
    stdin,
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const projectFiles = [
  "package.json",
  "agent.ts",
  "agent.test.ts",
  "agent.eval.ts",
  "script.json",
  "script-approval.json",
  "tsconfig.json",
  ".gitignore",
  "README.md",
];

/** Exit 2, exactly one line on stderr, nothing on stdout, no stack trace. */
function assertOneLineError(result: Result, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit code; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  assert.equal(result.stdout, "");
  assert.equal(lines(result.stderr).length, 1, `one line:\n${result.stderr}`);
  assert.match(result.stderr, pattern);
}

describe("create-agentfold", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("bin");
  });
  after(() => dir.remove());

  test("writes the project and prints the commands that come next, each on its own line", () => {
    const created = runBin(["my-agent"], { cwd: dir.path });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, "");
    const printed = lines(created.stdout).map((line) => line.trim());
    for (const command of ["cd my-agent", "npm install", "npm start", "npm test", "npx agentfold threads ls"])
      assert.ok(printed.includes(command), `prints ${command}:\n${created.stdout}`);
    assert.match(created.stdout, new RegExp(`agentfold ${agentfoldVersion().replaceAll(".", "\\.")}`));
    assert.deepEqual(readdirSync(join(dir.path, "my-agent")).sort(), [...projectFiles].sort());
    assert.equal(JSON.parse(readFileSync(join(dir.path, "my-agent", "package.json"), "utf8")).name, "my-agent");
  });

  test("a directory that exists and is not empty: one line saying to pick another, exit 2, nothing written", async () => {
    const taken = join(dir.path, "taken");
    mkdirSync(taken);
    writeFileSync(join(taken, "notes.txt"), "mine\n");
    assertOneLineError(
      await runMain(["taken"], { cwd: dir.path }),
      /^taken already exists and is not empty\. Pick a new directory: npm create agentfold@latest <new-directory>\.\n$/,
    );
    assert.deepEqual(readdirSync(taken), ["notes.txt"]);
  });

  test("a file where the directory should go, an empty name, two names, an unknown option: one line each, exit 2", async () => {
    writeFileSync(join(dir.path, "a-file"), "");
    assertOneLineError(await runMain(["a-file"], { cwd: dir.path }), /^a-file is a file, not a directory\. Pick a new directory/);
    assertOneLineError(
      await runMain([" "], { cwd: dir.path }),
      /^The directory name is empty\. Usage: npm create agentfold@latest \[directory\]/,
    );
    assertOneLineError(await runMain(["one", "two"], { cwd: dir.path }), /^Give one directory, not 2 \(one two\)/);
    // The real bin: an unknown option is one line and exit 2 there too.
    assertOneLineError(
      runBin(["--template", "x"], { cwd: dir.path }),
      /^Unknown option --template\. Usage: npm create agentfold@latest \[directory\] \(see --help\)\.$/m,
    );
    for (const name of ["one", "two", "x"]) assert.equal(existsSync(join(dir.path, name)), false, `${name} was not created`);
  });

  test("no directory and no terminal to ask in: one line naming the command to run, exit 2", async () => {
    const alone = join(dir.path, "alone");
    mkdirSync(alone);
    assertOneLineError(await runMain([], { cwd: alone }), /^Name the directory to create, e\.g\. npm create agentfold@latest my-agent/);
    assert.deepEqual(readdirSync(alone), []);
  });

  test("`.` and a directory holding only .git take the project; `.` prints no cd", async () => {
    const here = join(dir.path, "here");
    mkdirSync(join(here, ".git"), { recursive: true });
    const created = await runMain(["."], { cwd: here });
    assert.equal(created.code, 0, created.stderr);
    assert.doesNotMatch(created.stdout, /\bcd /);
    assert.ok(existsSync(join(here, "agent.ts")));
    assert.equal(JSON.parse(readFileSync(join(here, "package.json"), "utf8")).name, "here");
  });

  test("--help and --version", async () => {
    const help = runBin(["--help"], { cwd: dir.path });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm create agentfold@latest \[directory\]/);
    const version = await runMain(["-v"], { cwd: dir.path });
    assert.deepEqual([version.code, version.stdout], [0, `${agentfoldVersion()}\n`]);
  });

  test("under Node older than 22.13 the bin says in one line which Node it needs and how to get it, exit 2", () => {
    const probe = spawnSync(oldNode, ["--version"], { encoding: "utf8" });
    assert.match(probe.stdout, /^v(1\d|20|21|22\.([0-9]|1[0-2]))\./, `${oldNode} is an unsupported Node (this test needs one)`);
    const result = runBin(["old-node-agent"], { cwd: dir.path, node: oldNode });
    assertOneLineError(
      result,
      /^create-agentfold needs Node\.js 22\.13 or newer \(22 LTS or 24\).*this is Node\.js \d+\.\d+\.\d+\. Install Node 24 from https:\/\/nodejs\.org .*nvm install 24/,
    );
    assert.equal(existsSync(join(dir.path, "old-node-agent")), false);
  });

  test("in a terminal it asks for the directory; Ctrl-C at the question writes nothing, exit 130", async () => {
    assert.ok(hasScript(), "util-linux script gives the bin a terminal in this test");
    const cwd = join(dir.path, "tty");
    mkdirSync(cwd);
    const typed = await inTerminal(cwd, "bot\r");
    assert.equal(typed.code, 0, typed.output);
    assert.match(typed.output, /Where should the project go\? \(my-agent\)/);
    assert.match(typed.output, /cd bot/);
    assert.ok(existsSync(join(cwd, "bot", "agent.ts")), typed.output);

    const canceled = await inTerminal(cwd, "\x03");
    assert.equal(canceled.code, 130, canceled.output);
    assert.match(canceled.output, /Canceled; nothing was written\./);
    assert.deepEqual(readdirSync(cwd), ["bot"]);
  });
});

function hasScript(): boolean {
  return spawnSync("script", ["-qfec", "true", "/dev/null"], { stdio: "ignore" }).status === 0;
}

/** Runs util-linux `script` (a pseudo-terminal), types `keys` once the prompt shows, and waits for the exit. */
function inTerminal(cwd: string, keys: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", `${process.execPath} ${bin}`, "/dev/null"], {
      cwd,
      env: cleanEnv({ ...sourceCondition, TERM: "xterm-256color" }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    let typed = false;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no exit within 20 s; screen:\n${output}`));
    }, 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && output.includes("Where should the project go?")) {
        typed = true;
        setTimeout(() => child.stdin.write(keys), 100);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.replace(/\r/g, "") });
    });
  });
}
