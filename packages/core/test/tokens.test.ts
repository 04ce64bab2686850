import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { countTokens as o200kCount } from "gpt-tokenizer/encoding/o200k_base";
import { countTokens, defineAgent, doneForNow, xmlContext } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { MAX_CHUNK_LENGTH, countInChunks, countTokensInSlices } from "../src/tokens.ts";

/** The tokenizer on the whole text at once, special-token strings as plain text as countTokens does. */
const wholeCount = (text: string) => o200kCount(text, { disallowedSpecial: new Set() });

/** Runs ES module code in a fresh Node (with this process's options) and returns its last line as JSON. */
function inFreshProcess(code: string): unknown {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

describe("countTokens", () => {
  it("hands the tokenizer bounded chunks of a 1 MB unbroken string, so the work is linear", () => {
    const text = "x".repeat(1 << 20);
    const chunks: string[] = [];
    const total = countInChunks(text, (chunk) => {
      chunks.push(chunk);
      return 1;
    });
    assert.equal(total, chunks.length);
    assert.equal(chunks.join(""), text);
    assert.ok(
      chunks.every((chunk) => chunk.length <= MAX_CHUNK_LENGTH),
      `longest chunk ${Math.max(...chunks.map((chunk) => chunk.length))}`,
    );
    // Each chunk is at least half the limit long: a bounded number of calls, each of bounded cost.
    assert.ok(chunks.length <= Math.ceil((2 * text.length) / MAX_CHUNK_LENGTH), `${chunks.length} chunks`);
  });

  it("counts in those chunks: a piece longer than a chunk counts as its parts", () => {
    // 500 unbroken characters are cut seven times, each inside a "hello": six tokens more than the
    // whole (100). Counting the whole text at once, as the quadratic version did, gives 100 and fails here.
    const text = "hello".repeat(100);
    assert.equal(wholeCount(text), 100);
    assert.equal(countTokens(text), countInChunks(text, wholeCount));
    assert.equal(countTokens(text), 106);
  });

  it("counts a 1 MB unbroken string", () => {
    // Eight a's are one token; the 16,384 chunks of 64 add up exactly.
    assert.equal(countTokens("a".repeat(1 << 20)), (1 << 20) / 8);
  });

  it("counts text with spaces exactly as the whole text, however it is cut", () => {
    const word = fc.oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.constantFrom("hello", "it's", "12345.678", "ünïcödé", "🚀🚀", "日本語", '{"a": 1}', "<|endoftext|>", "don't", "\n", "\t", "!?"),
    );
    const separator = fc.constantFrom(" ", " ", " ", "  ", "\n", " \n ", ", ");
    const text = fc
      .array(fc.tuple(word, separator), { minLength: 50, maxLength: 400 })
      .map((parts) => parts.map(([w, s]) => w + s).join(""))
      // Cuts are exact at a space after a non-space; keep such a space in every half window.
      .filter((candidate) => !new RegExp(`[^ ]{${MAX_CHUNK_LENGTH / 2 - 1},}`).test(candidate.replace(/(?<=\s) /g, "_")));
    fc.assert(
      fc.property(text, (candidate) => {
        assert.equal(countTokens(candidate), wholeCount(candidate));
      }),
      { numRuns: 60 },
    );
  });

  it("stays within a token per cut of the whole count where it must cut inside a piece", () => {
    let text = "";
    for (let index = 0; index < 3000; index++) text += "abcdefghijklmnopqrstuvwxyz"[(index * 7919) % 26];
    const cuts = Math.ceil(text.length / (MAX_CHUNK_LENGTH / 2));
    assert.ok(Math.abs(countTokens(text) - wholeCount(text)) <= cuts);
  });

  it("never cuts a surrogate pair in two", () => {
    const text = `x${"🚀".repeat(2000)}`;
    const chunks: string[] = [];
    countInChunks(text, (chunk) => chunks.push(chunk));
    assert.ok(chunks.length > 1);
    assert.ok(chunks.every((chunk) => chunk.isWellFormed()));
  });

  it("counts special-token strings as text instead of throwing", () => {
    assert.equal(countTokens("say <|endoftext|> now"), wholeCount("say <|endoftext|> now"));
    assert.ok(countTokens("<|endoftext|>") > 1);
  });

  it("loads the tokenizer on the first count, and a decision without a token budget never counts", () => {
    const loaded = inFreshProcess(`
      import { registerHooks } from "node:module";
      const urls = [];
      registerHooks({ resolve: (specifier, context, next) => { const result = next(specifier, context); urls.push(result.url); return result; } });
      const { ScriptedModel } = await import("agentfold/testing");
      const { defineAgent, doneForNow, xmlContext } = await import("agentfold");
      const tokenizerLoaded = () => urls.some((url) => url.includes("/gpt-tokenizer/"));
      const seen = [tokenizerLoaded()];
      const agent = defineAgent({ name: "a", tools: [doneForNow()] });
      const thread = await agent.run(agent.start("hi"), { model: new ScriptedModel([{ intent: "done_for_now", message: "hello" }]) });
      const rendered = agent.render(thread);
      seen.push(thread.status === "done" && rendered.messages.length > 0 && tokenizerLoaded());
      seen.push(rendered.tokens > 0 && tokenizerLoaded());
      const budgeted = defineAgent({ name: "b", tools: [doneForNow()], context: xmlContext({ maxTokens: 1000 }) });
      console.log(JSON.stringify({ seen, budgetedDecides: budgeted.nextAction(budgeted.start("hi")).type }));
    `);
    assert.deepEqual(loaded, { seen: [false, false, true], budgetedDecides: "decide" });
  });
});

describe("counting long text without stalling the event loop", () => {
  /** A megabyte of random lowercase letters: every piece is new to the tokenizer, the slowest text to count. */
  function randomLetters(length: number): string {
    let seed = 7;
    let text = "";
    for (let index = 0; index < length; index++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      text += "abcdefghijklmnopqrstuvwxyz"[seed % 26];
    }
    return text;
  }

  it("countTokensInSlices gives countTokens' count and yields after every 8 KiB", async () => {
    const text = randomLetters(1 << 18);
    let slices = 0;
    let timersRan = 0;
    const ticker = setInterval(() => (timersRan += 1), 0);
    try {
      const count = await countTokensInSlices(text, () => (slices += 1));
      assert.equal(count, countTokens(text));
    } finally {
      clearInterval(ticker);
    }
    assert.equal(slices, Math.floor(text.length / MAX_CHUNK_LENGTH / 128), "one yield per 128 chunks of 64");
    assert.ok(timersRan > 0, "a timer ran while the text was being counted");
  });

  it("a step with a token budget lets other work run while it counts a megabyte message", async () => {
    const agent = defineAgent({ name: "reader", tools: [doneForNow()], context: xmlContext({ maxTokens: 2_000_000 }) });
    const thread = agent.start(randomLetters(1 << 20));
    let timersRan = 0;
    const ticker = setInterval(() => (timersRan += 1), 0);
    let done: Awaited<ReturnType<typeof agent.run>> | undefined;
    try {
      done = await agent.run(thread, { model: new ScriptedModel([{ intent: "done_for_now", message: "read it" }]) });
    } finally {
      clearInterval(ticker);
    }
    assert.equal(done.status, "done");
    // Counted in one go, the megabyte left no turn to the timer; in slices, it runs dozens of times.
    assert.ok(timersRan >= 10, `the timer ran ${timersRan} times during the step`);
  });
});
