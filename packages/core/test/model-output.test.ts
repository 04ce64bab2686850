import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { z } from "zod";
import fc from "fast-check";
import { type AnyTool, defineTool, doneForNow, nextStepSchema, parseModelOutput } from "agentfold";
import { canonicalJson, toJson, hashArgs, parseJsonLenient, sha256Hex } from "agentfold/runtime";

const divide = defineTool({ intent: "divide", description: "divide a by b", args: z.object({ a: z.number(), b: z.number() }) });
const tools = new Map<string, AnyTool>([
  ["divide", divide],
  ["done_for_now", doneForNow()],
]);

describe("parseModelOutput", () => {
  it("accepts an object, an array, and text with fences or prose", () => {
    assert.deepStrictEqual(parseModelOutput({ intent: "divide", a: 1, b: 2 }, tools), {
      ok: true,
      calls: [{ intent: "divide", args: { a: 1, b: 2 } }],
    });
    assert.equal(
      parseModelOutput(
        [
          { intent: "divide", a: 1, b: 2 },
          { intent: "done_for_now", message: "x" },
        ],
        tools,
      ).ok,
      true,
    );
    assert.equal(parseModelOutput('Here:\n```json\n{"intent":"divide","a":1,"b":2}\n```\nDone.', tools).ok, true);
    assert.equal(parseModelOutput('I will divide. {"intent":"divide","a":1,"b":2} That is all.', tools).ok, true);
    assert.equal(parseModelOutput('{"intent":"divide","a":1,"b":2', tools).ok, true);
    assert.deepStrictEqual(parseModelOutput({ intent: "divide", args: { a: 1, b: 2 } }, tools), {
      ok: true,
      calls: [{ intent: "divide", args: { a: 1, b: 2 } }],
    });
  });

  it("explains what is wrong and lists the valid intents", () => {
    const cases: Array<[unknown, RegExp]> = [
      ["hello there", /not JSON.*Valid intents: divide, done_for_now/],
      [[], /empty list/],
      [{ a: 1 }, /string "intent"/],
      [{ intent: "multiply", a: 1 }, /Unknown intent "multiply". Valid intents: divide, done_for_now/],
      [{ intent: "divide", a: "fe1iiaff10", b: 2 }, /Invalid arguments for "divide": a: .*expected number/i],
      [[{ intent: "divide", a: 1, b: 2 }, { intent: "nope" }], /Call 2: Unknown intent "nope"/],
    ];
    for (const [output, message] of cases) {
      const result = parseModelOutput(output, tools);
      assert.equal(result.ok, false, JSON.stringify(output));
      assert.match(result.ok ? "" : result.message, message);
    }
  });

  it("keeps the raw output short", () => {
    const result = parseModelOutput("x".repeat(5000), tools);
    assert.ok(!result.ok && result.raw.length < 600);
  });

  it("never throws, whatever the model sends (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue()), (output) => {
        parseModelOutput(output, tools);
      }),
      { numRuns: 2000 },
    );
    assert.equal(parseJsonLenient("no json here"), undefined);
  });
});

describe("nextStepSchema", () => {
  it("is a union of objects each naming its intent", () => {
    const schema = nextStepSchema([...tools.values()]);
    assert.equal(schema.anyOf.length, 2);
    assert.deepStrictEqual(schema.anyOf[0], {
      type: "object",
      description: "divide a by b",
      properties: { intent: { type: "string", const: "divide" }, a: { type: "number" }, b: { type: "number" } },
      required: ["intent", "a", "b"],
      additionalProperties: false,
    });
  });
});

describe("argument hashes", () => {
  it("sha256Hex gives the published SHA-256 test vectors, over the UTF-8 bytes", () => {
    // FIPS 180-2 examples; the last is "é" (two UTF-8 bytes), which a Latin-1 encoding would hash differently.
    assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(
      sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    assert.equal(
      sha256Hex("é"),
      createHash("sha256")
        .update(Buffer.from([0xc3, 0xa9]))
        .digest("hex"),
    );
  });
  it("does not depend on key order", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
    assert.equal(hashArgs({ a: 1, b: 2 }), hashArgs({ b: 2, a: 1 }));
    assert.notEqual(hashArgs({ a: 1, b: 2 }), hashArgs({ a: 1, b: 3 }));
  });
});

describe("toJson", () => {
  it("gives what a JSON round trip gives, for any JSON-like value (property)", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: false,
          withDate: true,
          withMap: false,
          withSet: false,
          withTypedArray: false,
          withSparseArray: true,
          withNullPrototype: true,
          withObjectString: false,
        }),
        (value) => {
          const viaJson = JSON.stringify(value, (key, inner) => (key === "__proto__" ? undefined : inner));
          assert.deepStrictEqual(toJson(value), viaJson === undefined ? null : JSON.parse(viaJson));
        },
      ),
      { numRuns: 1000 },
    );
  });
  it("turns bigint into a string, drops __proto__ keys, refuses cycles", () => {
    assert.deepStrictEqual(toJson({ n: 10n, list: [undefined, () => 1, NaN] }), { n: "10", list: [null, null, null] });
    assert.deepStrictEqual(toJson(JSON.parse('{"a":1,"__proto__":{"b":2}}')), { a: 1 });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => toJson(cycle), /circular/);
  });
});
