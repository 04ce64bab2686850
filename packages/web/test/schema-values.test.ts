import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";

// The browser modules are plain JavaScript (type-checked by tsconfig.browser.json); load by URL so this
// file's own type check does not need their declarations.
type Parsed = { ok: true; value: unknown; omitted?: boolean } | { ok: false; message: string };
const {
  fieldKind,
  formatField,
  parseField,
  validateValue,
}: {
  fieldKind(schema: object, value?: unknown): string;
  formatField(schema: object, value: unknown, kind?: string): string;
  parseField(schema: object, input: string | boolean, required: boolean, kind?: string): Parsed;
  validateValue(schema: object, value: unknown, path?: string): { path: string; message: string }[];
} = await import(new URL("../public/schema-values.js", import.meta.url).href);

const schema = z.toJSONSchema(
  z.object({
    title: z.string().min(1).max(20),
    count: z.number().int().min(1),
    ratio: z.number().max(1).optional(),
    mode: z.enum(["fast", "safe"]),
    dry: z.boolean(),
    tags: z.array(z.string()),
    sizes: z.array(z.number()),
    meta: z.object({ source: z.string() }),
    note: z.string().nullable(),
  }),
  { io: "input" },
) as Record<string, any>;
const property = (name: string) => schema.properties[name];

describe("argument form values", () => {
  it("chooses a control for each kind of field", () => {
    assert.deepEqual(
      ["title", "count", "ratio", "mode", "dry", "tags", "sizes", "meta", "note"].map((name) => fieldKind(property(name))),
      ["text", "integer", "number", "choice", "boolean", "lines", "lines", "json", "json"],
    );
  });

  it("parses what was typed, and says what is wrong", () => {
    assert.deepEqual(parseField(property("count"), "3", true), { ok: true, value: 3 });
    assert.deepEqual(parseField(property("count"), "three", true), { ok: false, message: '"three" is not a number.' });
    assert.deepEqual(parseField(property("count"), "", true), { ok: false, message: "Required." });
    assert.deepEqual(parseField(property("ratio"), "", false), { ok: true, value: undefined, omitted: true });
    assert.deepEqual(parseField(property("tags"), "a\n b \n\n", true), { ok: true, value: ["a", " b ", ""] });
    assert.deepEqual(parseField(property("sizes"), "1\n2.5", true), { ok: true, value: [1, 2.5] });
    assert.match((parseField(property("sizes"), "1\nx", true) as { message: string }).message, /"x" is not a number/);
    assert.deepEqual(parseField(property("meta"), '{"source":"a"}', true), { ok: true, value: { source: "a" } });
    assert.match((parseField(property("meta"), "{", true) as { message: string }).message, /Not valid JSON/);
    assert.deepEqual(parseField(property("dry"), true, true), { ok: true, value: true });
    assert.equal(formatField(property("tags"), ["a", "b"]), "a\nb");
    assert.equal(formatField(property("meta"), { source: "a" }), '{\n  "source": "a"\n}');
  });

  it("reads back exactly what it showed: empty list items, and an optional boolean left out", () => {
    for (const tags of [["a", "", "b"], ["", "a"], [" x "], []]) {
      assert.equal(fieldKind(property("tags"), tags), "lines");
      assert.deepEqual(
        parseField(property("tags"), formatField(property("tags"), tags), true),
        { ok: true, value: tags },
        JSON.stringify(tags),
      );
    }
    // A trailing newline ends the last line; lists this would change are edited as JSON.
    assert.deepEqual(parseField(property("tags"), "a\nb\n", true), { ok: true, value: ["a", "b"] });
    for (const tags of [["a", ""], [""], ["two\nlines"], ["carriage\rreturn"]]) {
      assert.equal(fieldKind(property("tags"), tags), "json", JSON.stringify(tags));
      assert.deepEqual(parseField(property("tags"), formatField(property("tags"), tags), true, "json"), { ok: true, value: tags });
    }
    assert.deepEqual(parseField(property("sizes"), "1\n\n2", true), { ok: true, value: [1, 2] }, "a blank line is not a number");

    const optional = { type: "boolean" };
    assert.deepEqual(parseField(optional, "", false), { ok: true, value: undefined, omitted: true });
    assert.deepEqual(parseField(optional, "true", false), { ok: true, value: true });
    assert.deepEqual(parseField(optional, "false", false), { ok: true, value: false });
    assert.deepEqual(parseField(optional, "", true), { ok: false, message: "Required." });
  });

  it("edits as JSON a value its control could not show", () => {
    assert.equal(fieldKind(property("count"), "3"), "json");
    assert.equal(fieldKind(property("mode"), "slow"), "json");
    assert.equal(fieldKind(property("dry"), "yes"), "json");
    assert.equal(fieldKind(property("sizes"), [1, "2"]), "json");
    assert.equal(fieldKind(property("title"), 5), "json");
    assert.equal(fieldKind(property("mode"), "fast"), "choice");
  });

  it("validates against the schema with a path per problem", () => {
    const valid = { title: "x", count: 1, mode: "fast", dry: false, tags: [], sizes: [], meta: { source: "s" }, note: null };
    assert.deepEqual(validateValue(schema, valid), []);
    const errors = validateValue(schema, { ...valid, title: "", count: 1.5, ratio: 2, mode: "slow", meta: {} });
    const byPath = Object.fromEntries(errors.map((error) => [error.path, error.message]));
    assert.equal(byPath.title, "Must not be empty.");
    assert.equal(byPath.count, "Must be a whole number.");
    assert.equal(byPath.ratio, "Must be at most 1.");
    assert.equal(byPath.mode, "Choose one of: fast, safe.");
    assert.equal(byPath["meta.source"], "Required.");
    const closed = { type: "object", properties: { a: { type: "string" } }, additionalProperties: false };
    assert.deepEqual(validateValue(closed, { a: "x", b: 1 }), [{ path: "b", message: "Unknown field; allowed: a." }]);
    assert.deepEqual(validateValue(schema, { ...valid, note: "text" }), []);
    assert.equal(validateValue(schema, { ...valid, note: 3 }).length, 1);
  });
});
