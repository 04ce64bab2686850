import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/** Runs ES module code in a fresh Node (with this process's options) and returns its last line as JSON. */
function inFreshProcess(code: string): unknown {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

describe("dependencies loaded on first use", () => {
  it("importing agentfold builds no zod schema; the first thread builds the event schemas", () => {
    // zod sets its default locale when the first schema is made: z.config() shows whether one was.
    const seen = inFreshProcess(`
      const { z } = await import("zod");
      const unbuilt = () => z.config().localeError === undefined;
      const seen = [unbuilt()];
      const { Thread } = await import("agentfold");
      seen.push(unbuilt());
      Thread.start("hi");
      seen.push(unbuilt());
      console.log(JSON.stringify(seen));
    `) as boolean[];
    // seen[0] false would mean this zod sets its locale on import, so the check below would observe
    // nothing: then this test needs another witness of "a schema was built", not a pass.
    assert.equal(seen[0], true, "zod builds its locale on import: find another witness of schema construction");
    assert.deepEqual(seen, [true, true, false]);
  });

  it("jsonrepair loads only when a reply is not valid JSON, and then repairs it", () => {
    const seen = inFreshProcess(`
      import { registerHooks } from "node:module";
      const urls = [];
      registerHooks({ resolve: (specifier, context, next) => { const result = next(specifier, context); urls.push(result.url); return result; } });
      const { doneForNow, parseModelOutput } = await import("agentfold");
      const loaded = () => urls.some((url) => url.includes("/jsonrepair/"));
      const tools = new Map([["done_for_now", doneForNow()]]);
      const seen = [loaded()];
      seen.push(parseModelOutput('{"intent": "done_for_now", "message": "hi"}', tools).ok && loaded());
      const repaired = parseModelOutput("{intent: 'done_for_now', message: 'hi',}", tools);
      seen.push(repaired.ok && repaired.calls[0].args.message === "hi" && loaded());
      console.log(JSON.stringify(seen));
    `);
    assert.deepEqual(seen, [false, false, true]);
  });
});
