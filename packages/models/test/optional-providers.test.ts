import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/**
 * Runs ES module code in a fresh Node (with this process's options) after a resolve hook that
 * records every module loaded and resolves the packages named in `hidden` from a directory where
 * they are not installed, so Node itself reports them missing. Returns the last line printed.
 */
function inFreshProcess(code: string, hidden: readonly string[] = []): unknown {
  const hooks = `
    import { registerHooks } from "node:module";
    globalThis.loadedUrls = [];
    const hidden = new Set(${JSON.stringify(hidden)});
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, hidden.has(specifier) ? { ...context, parentURL: "file:///nonexistent/index.js" } : context);
        globalThis.loadedUrls.push(result.url);
        return result;
      },
    });
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", `${hooks}\n${code}`], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

const request = `{ messages: [{ role: "user", content: "hi" }], schema: {}, intents: [], mode: "json", threadId: "thr_1", turn: 0 }`;

describe("provider packages, optional peers", () => {
  it("are not loaded with @agentfold/models, nor by a model until its first call", () => {
    const loaded = inFreshProcess(`
      const { resolveModel } = await import("@agentfold/models");
      const model = resolveModel("openai:gpt-test", { env: { OPENAI_API_KEY: "key" } });
      const providers = () => globalThis.loadedUrls.filter((url) => /\\/@ai-sdk\\/(openai|anthropic|google|openai-compatible)\\//.test(url)).length;
      console.log(JSON.stringify({ id: model.id, defaultMode: model.defaultMode, providers: providers() }));
    `);
    assert.deepEqual(loaded, { id: "openai:gpt-test", defaultMode: "tools", providers: 0 });
  });

  it("when missing, fail the first call with the npm i to run", () => {
    const failures = inFreshProcess(
      `
      const { resolveModel } = await import("@agentfold/models");
      const failures = [];
      for (const spec of ["openai:gpt-test", "anthropic:claude-test", "google:gemini-test", ]) {
        const model = resolveModel(spec, { env: { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k", GOOGLE_GENERATIVE_AI_API_KEY: "k" } });
        const error = await model.generate(${request}).then(() => undefined, (error) => error);
        failures.push(error?.name + ": " + error?.message);
      }
      console.log(JSON.stringify(failures));
    `,
      ["@ai-sdk/openai", "@ai-sdk/anthropic", "@ai-sdk/google", "@ai-sdk/openai-compatible"],
    );
    assert.deepEqual(failures, [
      "ConfigurationError: openai:gpt-test needs the @ai-sdk/openai package: npm i @ai-sdk/openai",
      "ConfigurationError: anthropic:claude-test needs the @ai-sdk/anthropic package: npm i @ai-sdk/anthropic",
      "ConfigurationError: google:gemini-test needs the @ai-sdk/google package: npm i @ai-sdk/google",
    ]);
  });
});
