import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ModelCallError } from "agentfold";
import { conformanceRequest, runModelConformance } from "agentfold/testing";
import { ensureModelFile, noModelMessage, readCassette, resolveModel, withFallbacks } from "../src/index.ts";
import {
  ollamaText,
  openaiText,
  openaiToolCalls,
  startFakeProviderServer,
  type FakeProviderServer,
} from "./support/fake-provider-server.ts";

let server: FakeProviderServer;
let directory: string;
const fast = { initialDelayMs: 1, maxDelayMs: 10, maxAttempts: 2, attemptTimeoutMs: 0 };

before(async () => {
  server = await startFakeProviderServer();
  directory = mkdtempSync(join(tmpdir(), "agentfold-resolve-"));
});
after(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("resolveModel", () => {
  test("each provider prefix makes a v1 model with the spec as id", () => {
    const env = { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k", GOOGLE_GENERATIVE_AI_API_KEY: "k" };
    for (const spec of [
      "openai:gpt-4o-mini",
      "anthropic:claude-haiku-4-5",
      "google:gemini-2.5-flash",
      "ollama:llama3.2",
      "local:/tmp/x.gguf",
    ]) {
      const model = resolveModel(spec, { env });
      assert.equal(model.specificationVersion, "v1");
      assert.equal(model.id, spec);
    }
    assert.equal(resolveModel("openai-compatible:http://127.0.0.1:9/v1#qwen", { env }).id, "openai-compatible:http://127.0.0.1:9/v1#qwen");
  });

  test("default modes: tools for hosted providers, json for compatible servers and local models", () => {
    const env = { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k" };
    assert.equal(resolveModel("openai:x", { env }).defaultMode, "tools");
    assert.equal(resolveModel("anthropic:x", { env }).defaultMode, "tools");
    assert.equal(resolveModel("ollama:x", { env }).defaultMode, "json");
    assert.equal(resolveModel("local:/tmp/x.gguf", { env }).defaultMode, "json");
  });

  test("a missing API key names the environment variable", () => {
    assert.throws(() => resolveModel("openai:gpt-4o-mini", { env: {} }), /OPENAI_API_KEY/);
    assert.throws(() => resolveModel("anthropic:claude", { env: {} }), /ANTHROPIC_API_KEY/);
    assert.throws(() => resolveModel("google:gemini", { env: {} }), /GOOGLE_GENERATIVE_AI_API_KEY/);
  });

  test("an unknown prefix lists the valid ones", () => {
    assert.throws(
      () => resolveModel("gpt4", { env: {} }),
      (error: Error) => {
        assert.equal(error.name, "ConfigurationError");
        for (const prefix of [
          "openai:",
          "anthropic:",
          "google:",
          "ollama:",
          "openai-compatible:",
          "local:",
          "record:",
          "replay:",
          "script:",
        ]) {
          assert.ok(error.message.includes(prefix), `missing ${prefix}`);
        }
        return true;
      },
    );
    assert.throws(() => resolveModel("openai-compatible:http://x/v1", { env: {} }), /<baseURL>#<model>/);
  });

  test("OPENAI_BASE_URL and OLLAMA_HOST are honoured", async () => {
    const env = { OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.url };
    server.reset();
    await resolveModel("openai:gpt-test", { env, retry: fast }).generate(conformanceRequest("tools"));
    assert.equal(server.requests[0]?.path, "/v1/chat/completions");
    server.reset();
    const host = server.url.replace(/\/v1$/, "");
    await resolveModel("ollama:llama-test", { env: { OLLAMA_HOST: host }, retry: fast }).generate(conformanceRequest("json"));
    assert.equal(server.requests[0]?.body.model, "llama-test");
  });

  test("without a spec: AGENTFOLD_MODEL, then the first API key", () => {
    assert.equal(resolveModel(undefined, { env: { AGENTFOLD_MODEL: "ollama:phi" } }).id, "ollama:phi");
    assert.equal(resolveModel(undefined, { env: { ANTHROPIC_API_KEY: "k" } }).id, "anthropic:claude-haiku-4-5");
  });

  test("with nothing configured and no network, the first call names the three ways to give a model", async () => {
    const offlineFetch = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const model = resolveModel(undefined, { env: { AGENTFOLD_MODELS_DIR: directory }, fetch: offlineFetch });
    assert.match(model.id, /^local:hf:/);
    const started = performance.now();
    await assert.rejects(model.generate(conformanceRequest("json")), (error: Error) => {
      assert.equal(error.name, "ConfigurationError");
      assert.equal(error.message, noModelMessage);
      assert.match(error.message, /API key.*OpenAI-compatible.*local GGUF/s);
      return true;
    });
    assert.ok(performance.now() - started < 1000, "offline must fail at once");
  });

  test("script: delegates to the scripted model of agentfold/testing", async () => {
    const path = join(directory, "script.json");
    writeFileSync(path, JSON.stringify({ steps: [{ intent: "done_for_now", message: "hi" }] }));
    const reply = await resolveModel(`script:${path}`).generate(conformanceRequest("json"));
    assert.deepEqual(reply.output, { intent: "done_for_now", message: "hi" });
  });
});

describe("downloads of local:hf: files and the default model", () => {
  const bytes = Buffer.from("GGUF pretend weights");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const hubFetch = (etag: string) =>
    (async () =>
      new Response(bytes, { headers: { "content-length": String(bytes.length), "x-linked-etag": `"${etag}"` } })) as typeof fetch;

  test("downloads once, checks the SHA-256 from the hub, reports progress, then serves from the cache", async () => {
    const progress: number[] = [];
    const source = { repo: "owner/repo", file: "tiny.gguf" };
    const path = await ensureModelFile(source, {
      cacheDir: directory,
      fetch: hubFetch(sha256),
      onProgress: (received) => progress.push(received),
    });
    assert.deepEqual(readFileSync(path), bytes);
    assert.equal(progress.at(-1), bytes.length);
    const again = await ensureModelFile(source, {
      cacheDir: directory,
      fetch: (async () => {
        throw new Error("must not download twice");
      }) as typeof fetch,
    });
    assert.equal(again, path);
  });

  test("a checksum mismatch deletes the partial file and says so", async () => {
    const source = { repo: "owner/repo", file: "bad.gguf", sha256: "0".repeat(64) };
    await assert.rejects(ensureModelFile(source, { cacheDir: directory, fetch: hubFetch(sha256), onProgress: () => {} }), /corrupt/);
    assert.equal(existsSync(join(directory, "owner", "repo", "bad.gguf")), false);
  });
});

describe("fallbacks", () => {
  test("the next model answers when the first fails for good; modelId names it", async () => {
    server.reset();
    server.reply(
      { status: 401, body: { error: { message: "bad key" } } },
      { body: openaiToolCalls([{ name: "done_for_now", args: { message: "ok" } }]) },
    );
    const env = { OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.url };
    const model = resolveModel("openai:first", { env, retry: fast, fallbacks: [`openai-compatible:${server.url}#second`] });
    const reply = await model.generate(conformanceRequest("tools"));
    assert.deepEqual(reply.output, { intent: "done_for_now", message: "ok" });
    assert.equal(reply.modelId, `openai-compatible:${server.url}#second`);
    assert.equal((reply.metadata?.failedModels as unknown[] | undefined)?.length, 1);
  });

  test("when every model fails the error lists each one", async () => {
    const failing = (id: string) => ({
      specificationVersion: "v1" as const,
      id,
      async generate(): Promise<never> {
        throw new Error(`${id} is down`);
      },
    });
    await assert.rejects(withFallbacks([failing("a"), failing("b")]).generate(conformanceRequest("json")), /a: a is down; b: b is down/);
  });

  test("every model refusing with one HTTP status fails with that status (a misconfiguration), mixed statuses with none", async () => {
    const refusing = (id: string, status: number) => ({
      specificationVersion: "v1" as const,
      id,
      async generate(): Promise<never> {
        throw new ModelCallError(`${id} refused`, { retryable: false, status });
      },
    });
    await assert.rejects(
      withFallbacks([refusing("a", 401), refusing("b", 401)]).generate(conformanceRequest("json")),
      (error: unknown) => error instanceof ModelCallError && error.status === 401 && /a: a refused; b: b refused/.test(error.message),
    );
    await assert.rejects(
      withFallbacks([refusing("a", 401), refusing("b", 429)]).generate(conformanceRequest("json")),
      (error: unknown) => error instanceof ModelCallError && error.status === undefined,
    );
  });
});

describe("record and replay", () => {
  test("record: writes each exchange without secrets; replay: serves them through the same adapter", async () => {
    server.reset();
    const cassette = join(directory, "cassettes", "calc.json");
    const env = { OPENAI_API_KEY: "sk-secret", OPENAI_BASE_URL: server.url };
    server.reply({ body: openaiToolCalls([{ name: "done_for_now", args: { message: "recorded" } }]) });
    const recorded = await resolveModel("record:openai:gpt-test", { env, cassette, retry: fast }).generate(conformanceRequest("tools"));
    const text = readFileSync(cassette, "utf8");
    assert.ok(!text.includes("sk-secret"), "the API key must not be written");
    const requestsBefore = server.requests.length;
    const replayed = await resolveModel(`replay:${cassette}`, { env: {} }).generate(conformanceRequest("tools"));
    assert.deepEqual(replayed.output, recorded.output);
    assert.deepEqual(replayed.usage, recorded.usage);
    assert.equal(server.requests.length, requestsBefore, "replay must not reach the server");
  });

  test("ollama: record and replay its NDJSON stream (and the window lookup) without reaching the server", async () => {
    server.reset();
    server.modelInfo = { "general.architecture": "qwen2", "qwen2.context_length": 32_768 };
    const cassette = join(directory, "cassettes", "ollama.json");
    const env = { OLLAMA_HOST: server.url.replace(/\/v1$/, "") };
    server.reply({ body: ollamaText('{"next_step":{"intent":"done_for_now","message":"recorded"}}') });
    const recorded = await resolveModel("record:ollama:llama-test", { env, cassette, retry: fast }).generate(conformanceRequest("json"));
    const requestsBefore = server.requests.length;
    const replayed = await resolveModel(`replay:${cassette}`, { env: {}, retry: fast }).generate(conformanceRequest("json"));
    assert.deepEqual(replayed.output, { intent: "done_for_now", message: "recorded" });
    assert.deepEqual(replayed.output, recorded.output);
    assert.equal(server.requests.length, requestsBefore, "replay must not reach the server");
  });

  test("replay past the end of the cassette is a clear error", async () => {
    const cassette = join(directory, "cassettes", "calc.json");
    const model = resolveModel(`replay:${cassette}`, { env: {}, retry: fast });
    await model.generate(conformanceRequest("tools"));
    await assert.rejects(model.generate(conformanceRequest("tools")), /no more recorded exchanges/);
  });

  test("replay is strict: a changed prompt fails, naming the first difference and how to re-record", async () => {
    server.reset();
    const cassette = join(directory, "cassettes", "strict.json");
    const spec = `openai-compatible:${server.url}#fake`;
    const asking = (text: string) => ({ ...conformanceRequest("json"), messages: [{ role: "user" as const, content: text }] });
    const recordedText = '{"intent":"done_for_now","message":"recorded"}';
    server.reply({ body: openaiText(recordedText) });
    await resolveModel(`record:${spec}`, { env: {}, cassette, retry: fast }).generate(asking("multiply 3 and 4"));
    const requestsBefore = server.requests.length;

    const replayed = resolveModel(`replay:${cassette}`, { env: {}, retry: fast });
    await assert.rejects(replayed.generate(asking("multiply 3 and 5")), (error: Error & { retryable?: boolean }) => {
      assert.equal(error.name, "ModelCallError");
      assert.equal(error.retryable, false);
      assert.match(error.message, /strict\.json has no recorded exchange for this request/);
      assert.match(error.message, /at request\.body\.messages\[0\]\.content: recorded "multiply 3 and 4", sent "multiply 3 and 5"/);
      assert.match(error.message, new RegExp(`--model ${spec.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} --record`));
      return true;
    });
    // The unchanged request still replays, and nothing reached the server.
    const same = await replayed.generate(asking("multiply 3 and 4"));
    assert.equal(same.output, recordedText);
    assert.equal(server.requests.length, requestsBefore);

    const loose = resolveModel(`replay:${cassette}`, { env: {}, retry: fast, replayMatch: "loose" });
    assert.equal((await loose.generate(asking("hello!"))).output, recordedText);
  });

  test("a cassette that is not JSON is an error naming the file", () => {
    const broken = join(directory, "cassettes", "broken.json");
    writeFileSync(broken, '{"version": 1, "spec": ');
    assert.throws(
      () => readCassette(broken),
      (error: Error) => {
        assert.equal(error.name, "ConfigurationError");
        assert.ok(error.message.includes(broken), error.message);
        assert.match(error.message, /not valid JSON/);
        return true;
      },
    );
  });

  test("record: refuses models that do not speak HTTP", () => {
    assert.throws(() => resolveModel("record:local:/tmp/x.gguf"), /record: works with HTTP models/);
  });
});

runModelConformance({
  name: "replayed openai model",
  newModel: () => {
    const cassette = join(directory, "conformance.json");
    writeFileSync(
      cassette,
      JSON.stringify({
        version: 1,
        spec: "openai:gpt-test",
        exchanges: [0, 1, 2, 3, 4, 5].map(() => ({
          request: { method: "POST", url: "x", body: null },
          response: {
            status: 200,
            headers: { "content-type": "application/json" },
            body: JSON.stringify(openaiToolCalls([{ name: "done_for_now", args: { message: "ok" } }])),
          },
        })),
      }),
    );
    // Hand-written: the same reply for any request, so matching has to be loose.
    return resolveModel(`replay:${cassette}`, { env: {}, replayMatch: "loose" });
  },
});
