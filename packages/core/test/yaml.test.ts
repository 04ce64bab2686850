import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import YAML from "yaml";
import { toYaml } from "../src/yaml.ts";

const tricky = fc.constantFrom(
  "a\n\nb",
  "\n",
  "x\n\n",
  " lead",
  "- x",
  "a #b",
  "@x",
  "1e3",
  "0x1F",
  ".5",
  "a:b",
  "é ü",
  "\t",
  "x\r\ny",
  "multi\n line",
  "a\n  b\n",
  "true",
  "No",
  "null",
  "~",
  "",
  "key: value",
  "#comment",
  "a,b",
  "{x}",
  "[1]",
  "a}b",
  "x]",
  "7c02af9",
  "1e5",
  "1_000",
  "10:30",
  "2026-01-12T09:03:00Z",
  "0o17",
  "0b101",
  "1.",
  "a:",
  "a#b",
  "12:30:45.5",
  "v1.2.3",
);
const text = fc.oneof(fc.string({ unit: "binary" }), tricky);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value")),
    fc.dictionary(text, tie("value")),
  ),
})).value;

const scalar = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const records = fc.array(fc.dictionary(text, scalar, { minKeys: 1, maxKeys: 5 }), { maxLength: 4 });

test("lists of flat records (written as flow mappings) read back exactly", () => {
  fc.assert(
    fc.property(records, (value) => {
      const normalized = JSON.parse(JSON.stringify(value));
      const written = toYaml(normalized);
      assert.deepStrictEqual(YAML.parse(written), normalized, written);
    }),
    { numRuns: 3000 },
  );
});

test("a YAML parser reads back exactly the JSON value we wrote", () => {
  fc.assert(
    fc.property(json, (value) => {
      const normalized = JSON.parse(JSON.stringify(value));
      const written = toYaml(normalized);
      assert.deepStrictEqual(YAML.parse(written), normalized, written);
    }),
    { numRuns: 3000 },
  );
});

test("writes the dense block style of the guide; lists of flat records one per line", () => {
  assert.equal(
    toYaml({ tags: [{ name: "v1.2.3", commit: "abc123" }], note: "two\nlines" }),
    "tags:\n- {name: v1.2.3, commit: abc123}\nnote: |-\n  two\n  lines",
  );
  assert.equal(toYaml([{ name: "a, b", nested: { x: 1 } }]), "- name: a, b\n  nested:\n    x: 1");
  assert.equal(toYaml([{ text: "two\nlines", count: 1 }]), "- text: |-\n    two\n    lines\n  count: 1");
  assert.equal(toYaml("true"), '"true"');
  assert.equal(toYaml(12), "12");
});
