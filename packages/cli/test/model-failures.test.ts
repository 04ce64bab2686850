/**
 * A model the provider refuses (a bad key) is a fault to fix, not a question for a person: the
 * command exits 1, says what to fix and how to resume, and `agentfold resume` continues the thread
 * once the provider answers. Retries show in the spinner.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startFakeProviderServer, type FakeProviderServer } from "../../models/test/support/fake-provider-server.ts";
import { retryText } from "../src/format-thread.ts";
import { startSpinner } from "../src/spinner.ts";
import { calculatorModule, captureStream, runCli, tempDir } from "./helpers.ts";

describe("a model the provider refuses", () => {
  let dir: ReturnType<typeof tempDir>;
  let server: FakeProviderServer;
  before(async () => {
    dir = tempDir("model-failures");
    server = await startFakeProviderServer();
  });
  after(async () => {
    dir.remove();
    await server.close();
  });

  test("exits 1 with the provider's message; resume continues the thread once fixed", async () => {
    server.reply({ status: 401, body: { error: { message: "Incorrect API key provided: sk-bad.", type: "invalid_request_error" } } });
    const model = `openai-compatible:${server.url}#m`;
    const failed = await runCli(["run", calculatorModule, "divide 3 by 4", "--model", model, "--json"], { cwd: dir.path });
    assert.equal(failed.code, 1);
    assert.equal(server.requests.length, 1);
    const summary = JSON.parse(failed.stdout) as { id: string; status: string; failure: string; reason: string; next: string[] };
    assert.equal(summary.status, "failed");
    assert.equal(summary.failure, "model_misconfigured");
    assert.match(summary.reason, /is misconfigured \(HTTP 401\).*Incorrect API key provided/);
    assert.deepEqual(summary.next, [`agentfold resume ${summary.id}`]);

    const resumed = await runCli(["resume", summary.id, "--model", model, "--json"], { cwd: dir.path });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((JSON.parse(resumed.stdout) as { status: string }).status, "done");
  });
});

describe("retries in the terminal", () => {
  test("retryText names the status, the attempt and the wait", () => {
    assert.equal(retryText({ attempt: 1, status: 429, waitMs: 2500, message: "slow down" }), "HTTP 429 on attempt 1, retrying in 2.5 s");
    assert.equal(
      retryText({ attempt: 2, waitMs: 40, message: "fetch failed (ECONNRESET)" }),
      "fetch failed (ECONNRESET) on attempt 2, retrying in 40 ms",
    );
  });

  test("the spinner shows an updated message and erases its line on clear", () => {
    const stream = captureStream();
    const spinner = startSpinner(stream, "thinking (m)", false);
    spinner.update("thinking (m): HTTP 429 on attempt 1, retrying in 2.5 s");
    const before = stream.text.length;
    spinner.clear();
    spinner.stop();
    assert.match(stream.text, /thinking \(m\): HTTP 429 on attempt 1, retrying in 2\.5 s/);
    assert.equal(stream.text.slice(before, before + 5), "\r\x1b[2K");
  });
});
