/**
 * A module that does not parse: the error names the file, line and column and shows the line, for
 * TypeScript and JavaScript, in the agent module itself or in a file it imports.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fixtures, json, runCli, tempDir } from "./helpers.ts";

const script = `script:${join(fixtures, "divide.json")}`;

describe("agent modules that do not parse", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("module-errors");
    const files: Record<string, string> = {
      "broken.ts": 'import { defineAgent } from "agentfold";\nconst x = 1;\nconst y = (x + ;\nexport default y;\n',
      "enum.ts": "export enum Color {\n  Red,\n}\n",
      "broken.mjs": "export const a = 1;\nexport const b = (a + ;\n",
      "uses-broken.ts": 'export { default } from "./lib/tools.ts";\n',
      "lib/tools.ts": "export default {\n  name: 'x',,\n};\n",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir.path, name)), { recursive: true });
      writeFileSync(join(dir.path, name), text);
    }
  });
  after(() => dir.remove());

  async function loadError(module: string): Promise<string> {
    const result = await runCli(["run", module, "hi", "--model", script, "--json"], { cwd: dir.path });
    assert.equal(result.code, 2, result.stderr);
    return json<{ error: { message: string } }>(result).error.message;
  }

  test("a TypeScript syntax error: file:line:column, the message, the line and a caret", async () => {
    const message = await loadError("broken.ts");
    assert.equal(message, "Cannot load agent module broken.ts:3:16: Expression expected\n  3 | const y = (x + ;\n    |                ^");
  });

  test("TypeScript that Node cannot strip", async () => {
    const message = await loadError("enum.ts");
    assert.equal(
      message,
      "Cannot load agent module enum.ts:1: TypeScript enum is not supported in strip-only mode\n  1 | export enum Color {",
    );
  });

  test("a JavaScript syntax error", async () => {
    const message = await loadError("broken.mjs");
    assert.match(
      message,
      /^Cannot load agent module broken\.mjs:2:\d+: Unexpected token ';'\n {2}2 \| export const b = \(a \+ ;\n {4}\| +\^$/,
    );
  });

  test("in a file the module imports: the module, then where the error is", async () => {
    const message = await loadError("uses-broken.ts");
    assert.match(message, /^Cannot load agent module uses-broken\.ts: lib\/tools\.ts:2:\d+: .+\n {2}2 \| {3}name: 'x',,/);
  });

  test("without --json: on stderr, no stack trace", async () => {
    const result = await runCli(["run", "broken.ts", "hi", "--model", script], { cwd: dir.path });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: Cannot load agent module broken\.ts:3:16: Expression expected\n {2}3 \| const y = \(x \+ ;\n/);
    assert.doesNotMatch(result.stderr, /\bat \w+ \(|node:internal/);
  });
});
