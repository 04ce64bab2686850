/**
 * The CLI in a pseudo-terminal: approvals and questions are asked interactively, with a spinner
 * while the model runs and the answers stored as they are given.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { calculatorModule, fixtures, hasScript, json, keys, runCli, runInTerminal, tempDir } from "./helpers.ts";

describe("in a terminal", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    // The pseudo-terminal comes from util-linux's `script`; without it these tests cannot run, which is a failure to fix.
    assert.ok(hasScript(), "util-linux `script` is not installed: apt-get install bsdutils (Debian) or util-linux");
    dir = tempDir("pty");
  });
  after(() => dir.remove());

  test("run → approval prompt → edit args (invalid JSON is asked again) → done", async () => {
    const session = runInTerminal(
      ["run", calculatorModule, "can you divide 3 by 4", "--model", `script:${join(fixtures, "divide.json")}`],
      { cwd: dir.path },
    );
    await session.waitFor('calculator wants to run divide {"a":3,"b":4}');
    await session.waitFor("Reject with a comment");
    await session.type(keys.down);
    await session.type(keys.enter);
    await session.waitFor("Arguments for divide as a JSON object");
    await session.type(keys.backspace.repeat(20));
    await session.type('{"a": 3, "b": }');
    await session.type(keys.enter);
    await session.waitFor("Not JSON");
    await session.type(keys.backspace.repeat(20));
    await session.type('{"a": 3, "b": "5"}');
    await session.type(keys.enter);
    await session.waitFor('Edited arguments for "divide" are invalid');
    await session.type(keys.backspace.repeat(20));
    await session.type('{"a": 3, "b": 5}');
    await session.type(keys.enter);
    await session.waitFor("divide → 0.6");
    assert.equal(await session.exited, 0, session.output());
    assert.match(session.output(), /approved with edited args by cli:tester \{"a":3,"b":5\}/);
    assert.match(session.output(), /done\s+\(calculator, 8 events\)/);

    const threads = json<{ threads: Array<{ status: string }> }>(await runCli(["threads", "ls", "--json"], { cwd: dir.path }));
    assert.deepEqual(
      threads.threads.map((thread) => thread.status),
      ["done"],
    );
  });

  test("the model's reply shows as it streams, before the decision's line", async () => {
    const session = runInTerminal(
      ["run", calculatorModule, "can you divide 3 by 4", "--model", `script:${join(fixtures, "divide.json")}`],
      { cwd: dir.path },
    );
    // The scripted model streams its reply (prompt mode: the JSON text) in pieces; the preview shows them.
    await session.waitFor('{"intent":"divide","a":3,"b":4}');
    await session.waitFor('calculator wants to run divide {"a":3,"b":4}');
    await session.type(keys.ctrlC);
    assert.equal(await session.exited, 3, session.output());
  });

  test("a question is answered in the terminal; Ctrl-C at a prompt leaves the thread waiting (exit 3)", async () => {
    const target = `${join(fixtures, "two-agents.ts")}#helper`;
    const model = `script:${join(fixtures, "question.json")}`;
    const session = runInTerminal(["run", target, "help me divide", "--model", model], { cwd: dir.path });
    await session.waitFor("helper asks: Which divisor should I use?");
    await session.type("use 4");
    await session.type(keys.enter);
    await session.waitFor("done: Thanks, noted.");
    assert.equal(await session.exited, 0, session.output());
    assert.match(session.output(), /answer by cli:tester: use 4/);

    const stopped = runInTerminal(["run", target, "help me again", "--model", model], { cwd: dir.path });
    await stopped.waitFor("helper asks: Which divisor should I use?");
    await stopped.type(keys.ctrlC);
    assert.equal(await stopped.exited, 3, stopped.output());
    assert.match(stopped.output(), /awaiting_human/);
    assert.match(stopped.output(), /agentfold respond thr_\w+ call_1_0/);
  });

  test("a spinner shows while the model is called; Ctrl-C then stops cleanly with exit 130 and the thread resumable", async () => {
    // A model server that never answers keeps the spinner up until Ctrl-C.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const session = runInTerminal(
        ["run", calculatorModule, "can you divide 3 by 4", "--model", `openai-compatible:http://127.0.0.1:${port}/v1#silent`],
        { cwd: dir.path },
      );
      await session.waitFor("thinking (openai-compatible:");
      await session.type(keys.ctrlC);
      assert.equal(await session.exited, 130, session.output());
      const id = /Everything up to here is saved in thread (thr_\w+); continue with: agentfold resume thr_\w+/.exec(session.output())?.[1];
      assert.ok(id, session.output());
      const shown = json<{ status: string; version: number }>(await runCli(["threads", "show", id, "--json"], { cwd: dir.path }));
      assert.deepEqual([shown.status, shown.version], ["running", 1]);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
