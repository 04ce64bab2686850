/**
 * The first hour of a new user, end to end with real processes: `agentfold init` in an empty
 * directory, the starter agent run with its scripted replies, a pause for approval answered with
 * edited arguments, `agentfold serve` on a free port, a question answered in the inbox in Chromium,
 * and `npm test` (the evals, the unit test, the type-check).
 *
 * Every command the CLI prints as a next step ("Next:", "continue with:", the banner's "try:") is
 * collected and run as printed, through `sh`, with `npx agentfold` or `agentfold` exactly as shown;
 * the last test checks that none was left out. Two exceptions: `npm install` (it needs a registry;
 * the project's node_modules is linked to this checkout instead, as an install would place the
 * published packages) and the approval's `--args` line, a template the person edits: it runs with
 * only its JSON changed. See docs/decisions/2026-11-30-first-hour-walkthrough.md.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { linkCheckoutPackages, repoRoot, sourceEnv, tempDir } from "../../packages/create-agentfold/test/support.ts";
import { launchBrowser } from "../../packages/web/test/support/browser.ts";
import { waitFor } from "../../packages/web/test/support/wait.ts";
import { nextCommands, PrintedCommands } from "./printed-commands.ts";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What the person's own scripted replies say when a thread started in the inbox asks a question. */
const questionScript = {
  steps: [
    { intent: "request_human_input", question: "What should the note say?" },
    { intent: "done_for_now", message: "Noted." },
  ],
};

