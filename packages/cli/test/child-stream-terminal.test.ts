/**
 * In a terminal, a child agent's own model (`asTool({ model })`) streams under a line naming the
 * child's thread while its parent's tool runs it; the parent's own reply streams as before.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fixtures, hasScript, runInTerminal, tempDir } from "./helpers.ts";

describe("a child agent's reply in a terminal", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    // The pseudo-terminal comes from util-linux's `script`; without it this test cannot run, which is a failure to fix.
    assert.ok(hasScript(), "util-linux `script` is not installed: apt-get install bsdutils (Debian) or util-linux");
    dir = tempDir("child-stream");
  });
  after(() => dir.remove());

  test("the child's model streams under its thread's name, before the parent waits for the child's approval", async () => {
    const session = runInTerminal(
      ["run", join(fixtures, "family.ts"), "I want my $20 back", "--model", `script:${join(fixtures, "family.json")}`],
      {
        cwd: dir.path,
      },
    );
    // The parent's own model, then its tool runs the child, whose model (the refunder's own) streams.
    await session.waitFor('{"intent":"refunder","message":"refund $20"}');
    await session.waitFor("child thread thr_");
    await session.waitFor('{"intent":"refund","amount":20}');
    assert.equal(await session.exited, 3, session.output());
    const output = session.output();
    assert.ok(output.indexOf("child thread thr_") < output.lastIndexOf("awaiting_approval"), output);
  });
});
