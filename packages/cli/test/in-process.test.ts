/**
 * `main(argv, options)` runs a command in this process without touching the process: output goes to
 * the given streams, colours and the printed command words follow the given variables, commands run
 * side by side without mixing, and the given signal stops a run like Ctrl-C.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { main } from "../src/main.ts";
import { calculatorModule, captureStream, fixtures, json, runCli, tempDir } from "./helpers.ts";

const divideScript = `script:${join(fixtures, "divide.json")}`;

describe("main in process", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("in-process");
  });
  after(() => dir.remove());

  test("writes only to the given streams and returns the exit code", async () => {
    const stdout = captureStream();
    const stderr = captureStream();
    const code = await main(["threads", "show", "thr_nope"], { stdout, stderr, stdin: { isTTY: false }, env: {}, cwd: dir.path });
    assert.equal(code, 2);
    assert.equal(stdout.text, "");
    assert.match(stderr.text, /^error: No thread with id "thr_nope" .*List threads with: agentfold threads ls/);
  });

  test("colours and command words come from the given variables, not the process's", async () => {
    const [plain, coloured, wrapped] = await Promise.all([
      runCli(["run", calculatorModule, "divide 3 by 4", "--model", divideScript], { cwd: dir.path }),
      runCli(["run", calculatorModule, "divide 3 by 4", "--model", divideScript], { cwd: dir.path, env: { FORCE_COLOR: "1" } }),
      runCli(["run", calculatorModule, "divide 3 by 4", "--model", divideScript], {
        cwd: dir.path,
        env: { AGENTFOLD_COMMAND: "./agentfold" },
      }),
    ]);
    for (const result of [plain, coloured, wrapped]) assert.equal(result.code, 3, result.stderr);
    // eslint-disable-next-line no-control-regex -- looking for terminal colour codes is the point
    const terminalEscape = /\x1b\[/;
    assert.doesNotMatch(plain.stdout, terminalEscape);
    assert.match(coloured.stdout, terminalEscape);
    assert.match(plain.stdout, /\n\s+agentfold approve thr_\w+ call_1_0/);
    assert.match(wrapped.stdout, /\n\s+\.\/agentfold approve thr_\w+ call_1_0/);
    const stderr = captureStream();
    const installed = await main(["threads", "show", "thr_nope"], {
      stdout: captureStream(),
      stderr,
      env: {},
      cwd: dir.path,
      invokedAs: "/app/node_modules/.bin/agentfold",
    });
    assert.equal(installed, 2);
    assert.match(stderr.text, /List threads with: npx agentfold threads ls/);
  });

  test("commands side by side keep their own variables", async () => {
    const actors = ["cli:ada", "cli:grace", "cli:linus", "cli:barbara"];
    const results = await Promise.all(
      actors.map((actor) =>
        runCli(["run", calculatorModule, "divide 3 by 4", "--model", divideScript, "--json"], {
          cwd: dir.path,
          env: { AGENTFOLD_ACTOR: actor },
        }),
      ),
    );
    for (const [index, result] of results.entries()) {
      assert.equal(result.code, 3, result.stderr);
      const { id } = json<{ id: string }>(result);
      const shown = json<{ events: Array<{ type: string; actor?: string }> }>(
        await runCli(["threads", "show", id, "--json"], { cwd: dir.path }),
      );
      assert.equal(shown.events[0]?.actor, actors[index]);
    }
  });

  test("the given signal stops a run like Ctrl-C: exit 130, the thread saved and resumable", { timeout: 15_000 }, async () => {
    // A model server that never answers keeps the run waiting until the signal.
    let asked: () => void = () => {};
    const modelAsked = new Promise<void>((resolve) => (asked = resolve));
    const silent: Server = createServer(() => asked());
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const controller = new AbortController();
      const running = runCli(
        ["run", calculatorModule, "can you divide 3 by 4", "--model", `openai-compatible:http://127.0.0.1:${port}/v1#silent`],
        {
          cwd: dir.path,
          signal: controller.signal,
        },
      );
      await modelAsked;
      controller.abort();
      const result = await running;
      assert.equal(result.code, 130, result.stderr);
      const id = /Everything up to here is saved in thread (thr_\w+); continue with: agentfold resume thr_\w+/.exec(result.stderr)?.[1];
      assert.ok(id, result.stderr);
      const shown = json<{ status: string; version: number }>(await runCli(["threads", "show", id, "--json"], { cwd: dir.path }));
      assert.deepEqual([shown.status, shown.version], ["running", 1]);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