describe("the first hour", { timeout: 120_000 }, () => {
  let dir: ReturnType<typeof tempDir>;
  let project = "";
  let env: NodeJS.ProcessEnv;
  let browser: Promise<Browser>;
  let server: ChildProcess | undefined;
  let serverUrl = "";
  let tested: Promise<Result>;
  const printed = new PrintedCommands();

  /** Runs `command` with `sh -c` in the project (or `cwd`): what typing it in a shell does. */
  function sh(command: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", command], {
        cwd: options.cwd ?? project,
        env: options.env ?? env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs a command the CLI printed, exactly as printed, and remembers that it ran. */
  async function runPrinted(command: string): Promise<Result> {
    const result = await sh(command);
    assert.equal(result.code, 0, `${command}\n${result.stdout}\n${result.stderr}`);
    printed.ran(command);
    printed.add(result.stdout);
    return result;
  }

  before(() => {
    dir = tempDir("first-hour");
    // No `agentfold` on PATH, as for a person who created the project with `npm create agentfold`:
    // a printed command that said `agentfold …` where `npx agentfold …` is needed fails here.
    // (`npm test` puts the repository's node_modules/.bin, which holds one, on PATH: left out.)
    const path = (sourceEnv().PATH ?? "")
      .split(":")
      .filter((entry) => !entry.endsWith("node_modules/.bin"))
      .join(":");
    env = sourceEnv({ PATH: path, npm_config_offline: "true", npm_config_update_notifier: "false" });
    // The one browser of this file starts while the CLI steps run; a failed launch is reported where it is awaited.
    browser = launchBrowser();
    browser.catch(() => {});
  });

  after(async () => {
    server?.kill("SIGTERM");
    await (await browser.catch(() => undefined))?.close();
    dir?.remove();
  });

  test("agentfold init creates the project and prints the next steps: cd, npm install, npm start, npm test, threads ls", async () => {
    // `agentfold` on PATH for this one command, as after `npm install -g @agentfold/cli`: this checkout's bin.
    const globalBin = join(dir.path, "global-bin");
    mkdirSync(globalBin);
    symlinkSync(join(repoRoot, "packages/cli/bin/agentfold.js"), join(globalBin, "agentfold"));
    const created = await sh("agentfold init my-agent", { cwd: dir.path, env: { ...env, PATH: `${globalBin}:${env.PATH}` } });
    assert.equal(created.code, 0, created.stderr);
    const next = printed.add(created.stdout);
    assert.deepEqual(next, ["cd my-agent", "npm install", "npm start", "npm test", "npx agentfold threads ls"]);
    // `cd` only moves the shell: every later command runs in the project.
    project = join(dir.path, "my-agent");
    assert.ok(existsSync(join(project, "agent.ts")));
    printed.ran("cd my-agent");
    // `npm install` needs the registry: link this checkout's packages, as an install would place them,
    // and let the type-check see their sources (what `--conditions=agentfold-source` does for Node).
    linkCheckoutPackages(project);
    const tsconfig = JSON.parse(readFileSync(join(project, "tsconfig.json"), "utf8"));
    tsconfig.compilerOptions.customConditions = ["agentfold-source"];
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig));
    printed.ran("npm install");
  });

  test("npm start runs the starter agent to done; npx agentfold threads ls lists its thread", async () => {
    const started = await runPrinted("npm start");
    assert.match(started.stdout, /✔ "how many words are in this sentence" has 7 words\./);
    const listed = await runPrinted("npx agentfold threads ls");
    assert.match(listed.stdout, /assistant +done/);
  });

  test("a call that needs approval pauses the run and prints approve, approve --args and reject, each of which runs as printed", async () => {
    // Three paused threads: one per printed way to go on.
    const runs = await Promise.all([1, 2, 3].map(() => sh("npm run --silent start:approval")));
    const printedByRun = runs.map((run) => {
      assert.equal(run.code, 3, `a thread waiting for a person exits 3\n${run.stdout}\n${run.stderr}`);
      return printed.add(run.stdout);
    });
    for (const next of printedByRun) {
      assert.equal(next.length, 3, next.join("\n"));
      assert.match(next[0]!, /^npx agentfold approve thr_\w+ call_1_0$/);
      assert.match(next[1]!, /^npx agentfold approve thr_\w+ call_1_0 --args '\{"title":"hello","body":"Hello from my first agent\."\}'$/);
      assert.match(next[2]!, /^npx agentfold reject thr_\w+ call_1_0 --comment '<why>'$/);
    }
    const [first, second, third] = printedByRun as [string[], string[], string[]];

    // The person edits the arguments in the printed command, and only them.
    const template = first[1]!;
    const edited = template.replace(
      `{"title":"hello","body":"Hello from my first agent."}`,
      `{"title":"hello","body":"Edited before publishing."}`,
    );
    assert.notEqual(edited, template);
    const [approved, plain, rejected] = await Promise.all([sh(edited), runPrinted(second[0]!), runPrinted(third[2]!)]);
    assert.equal(approved.code, 0, `${edited}\n${approved.stdout}\n${approved.stderr}`);
    printed.ran(template);
    assert.match(approved.stdout, /approved with edited args by cli:tester \{"title":"hello","body":"Edited before publishing\."\}/);
    assert.match(approved.stdout, /running publish_note \{"title":"hello","body":"Edited before publishing\."\}/);
    assert.match(approved.stdout, /publish_note → \{"published":true,"title":"hello"\}/);
    assert.match(approved.stdout, /✔ Finished: the note was published if you approved it/);
    assert.deepEqual(nextCommands(approved.stdout), [], "a done thread has no next step");
    assert.match(plain.stdout, /approved by cli:tester \[call_1_0\]/);
    assert.match(rejected.stdout, /rejected by cli:tester "<why>" \[call_1_0\]/);
    assert.doesNotMatch(rejected.stdout, /publish_note →|✔ Published/, "a rejected note is not published, nor said to be");
  });

  test("agentfold serve listens on a free port and its banner's try: command runs as printed", async () => {
    // npm test needs neither the server nor the store: it runs meanwhile and is checked last.
    tested = runPrinted("npm test");
    tested.catch(() => {});
    writeFileSync(join(project, "script-question.json"), `${JSON.stringify(questionScript, null, 2)}\n`);
    // Started as `npx agentfold` would (the project's bin), without the shell in between so it stops on SIGTERM.
    const child = spawn(
      process.execPath,
      [
        join(project, "node_modules/.bin/agentfold"),
        "serve",
        "--agents",
        "agent.ts",
        "--port",
        "0",
        "--model",
        "script:script-question.json",
      ],
      { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    server = child;
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    // A busy machine (npm test runs files side by side) can take seconds to load the server.
    const banner = await waitFor(
      "the serve banner",
      async () => {
        assert.equal(child.exitCode, null, `serve exited\n${stdout}\n${stderr}`);
        return /Ctrl-C stops/.test(stdout) && stdout;
      },
      30_000,
    );
    serverUrl = /agentfold API on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] ?? "";
    assert.notEqual(serverUrl, "", banner);
    assert.match(banner, /agents: assistant/);
    const next = printed.add(banner);
    assert.deepEqual(next, [`curl -s ${serverUrl}/healthz`]);
    const health = await runPrinted(next[0]!);
    assert.match(health.stdout, /ok/);
  });

  test("in the inbox, a new thread asks a question; the answer typed there finishes it", async () => {
    const page = await (await browser).newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(serverUrl);
    // When a script of the page fails to load, nothing renders: say why rather than only that the button never came.
    await page
      .getByRole("button", { name: "New thread…" })
      .click({ timeout: 10_000 })
      .catch((error: Error) => {
        throw new Error(`${error.message}\npage errors: ${pageErrors.join("\n") || "none"}`);
      });
    const form = page.getByRole("form", { name: "Start a thread" });
    assert.deepEqual(await form.getByLabel("Agent").locator("option").allTextContents(), ["assistant"]);
    await page.keyboard.type("write a note for the team");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /^#\/threads\/thr_/.test(location.hash));
    const id = decodeURIComponent(await page.evaluate(() => location.hash.slice("#/threads/".length)));

    await page.getByRole("link", { name: /^Inbox/ }).click();
    const card = page.locator(`#inbox-list article.card[data-thread-id="${id}"]`);
    await card.getByText("What should the note say?").waitFor();
    await card.getByLabel("Your answer").fill("Lunch is at noon.");
    await card.getByRole("button", { name: "Send answer" }).click();
    await card.getByText("Answer sent").waitFor();

    const thread = await waitFor(
      "the answered thread to finish",
      async () => {
        const response = await fetch(`${serverUrl}/v1/threads/${id}`);
        const body = (await response.json()) as { status: string; events: { type: string; text?: string; message?: string }[] };
        return body.status === "done" && body;
      },
      20_000,
    );
    assert.equal(thread.events.find((event) => event.type === "human_response")?.text, "Lunch is at noon.");
    assert.equal(thread.events.at(-1)?.message, "Noted.");
    assert.deepEqual(pageErrors, []);
  });

  test("npm test passes: the evals with the scripted replies, the unit test, the type-check", async () => {
    const { stdout } = await tested;
    assert.match(stdout, /2 of 2 cases at or above 90%/);
    assert.match(stdout, /fail 0\n/);
  });

  test("every next command the CLI printed ran as printed", () => {
    assert.deepEqual(printed.notRun(), []);
  });
});
