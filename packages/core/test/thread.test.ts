import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { InvalidInputError, Thread, ThreadFormatError } from "agentfold";
import { THREAD_SCHEMA_VERSION } from "agentfold/runtime";
import { eventSequence } from "./arbitraries.ts";

const fixtures = fileURLToPath(new URL("./fixtures/threads/", import.meta.url));

describe("Thread JSON", () => {
  it("round-trips losslessly (property)", () => {
    fc.assert(
      fc.property(eventSequence(), (events) => {
        const thread = Thread.create({ id: "thr_p", agent: "a", metadata: { k: "v" } }).appendEvents(events);
        const reloaded = Thread.fromJSON(JSON.stringify(thread));
        assert.deepStrictEqual(reloaded.toJSON(), JSON.parse(JSON.stringify(thread)));
        assert.deepStrictEqual(reloaded.state, thread.state);
        assert.equal(reloaded.status, thread.status);
      }),
      { numRuns: 300 },
    );
  });

  it("carries the schema version", () => {
    assert.equal(Thread.start("hi").toJSON().schemaVersion, THREAD_SCHEMA_VERSION);
  });

  for (const version of readdirSync(fixtures).filter((name) => /^v\d+$/.test(name))) {
    for (const file of readdirSync(`${fixtures}${version}`)) {
      it(`loads the released ${version} fixture ${file}`, () => {
        const text = readFileSync(`${fixtures}${version}/${file}`, "utf8");
        const thread = Thread.fromJSON(text);
        assert.ok(thread.events.length > 10);
        // Derived state comes from the events alone.
        assert.equal(thread.status, "canceled");
        assert.deepStrictEqual(thread.pending, []);
        assert.equal(thread.stepCount, 5);
        assert.deepStrictEqual(thread.state.usage, { inputTokens: 480, outputTokens: 48, cost: 0 });
        // Writing it again gives the same JSON (nothing is dropped or renamed), in the version this code writes.
        assert.deepStrictEqual(JSON.parse(JSON.stringify(thread)), { ...JSON.parse(text), schemaVersion: THREAD_SCHEMA_VERSION });
      });
    }
  }

  const negative: Record<string, RegExp> = {
    "future-version.json": /schemaVersion 99.*up to 2.*Upgrade agentfold/,
    "missing-schema-version.json": /schemaVersion/,
    "unknown-event-type.json": /event 0/,
    "invalid-event-field.json": /event 0: calls/,
    "proto-key.json": /__proto__/,
    "truncated.json": /does not parse/,
  };
  for (const [file, message] of Object.entries(negative)) {
    it(`refuses ${file} with a clear error`, () => {
      const text = readFileSync(`${fixtures}negative/${file}`, "utf8");
      assert.throws(
        () => Thread.fromJSON(text),
        (error: unknown) => {
          assert.ok(error instanceof ThreadFormatError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it("does not let a loaded thread pollute prototypes", () => {
    assert.throws(() => Thread.fromJSON('{"schemaVersion":1,"id":"x","events":[],"__proto__":{"a":1}}'));
    assert.equal(({} as Record<string, unknown>).a, undefined);
  });
});

describe("Thread", () => {
  it("is immutable: append returns a new thread and events are frozen", () => {
    const first = Thread.start("hello");
    const second = first.append([{ type: "custom", name: "x", data: { n: 1 } }]);
    assert.notEqual(first, second);
    assert.equal(first.events.length, 1);
    assert.equal(second.events.length, 2);
    assert.throws(() => (second.events as unknown[]).push({}));
    assert.throws(() => {
      (second.events[1] as { name: string }).name = "changed";
    });
  });

  it("forks at an event with a new id and the prefix of events", () => {
    const thread = Thread.start("a").append([{ type: "user_input", text: "b" }]);
    const fork = thread.fork(1);
    assert.notEqual(fork.id, thread.id);
    assert.equal(fork.events.length, 1);
    assert.equal(fork.metadata.forkedFrom, thread.id);
    assert.throws(() => thread.fork(3), InvalidInputError);
    assert.throws(() => thread.fork(-1), /use 1\.\.2\)/);
    // Not before the first event: a fork without the request would have the model decide on nothing.
    assert.throws(() => thread.fork(0), /at event 0: it has 2 events and a fork keeps at least the first, the request \(use 1\.\.2\)\./);
  });

  it("explains why a call is not pending", () => {
    const thread = Thread.start("a");
    assert.throws(() => thread.pendingItem("call_9"), /not pending.*status: running.*Nothing is pending/);
  });
});
