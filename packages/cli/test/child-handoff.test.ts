/**
 * A child agent that hands off, through the CLI in separate processes: the agent it handed to asks
 * for approval on the child's thread; the `approve` that `threads show` prints runs as printed (the
 * CLI finds that agent through the child's handoff tools), and the parent finishes with its answer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fixtures, runBin, tempDir } from "./helpers.ts";

const module = join(fixtures, "handoff-family.ts");
const script = `script:${join(fixtures, "handoff-family.json")}`;

describe("a child agent that hands off, through the CLI", () => {
  const dir = tempDir("handoff-family");
  after(() => dir.remove());

  test("approve <child> as printed approves the agent handed to; the parent finishes with its answer", async () => {
    const run = await runBin(["run", module, "I want my $20 back", "--model", script, "--json"], { cwd: dir.path });
    assert.equal(run.code, 3, run.stderr);
    const parent = JSON.parse(run.stdout) as { id: string; pending: { childThreadId?: string }[] };
    const childId = parent.pending[0]!.childThreadId!;

    const shown = await runBin(["threads", "show", childId], { cwd: dir.path });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /billing/);
    const printed = shown.stdout.match(/agentfold approve (\S+) (\S+)/);
    assert.ok(printed, shown.stdout);

    const approved = await runBin(["approve", printed[1]!, printed[2]!, "--json"], { cwd: dir.path });
    assert.equal(approved.code, 0, approved.stderr);
    const final = JSON.parse(approved.stdout) as { id: string; status: string; result?: string };
    assert.deepEqual([final.id, final.status, final.result], [parent.id, "done", "your refund is on its way"]);
    const child = JSON.parse((await runBin(["threads", "show", childId, "--json"], { cwd: dir.path })).stdout) as {
      status: string;
      agent: string;
      events: { type: string; message?: string; to?: string }[];
    };
    assert.equal(child.status, "done");
    assert.equal(child.events.find((event) => event.type === "handoff")?.to, "billing");
    assert.equal(child.events.at(-1)?.message, "billing refunded $20");
  });
});
