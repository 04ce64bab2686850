/**
 * Bad input gets one clear line and exit code 2, never a stack trace; help has examples everywhere.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Command } from "commander";
import { createContext } from "../src/commands/context.ts";
import { createProgram } from "../src/main.ts";
import { calculatorModule, captureStream, fixtures, json, runBin, runCli, tempDir, type CliResult } from "./helpers.ts";

const divideScript = `script:${join(fixtures, "divide.json")}`;

function assertUsageError(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit code; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, "no stack trace");
}

describe("bad input", () => {
  let dir: ReturnType<typeof tempDir>;
  let waitingId = "";
  before(async () => {
    dir = tempDir("bad");
    const run = await runCli(["run", calculatorModule, "can you divide 3 by 4", "--model", divideScript, "--json"], { cwd: dir.path });
    waitingId = json<{ id: string }>(run).id;
  });
  after(() => dir.remove());

  test("unknown module, module without agents, unknown or ambiguous agent name", async () => {
    const [missing, empty, ambiguous, unknownName] = await Promise.all([
      runCli(["run", "nope/agent.ts", "hi", "--model", divideScript], { cwd: dir.path }),
      runCli(["run", join(fixtures, "no-agents.ts"), "hi", "--model", divideScript], { cwd: dir.path }),
      runCli(["run", join(fixtures, "two-agents.ts"), "hi", "--model", divideScript], { cwd: dir.path }),
      runCli(["run", `${join(fixtures, "two-agents.ts")}#writer`, "hi", "--model", divideScript], { cwd: dir.path }),
    ]);
    assertUsageError(missing, /Agent module "nope\/agent\.ts" does not exist/);
    assertUsageError(empty, /exports no agent \(exports: answer\)/);
    assertUsageError(ambiguous, /exports several agents \(helper, limited, reviewer\).*#<name>/);
    assertUsageError(unknownName, /No agent named "writer" .*Agents found: helper, limited, reviewer/);
  });

  test("invalid --args: not JSON, not an object, not matching the tool's schema; the thread is unchanged", async () => {
    const [notJson, notObject, wrongType] = await Promise.all([
      runCli(["approve", waitingId, "call_1_0", "--args", "{a: 3"], { cwd: dir.path }),
      runCli(["approve", waitingId, "call_1_0", "--args", "[3, 4]"], { cwd: dir.path }),
      runCli(["approve", waitingId, "call_1_0", "--args", '{"a": 3, "b": "four"}'], { cwd: dir.path }),
    ]);
    assertUsageError(notJson, /--args is not valid JSON/);
    assertUsageError(notObject, /--args must be a JSON object/);
    assertUsageError(wrongType, /Edited arguments for "divide" are invalid: b: .*expected number/);
    const shown = json<{ status: string; version: number }>(await runCli(["threads", "show", waitingId, "--json"], { cwd: dir.path }));
    assert.deepEqual([shown.status, shown.version], ["awaiting_approval", 3]);
  });

  test("unknown thread, call that is not pending, answering an approval", async () => {
    const [thread, call, wrongKind] = await Promise.all([
      runCli(["threads", "show", "thr_does_not_exist"], { cwd: dir.path }),
      runCli(["approve", waitingId, "call_9_9"], { cwd: dir.path }),
      runCli(["respond", waitingId, "call_1_0", "yes"], { cwd: dir.path }),
    ]);
    assertUsageError(thread, /No thread with id "thr_does_not_exist" .*agentfold threads ls/);
    assertUsageError(call, /Call call_9_9 is not pending .*Pending: approval call_1_0/);
    assertUsageError(wrongKind, /waits for an approval: approve or reject it/);
  });

  test("unknown command or option, missing argument, bad option values", async () => {
    const results = await Promise.all([
      runCli(["rn", "x"], { cwd: dir.path }),
      runCli(["threads", "ls", "--colour"], { cwd: dir.path }),
      runCli(["approve", waitingId], { cwd: dir.path }),
      runCli(["threads", "ls", "--status", "sleeping"], { cwd: dir.path }),
      runCli(["fork", waitingId, "--at", "two"], { cwd: dir.path }),
      runCli(["fork", waitingId], { cwd: dir.path }),
      runCli(["fork", waitingId, "--at", "0"], { cwd: dir.path }),
      runCli(["run", calculatorModule, "hi", "--model", "script:/no/such/steps.json"], { cwd: dir.path }),
      runCli(["threads", "ls", "--db", "mysql://localhost/x"], { cwd: dir.path }),
      runCli(["run", calculatorModule, "hi", "--model", "gpt-4o"], { cwd: dir.path }),
      runCli(["run", calculatorModule, "hi", "--model", "claude-haiku-4-5"], { cwd: dir.path }),
    ]);
    const patterns = [
      /unknown command 'rn'.*Did you mean run\?/s,
      /unknown option '--colour'/,
      /missing required argument 'callId'/,
      /Unknown status "sleeping"\. Use one of: running, /,
      /--at must be a whole number/,
      /required option '--at <n>' not specified/,
      /Cannot fork thread thr_\w+ at event 0: it has 3 events and a fork keeps at least the first, the request \(use 1\.\.3\)/,
      /Cannot read the model script \/no\/such\/steps\.json/,
      /Unsupported store URL scheme "mysql:"/,
      /Unknown model spec "gpt-4o": did you mean openai:gpt-4o\?/,
      /Unknown model spec "claude-haiku-4-5": did you mean anthropic:claude-haiku-4-5\?/,
    ];
    for (const [index, result] of results.entries()) assertUsageError(result, patterns[index] ?? /./);
  });

  test("no model configured: exit 2 naming the ways to give one (the real binary)", async () => {
    // Every download attempt goes to a closed port, so this never waits for the network. Node reads
    // the proxy variables when it starts, hence a process of its own.
    const offline = {
      NODE_USE_ENV_PROXY: "1",
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      AGENTFOLD_MODELS_DIR: join(dir.path, "models"),
    };
    const result = await runBin(["run", calculatorModule, "can you divide 3 by 4", "--db", join(dir.path, "no-model.db")], {
      cwd: dir.path,
      env: offline,
    });
    assertUsageError(result, /OPENAI_API_KEY/);
    assert.match(result.stderr, /openai-compatible:/);
    assert.match(result.stderr, /local:/);
  });

  test("--json errors are JSON on stdout", async () => {
    const result = await runCli(["threads", "show", "thr_nope", "--json"], { cwd: dir.path });
    assert.equal(result.code, 2);
    const body = json<{ error: { code: string; message: string } }>(result);
    assert.match(body.error.message, /No thread with id "thr_nope"/);
  });

  test("--help of every command shows examples; the top level lists exit codes", async () => {
    const program = createProgram(
      createContext({ env: {}, cwd: dir.path, stdout: captureStream(), stderr: captureStream(), stdin: { isTTY: false } }),
    );
    const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
    const commands = all(program);
    assert.ok(commands.length >= 14, commands.map((command) => command.name()).join(", "));
    for (const command of commands) {
      let text = "";
      command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
      command.outputHelp();
      assert.match(text, /Examples:\n\s+\$ agentfold /, `${command.name()} --help has examples`);
    }
    // The real binary: its --help and the exit code of a command it does not know.
    const [help, unknown] = await Promise.all([runBin(["--help"], { cwd: dir.path }), runBin(["rn", "x"], { cwd: dir.path })]);
    assertUsageError(unknown, /unknown command 'rn'.*Did you mean run\?/s);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:\n\s+0\s+done.*\n\s+1\s+unexpected.*\n\s+2\s+bad input.*\n\s+3\s+the thread waits/);
    const runHelp = await runCli(["run", "--help"], { cwd: dir.path });
    assert.equal(runHelp.code, 0);
    assert.match(runHelp.stdout, /Usage: agentfold run \[options\] <module> <message>/);
  });
});
