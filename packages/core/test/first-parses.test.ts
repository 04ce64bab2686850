import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { z } from "zod";
import { Thread } from "agentfold";
import { eventSchemas } from "../src/event-schema.ts";
import { INTERPRETED_PARSES, interpretedParsesLeft, parse, safeParse } from "../src/first-parses.ts";
import { event } from "./arbitraries.ts";

const fixtures = fileURLToPath(new URL("./fixtures/threads/", import.meta.url));

/** What a parse decided, comparable across zod's two ways of checking. */
function outcome(result: z.ZodSafeParseResult<unknown>) {
  return result.success
    ? { data: result.data }
    : { issues: result.error.issues.map(({ code, path, message }) => ({ code, path, message })) };
}

describe("first parses run interpreted", () => {
  it("interpreted and compiled parses accept and reject the same events (property)", () => {
    const { eventSchema } = eventSchemas();
    const compiled = (value: unknown) => outcome(eventSchema.safeParse(value));
    const interpreted = (value: unknown) => outcome(eventSchema.safeParse(value, { jitless: true }));
    const mangled = fc.tuple(event, fc.string(), fc.anything()).map(([valid, key, value]) => ({ ...valid, [key]: value }));
    fc.assert(
      fc.property(fc.oneof(event, mangled, fc.anything()), (value) => {
        assert.deepStrictEqual(interpreted(value), compiled(value));
      }),
      { numRuns: 500 },
    );
  });

  it("loads the stored fixture threads, valid and invalid, the same either way", () => {
    const { eventSchema } = eventSchemas();
    for (const directory of readdirSync(fixtures)) {
      for (const name of readdirSync(new URL(`${directory}/`, `file://${fixtures}`))) {
        let json: { events?: unknown };
        try {
          json = JSON.parse(readFileSync(`${fixtures}${directory}/${name}`, "utf8")) as { events?: unknown };
        } catch {
          continue; // a negative fixture that is not JSON at all never reaches zod
        }
        for (const raw of Array.isArray(json.events) ? json.events : []) {
          assert.deepStrictEqual(
            outcome(eventSchema.safeParse(raw, { jitless: true })),
            outcome(eventSchema.safeParse(raw)),
            `${directory}/${name}`,
          );
        }
      }
    }
  });

  it("uses up its budget, then parses the same as before", () => {
    const schema = z.object({ a: z.number(), b: z.string().optional() });
    // Earlier tests in this process may have spent some of the budget already.
    for (let spent = 0; spent < 1000 && interpretedParsesLeft() > 0; spent++)
      assert.deepStrictEqual(safeParse(schema, { a: 1, c: 2 }), { success: true, data: { a: 1 } });
    assert.equal(interpretedParsesLeft(), 0);
    assert.deepStrictEqual(safeParse(schema, { a: 1, c: 2 }), { success: true, data: { a: 1 } });
    assert.equal(safeParse(schema, { a: "1" }).success, false);
    assert.deepStrictEqual(parse(schema, { a: 2, b: "x" }), { a: 2, b: "x" });
    assert.throws(() => parse(schema, {}), z.ZodError);
    assert.ok(INTERPRETED_PARSES > 0 && INTERPRETED_PARSES < 1000, "a short command's worth of parses, not a long run's");
  });

  it("a thread appended and loaded within and past the budget is the same thread", () => {
    let thread = Thread.start("hi", { id: "thr_first" });
    for (let index = 0; index < INTERPRETED_PARSES + 10; index++) {
      thread = thread.append([{ type: "custom", name: "note", data: { index } }]);
    }
    assert.deepStrictEqual(Thread.fromJSON(JSON.stringify(thread)).toJSON(), JSON.parse(JSON.stringify(thread)));
  });
});
