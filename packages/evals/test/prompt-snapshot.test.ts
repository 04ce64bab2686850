/**
 * Prompt snapshots: written when missing (but never under CI=true), matched byte for byte, a diff
 * when the prompt changes, and accepted with AGENTFOLD_UPDATE_SNAPSHOTS=1.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineAgent } from "agentfold";
import { expectPromptSnapshot, lineDiff, renderPromptText } from "../src/index.ts";
import { mathAgent } from "./fixtures/agent.ts";

const dir = mkdtempSync(join(tmpdir(), "agentfold-snapshot-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const thread = mathAgent.start("multiply 3 and 4");
const local = { CI: undefined, AGENTFOLD_UPDATE_SNAPSHOTS: undefined };

test("a missing snapshot is written locally and matched afterwards", () => {
  const file = join(dir, "written.txt");
  assert.equal(expectPromptSnapshot(mathAgent, thread, file, { env: local }), "written");
  const text = readFileSync(file, "utf8");
  assert.equal(text, renderPromptText(mathAgent, thread));
  assert.match(text, /^===== system =====\nYou are math, a small calculator\./);
  assert.match(text, /===== user =====\n[\s\S]*multiply 3 and 4[\s\S]*===== \d+ tokens in 2 messages =====\n$/);
  assert.equal(expectPromptSnapshot(mathAgent, thread, file, { env: local }), "matched");
});

test("under CI=true a missing snapshot fails and nothing is written", () => {
  const file = join(dir, "ci.txt");
  assert.throws(
    () => expectPromptSnapshot(mathAgent, thread, file, { env: { CI: "true" } }),
    /does not exist\. Create it locally .* CI never writes snapshots/,
  );
  assert.throws(() => readFileSync(file), /ENOENT/);
});

test("a changed prompt fails with a line diff; AGENTFOLD_UPDATE_SNAPSHOTS=1 accepts it", () => {
  const file = join(dir, "changed.txt");
  expectPromptSnapshot(mathAgent, thread, file, { env: local });
  const changed = defineAgent({ name: "math", description: "a small calculator", instructions: "Show your work.", tools: mathAgent.tools });
  const error = (() => {
    try {
      expectPromptSnapshot(changed, thread, file, { env: { CI: "true" } });
    } catch (caught) {
      return caught as Error;
    }
    return undefined;
  })();
  assert.ok(error, "a changed prompt must fail");
  assert.match(error.message, /The prompt of agent "math" changed/);
  assert.match(error.message, /AGENTFOLD_UPDATE_SNAPSHOTS=1/);
  assert.match(error.message, /\n\+Show your work\.\n/);
  assert.equal(expectPromptSnapshot(changed, thread, file, { env: { AGENTFOLD_UPDATE_SNAPSHOTS: "1", CI: "true" } }), "updated");
  assert.equal(expectPromptSnapshot(changed, thread, file, { env: { CI: "true" } }), "matched");
});

test("lineDiff marks removed and added lines and folds distant unchanged ones", () => {
  assert.equal(lineDiff("a\nb\nc", "a\nB\nc"), " a\n-b\n+B\n c");
  const long = Array.from({ length: 20 }, (_, index) => `line ${index}`);
  const edited = [...long.slice(0, 10), "new", ...long.slice(10)];
  assert.equal(lineDiff(long.join("\n"), edited.join("\n")), "…\n line 8\n line 9\n+new\n line 10\n line 11\n…");
});
