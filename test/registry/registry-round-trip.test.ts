/**
 * A user's first hour, through a real registry: every package is published to a throwaway local
 * registry, then — in a directory outside the repository, on Node 22 and on Node 24 — a project is
 * created with `npm create agentfold@latest`, installed, tested and started; `.js` and `.ts` agents
 * run; the user's own `tsc` type-checks against the published declarations; and every command the
 * CLI prints is run exactly as printed.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { packAll, userEnvironment } from "../packaging/pack-packages.ts";
import { publishAll, startLocalRegistry, type LocalRegistry } from "./local-registry.ts";
import { nodeBinDirectory } from "./node-binaries.ts";
import { launchBrowser } from "../../packages/web/test/support/browser.ts";

const work = mkdtempSync(join(tmpdir(), "agentfold-registry-"));
let registry: LocalRegistry;

before(async () => {
  registry = await startLocalRegistry(join(work, "registry"));
  publishAll(registry, packAll(join(work, "tarballs")), join(work, "npm-cache"));
});

after(async () => {
  await registry?.close();
  if (!process.env.AGENTFOLD_KEEP_TEST_OUTPUT) rmSync(work, { recursive: true, force: true });
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): Result {
  const result = spawnSync("sh", ["-c", command], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectSuccess(command: string, cwd: string, env: NodeJS.ProcessEnv): Result {
  const result = shell(command, cwd, env);
  assert.equal(result.status, 0, `\`${command}\` exited ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

/** The `npx agentfold …` lines a command printed for the user to run next. */
function printedCommands(output: string): string[] {
  return output
    .split("\n")
    .map((line) => line.trim().replace(/^\$\s+/, ""))
    .filter((line) => line.startsWith("npx agentfold "));
}

for (const major of [22, 24]) {
  test(`Node ${major}: npm create agentfold@latest, install, test, start, approve and serve`, { timeout: 600_000 }, async () => {
    const home = join(work, `node${major}`);
    mkdirSync(home, { recursive: true });
    const env = userEnvironment({
      PATH: `${nodeBinDirectory(major)}${delimiter}${process.env.PATH ?? ""}`,
      npm_config_userconfig: registry.userconfig,
      npm_config_cache: join(work, "npm-cache"),
      // A user's shell has no CI variables: the CLI would otherwise change how it prints.
      CI: "",
      NO_COLOR: "1",
    });
    assert.match(expectSuccess("node --version", home, env).stdout, new RegExp(`^v${major}\\.`));

    const created = expectSuccess("npm create agentfold@latest my-agent", home, env);
    const project = join(home, "my-agent");
    for (const line of ["cd my-agent", "npm install"])
      assert.ok(created.stdout.includes(line), `create prints "${line}":\n${created.stdout}`);

    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      assert.doesNotMatch(range, /^(file|link|workspace):|\//, `${name} is installed from a registry range, not a path: ${range}`);
    }

    expectSuccess("npm install", project, env);
    expectSuccess("npm test", project, env);
    const started = expectSuccess("npm start", project, env);
    assert.match(started.stdout, /done/i);

    // The user's own TypeScript, with a plain nodenext config and no skipLibCheck, against every
    // published entry's declarations (never agentfold's sources).
    writeFileSync(
      join(project, "all-entries.ts"),
      [
        'import * as agentfold from "agentfold";',
        'import * as runtime from "agentfold/runtime";',
        'import * as testing from "agentfold/testing";',
        'import * as models from "@agentfold/models";',
        'import * as stores from "@agentfold/stores";',
        'import * as server from "@agentfold/server";',
        'import * as cli from "@agentfold/cli";',
        'import * as evals from "@agentfold/evals";',
        "export const entries = [agentfold, runtime, testing, models, stores, server, cli, evals];",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(project, "tsconfig.plain.json"),
      JSON.stringify({
        compilerOptions: { module: "nodenext", strict: true, noEmit: true, types: ["node"], rewriteRelativeImportExtensions: true },
        include: ["*.ts"],
      }),
    );
    expectSuccess("npx tsc -p tsconfig.plain.json", project, env);

    // A plain JavaScript agent module beside the TypeScript one.
    writeFileSync(
      join(project, "echo.js"),
      [
        'import { z } from "zod";',
        'import { defineAgent, defineTool, doneForNow } from "agentfold";',
        "const shout = defineTool({",
        '  intent: "shout",',
        '  description: "upper-case a text",',
        "  args: z.object({ text: z.string() }),",
        "  run: ({ text }) => text.toUpperCase(),",
        "});",
        'export const echo = defineAgent({ name: "echo", tools: [shout, doneForNow()] });',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(project, "echo.json"),
      JSON.stringify({
        steps: [
          { intent: "shout", text: "hi" },
          { intent: "done_for_now", message: "HI" },
        ],
      }),
    );
    assert.match(expectSuccess('npx agentfold run echo.js "shout hi" --model script:echo.json', project, env).stdout, /HI/);

    // The approval flow without a terminal: it pauses, prints how to go on, and that runs as printed.
    const paused = shell("npm run start:approval", project, env);
    assert.equal(paused.status, 3, `a thread waiting for approval exits 3\n${paused.stdout}\n${paused.stderr}`);
    const approve = printedCommands(paused.stdout + paused.stderr).find(
      (line) => line.startsWith("npx agentfold approve ") && !line.includes("--args"),
    );
    assert.ok(approve, `an approve command is printed:\n${paused.stdout}\n${paused.stderr}`);
    const approved = expectSuccess(approve, project, env);
    assert.match(approved.stdout, /done/i);

    // One more paused thread, for a person to approve in the inbox that serve mounts.
    const waiting = shell("npm run start:approval", project, env);
    assert.equal(waiting.status, 3, waiting.stdout + waiting.stderr);

    // serve answers on a free port and shows the agent.
    // Its own process group, so that stopping it stops npx's child too.
    const server = spawn("sh", ["-c", "npx agentfold serve --agents agent.ts --port 0 --json --model script:script.json"], {
      cwd: project,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        const timer = setTimeout(() => reject(new Error(`serve printed no URL:\n${output}`)), 60_000);
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /"url"\s*:\s*"([^"]+)"/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        };
        server.stdout!.on("data", read);
        server.stderr!.on("data", read);
        server.once("exit", (code) => reject(new Error(`serve exited ${code}:\n${output}`)));
      });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const threads = (await (await fetch(`${url}/v1/threads`)).json()) as { threads: { agent: string }[] };
      assert.ok(threads.threads.length > 0, "the threads run above are listed");

      // The inbox of the installed package, in a real browser: approve the waiting call.
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.goto(url);
        await page.getByRole("button", { name: "Approve", exact: true }).first().click();
        await page
          .locator(".card-status")
          .getByText(/Approved publish_note\. The thread goes on\./)
          .waitFor({ timeout: 30_000 });
      } finally {
        await browser.close();
      }
      const awaiting = (await (await fetch(`${url}/v1/threads?status=awaiting_approval`)).json()) as { threads: unknown[] };
      assert.equal(awaiting.threads.length, 0, "nothing is left waiting after the approval in the inbox");
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        process.kill(-server.pid!, "SIGTERM");
        await exited;
      }
    }
  });
}
