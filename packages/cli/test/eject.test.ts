import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { defaultPrompt, type PromptContext } from "agentfold";
import { runCli, tempDir } from "./helpers.ts";

const directory = tempDir("agentfold-eject-");
after(() => directory.remove());

describe("agentfold eject prompt", () => {
  it("writes the default prompt as a file of your own that behaves exactly like the default", async () => {
    const result = await runCli(["eject", "prompt", "my-prompt.ts"], { cwd: directory.path });
    assert.equal(result.code, 0, result.stderr);
    const file = join(directory.path, "my-prompt.ts");
    const source = readFileSync(file, "utf8");
    assert.match(source, /from "agentfold"/);
    assert.doesNotMatch(source, /from "\.\//);
    const ejected = (await import(pathToFileURL(file).href)) as { defaultPrompt: typeof defaultPrompt };
    const context: PromptContext = {
      agent: { name: "calculator", description: "a calculator", instructions: "one step at a time" },
      context: "<user_input>\nhi\n</user_input>\n",
      intents: [
        {
          intent: "add",
          description: "add a and b",
          parameters: { type: "object", properties: { a: { type: "number" } }, required: ["a"] },
        },
      ],
      mode: "prompt",
    };
    assert.deepStrictEqual(ejected.defaultPrompt(context), defaultPrompt(context));
  });

  it("refuses to overwrite without --force and names what can be ejected", async () => {
    const again = await runCli(["eject", "prompt", "my-prompt.ts"], { cwd: directory.path });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; pass --force/);
    const unknown = await runCli(["eject", "loop"], { cwd: directory.path });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /agentfold eject prompt/);
    assert.ok(existsSync(join(directory.path, "my-prompt.ts")));
  });
});

describe("agentfold eject prompt into a folder", () => {
  it("creates the folders the file goes in (src/ of a new project)", async () => {
    const result = await runCli(["eject", "prompt", "src/prompts/prompt.ts"], { cwd: directory.path });
    assert.equal(result.code, 0, result.stderr);
    assert.match(readFileSync(join(directory.path, "src/prompts/prompt.ts"), "utf8"), /export const defaultPrompt/);
    assert.match(result.stdout, /Wrote the default prompt to src\/prompts\/prompt\.ts/);
  });

  it("says what to do when the folder cannot be made", async () => {
    const result = await runCli(["eject", "prompt", "my-prompt.ts/inner.ts"], { cwd: directory.path });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: Cannot write my-prompt\.ts\/inner\.ts: .*Choose a file in a folder you can write to\./);
  });
});
