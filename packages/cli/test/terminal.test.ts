/**
 * The CLI in a pseudo-terminal: approvals and questions are asked interactively, with a spinner
 * while the model runs and the answers stored as they are given.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { calculatorModule, fixtures, hasScript, json, keys, runCli, runInTerminal, tempDir } from "./helpers.ts";

const skip = hasScript() ? false : "util-linux `script` is not installed";

describe("in a terminal", { skip }, () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("pty");
  });
  after(() => dir.remove());

  test("run → approval prompt → edit args (invalid JSON is asked again) → done", async () => {
    const session = runInTerminal(["run", calculatorModule, "can you divide 3 by 4", "--model", `script:${join(fixtures, "divide.json")}`], { cwd: dir.path });
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
    assert.deepEqual(threads.threads.map((thread) => thread.status), ["done"]);
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
});
