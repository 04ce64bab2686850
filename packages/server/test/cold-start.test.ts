/** What a server process loads: nothing meant for tests, and nothing heavy it does not use. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("a server process", () => {
  it("serves a thread to done without loading node:test, agentfold/testing, pg, the tokenizer or a provider SDK", () => {
    const directory = mkdtempSync(join(tmpdir(), "agentfold-server-loads-"));
    try {
      const script = join(directory, "steps.json");
      writeFileSync(script, JSON.stringify({ steps: [{ intent: "done_for_now", message: "hello" }] }));
      const code = `
        import { registerHooks } from "node:module";
        const urls = [];
        registerHooks({ resolve: (specifier, context, next) => { const result = next(specifier, context); urls.push(result.url); return result; } });
        const { defineAgent, doneForNow } = await import("agentfold");
        const { startServer } = await import("@agentfold/server");
        const agent = defineAgent({ name: "greeter", tools: [doneForNow()] });
        const server = await startServer({ store: ${JSON.stringify(join(directory, "server.db"))}, agents: [agent], model: ${JSON.stringify(`script:${script}`)}, port: 0 });
        const response = await fetch(server.url + "/v1/threads", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ agent: "greeter", message: "hi" }) });
        const { status } = await response.json();
        await server.close();
        const loaded = (pattern) => urls.some((url) => pattern.test(url));
        console.log(JSON.stringify({
          status,
          nodeTest: process.moduleLoadList.some((name) => name.includes("test_runner")),
          agentfoldTesting: loaded(/\\/packages\\/core\\/(src|dist)\\/testing\\//),
          pg: loaded(/\\/node_modules\\/pg\\//),
          tokenizer: loaded(/\\/node_modules\\/gpt-tokenizer\\//),
          providerSdk: loaded(/\\/node_modules\\/@ai-sdk\\/(openai|anthropic|google|openai-compatible)\\//),
        }));
      `;
      const result = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout.trim().split("\n").at(-1)!), {
        status: "done",
        nodeTest: false,
        agentfoldTesting: false,
        pg: false,
        tokenizer: false,
        providerSdk: false,
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
