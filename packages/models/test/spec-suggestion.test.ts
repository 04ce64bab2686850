import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveModel, specPrefixes } from "../src/index.ts";
import { suggestSpec } from "../src/spec-suggestion.ts";

describe("model spec suggestions", () => {
  test("a spec without a provider: the error asks 'did you mean' with the provider that serves it", () => {
    const cases: Array<[spec: string, meant: string]> = [
      ["gpt-4o", "openai:gpt-4o"],
      ["gpt-4o-mini", "openai:gpt-4o-mini"],
      ["o3-mini", "openai:o3-mini"],
      ["claude-sonnet-4-5", "anthropic:claude-sonnet-4-5"],
      ["claude-haiku-4-5", "anthropic:claude-haiku-4-5"],
      ["gemini-2.5-flash", "google:gemini-2.5-flash"],
      ["llama3.2:1b", "ollama:llama3.2:1b"],
      ["qwen2.5", "ollama:qwen2.5"],
      ["openai/gpt-4o", "openai:gpt-4o"],
      ["opneai:gpt-4o", "openai:gpt-4o"],
      ["OpenAI:gpt-4o", "openai:gpt-4o"],
      ["antropic:claude-haiku-4-5", "anthropic:claude-haiku-4-5"],
      ["./models/qwen.gguf", "local:./models/qwen.gguf"],
      ["steps.json", "script:steps.json"],
      ["http://127.0.0.1:8000/v1", "openai-compatible:http://127.0.0.1:8000/v1#<model>"],
    ];
    for (const [spec, meant] of cases) {
      assert.throws(
        () => resolveModel(spec, { env: {} }),
        (error: Error) => {
          assert.equal(error.name, "ConfigurationError");
          assert.ok(error.message.startsWith(`Unknown model spec "${spec}": did you mean ${meant}? Use one of: openai:, `), error.message);
          return true;
        },
      );
    }
  });

  test("no guess when nothing fits: the list of providers only", () => {
    for (const spec of ["banana", "xyz:model", "openai:"]) {
      assert.equal(suggestSpec(spec, specPrefixes), undefined, spec);
      assert.throws(
        () => resolveModel(spec, { env: {} }),
        new RegExp(`^ConfigurationError: Unknown model spec "${spec}"\\. Use one of: openai:`),
      );
    }
  });
});
