/** What a short command loads: only what it uses (the time itself is measured in bench/cold-start.bench.ts). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContext } from "../src/commands/context.ts";
import { createProgram, registrations } from "../src/main.ts";
import { calculatorModule, captureStream, cleanEnv, fixtures, repoRoot } from "./helpers.ts";

describe("a short command", () => {
  it("runs and approves with a script: model without loading @agentfold/models", () => {
    const directory = mkdtempSync(join(tmpdir(), "agentfold-cli-loads-"));
    try {
      const db = join(directory, "loads.db");
      const model = `script:${join(fixtures, "divide.json")}`;
      const code = `
        import { registerHooks } from "node:module";
        const urls = [];
        registerHooks({ resolve: (specifier, context, next) => { const result = next(specifier, context); urls.push(result.url); return result; } });
        const { main } = await import("@agentfold/cli");
        const quiet = { stdout: { write: () => true }, stderr: { write: () => true }, env: { AGENTFOLD_ACTOR: "cli:tester", NO_COLOR: "1" }, cwd: ${JSON.stringify(directory)} };
        const run = await main(["run", ${JSON.stringify(calculatorModule)}, "can you divide 3 by 4", "--model", ${JSON.stringify(model)}, "--db", ${JSON.stringify(db)}, "--json"], quiet);
        let out = "";
        const approve = await main(["threads", "ls", "--db", ${JSON.stringify(db)}, "--json"], { ...quiet, stdout: { write: (text) => (out += text, true) } });
        const id = JSON.parse(out).threads[0].id;
        const done = await main(["approve", id, "call_1_0", "--db", ${JSON.stringify(db)}, "--json"], quiet);
        console.log(JSON.stringify({ codes: [run, approve, done], models: urls.some((url) => /\\/packages\\/models\\//.test(url)) }));
      `;
      const result = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", env: cleanEnv(), cwd: repoRoot });
      assert.equal(result.status, 0, result.stderr);
      // run pauses for the approval (3), threads ls succeeds (0), approve ends done (0).
      assert.deepEqual(JSON.parse(result.stdout.trim().split("\n").at(-1)!), { codes: [3, 0, 0], models: false });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("registering only the command a command line names", () => {
  const context = () =>
    createContext({ env: {}, cwd: repoRoot, stdout: captureStream(), stderr: captureStream(), stdin: { isTTY: false } });
  const full = createProgram(context());
  const help = (command: { helpInformation(): string } | undefined) => command?.helpInformation();

  it("names every top-level command in the table of registrations, and nothing else", () => {
    const listed = new Set(registrations.flatMap(([names]) => names));
    assert.deepEqual(new Set(full.commands.map((command) => command.name())), listed);
  });

  it("gives each command, its subcommands and their help exactly as the full program has them", () => {
    for (const top of full.commands) {
      const partial = createProgram(context(), top.name());
      const mine = partial.commands.find((command) => command.name() === top.name());
      assert.equal(help(mine), help(top), top.name());
      assert.deepEqual(
        mine?.commands.map((command) => help(command)),
        top.commands.map((command) => help(command)),
        top.name(),
      );
    }
  });

  it("registers everything for an option, an unknown word or nothing", () => {
    for (const word of [undefined, "--help", "-v", "rn", "help"]) {
      assert.equal(createProgram(context(), word).commands.length, full.commands.length, String(word));
    }
    assert.ok(createProgram(context(), "approve").commands.length < full.commands.length);
  });
});
