/**
 * The Postgres delta relay: how pieces are packed into payloads (split when long, several to a
 * payload when short), and, on the real server, that they reach another process's subscribers in
 * order and once, batched into few NOTIFYs, and again after the LISTEN connection was killed.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { ModelDelta } from "agentfold";
import type { DeltaRelay } from "agentfold/runtime";
import { createPostgresDeltaRelay, deltaChannel, packDeltas } from "@agentfold/stores";
import pg from "pg";
import { postgresUrl } from "./postgres-test-database.ts";

type Payload = { p: string; t: string; s: number; d: Array<[number, ModelDelta]> };

const text = (value: string): ModelDelta => ({ type: "text", attempt: 1, text: value });

function pack(pieces: Array<{ delta: ModelDelta; after: number }>, maxBytes: number) {
  let sequence = 0;
  const payloads = packDeltas({ processId: "process-a", threadId: "thread-1", pieces, maxBytes, nextSequence: () => ++sequence });
  return { payloads, parsed: payloads.map((payload) => JSON.parse(payload) as Payload) };
}

describe("packing pieces into NOTIFY payloads", () => {
  it("puts many short pieces in one payload, in order", () => {
    const pieces = Array.from({ length: 50 }, (_, index) => ({ delta: text(`piece ${index} `), after: 4 }));
    const { parsed } = pack(pieces, 7_900);
    assert.equal(parsed.length, 1);
    assert.deepEqual(
      parsed[0]!.d,
      pieces.map(({ delta, after }) => [after, delta]),
    );
    assert.deepEqual([parsed[0]!.p, parsed[0]!.t, parsed[0]!.s], ["process-a", "thread-1", 1]);
  });

  it("splits a piece longer than a payload into pieces that concatenate back, none over the limit", () => {
    // Multi-byte characters and characters JSON escapes, so bytes, not characters, must be counted.
    const long = `${'é😀"\\\n'.repeat(3_000)}end`;
    const { payloads, parsed } = pack(
      [
        { delta: text("before "), after: 2 },
        { delta: text(long), after: 2 },
        { delta: text(" after"), after: 3 },
      ],
      1_000,
    );
    assert.ok(payloads.length > 10, `${payloads.length} payloads`);
    for (const payload of payloads) assert.ok(Buffer.byteLength(payload) <= 1_000, `${Buffer.byteLength(payload)} bytes`);
    const pieces = parsed.flatMap((payload) => payload.d);
    assert.equal(pieces.map(([, delta]) => (delta as { text: string }).text).join(""), `before ${long} after`);
    assert.deepEqual(
      parsed.map((payload) => payload.s),
      parsed.map((_, index) => index + 1),
      "each payload numbered, in order",
    );
    assert.deepEqual(pieces.at(-1)![0], 3);
  });

  it("splits a tool call's arguments keeping its index and name", () => {
    const argsText = JSON.stringify({ body: "x".repeat(5_000) });
    const delta: ModelDelta = { type: "tool_call", attempt: 2, index: 1, toolName: "write_file", argsText, childThreadId: "child-1" };
    const { parsed } = pack([{ delta, after: 7 }], 2_000);
    const pieces = parsed.flatMap((payload) => payload.d.map(([, piece]) => piece));
    assert.ok(pieces.length > 2);
    assert.ok(
      pieces.every(
        (piece) =>
          piece.type === "tool_call" &&
          piece.index === 1 &&
          piece.toolName === "write_file" &&
          piece.attempt === 2 &&
          piece.childThreadId === "child-1",
      ),
    );
    assert.equal(pieces.map((piece) => (piece as { argsText: string }).argsText).join(""), argsText);
  });
});

describe("the relay between two processes on one Postgres", () => {
  const relays: DeltaRelay[] = [];
  after(async () => {
    await Promise.all(relays.map((relay) => relay.close()));
  });
  const relay = async (processId: string, extra: { connectionString?: string; onError?: (error: unknown) => void } = {}) => {
    const made = await createPostgresDeltaRelay({ connectionString: postgresUrl, processId, listenWaitMs: 30_000, ...extra });
    relays.push(made);
    return made;
  };
  const joined = (heard: Array<[number, ModelDelta]>) => heard.map(([, delta]) => (delta as { text: string }).text).join("");
  /** Collects what a subscriber hears, and resolves once the pieces' text is `whole`. */
  function collector(whole: string) {
    const heard: Array<[number, ModelDelta]> = [];
    const { promise, resolve } = Promise.withResolvers<Array<[number, ModelDelta]>>();
    return {
      heard,
      all: promise,
      listener: (delta: ModelDelta, afterVersion: number) => {
        heard.push([afterVersion, delta]);
        if (joined(heard).length >= whole.length) resolve(heard);
      },
    };
  }

  it("delivers another process's pieces in order, its own once, in one NOTIFY for one turn's pieces", async () => {
    const threadId = `relay-${Date.now()}-${Math.random()}`;
    const publisher = await relay("publisher");
    const watcher = await relay("watcher");
    // A plain listener on the channel counts the NOTIFYs.
    const spy = new pg.Client({ connectionString: postgresUrl });
    await spy.connect();
    const notifications: Payload[] = [];
    spy.on("notification", (message) => notifications.push(JSON.parse(message.payload!) as Payload));
    await spy.query(`LISTEN "${deltaChannel(threadId)}"`);
    try {
      const long = "y".repeat(20_000);
      const pieces = [...Array.from({ length: 100 }, (_, index) => text(`${index},`)), text(long), text("end")];
      const whole = pieces.map((delta) => (delta as { text: string }).text).join("");
      const remote = collector(whole);
      const local = collector(whole);
      watcher.subscribe(threadId, remote.listener);
      publisher.subscribe(threadId, local.listener);
      await watcher.listening(threadId);
      for (const delta of pieces) publisher.publish(threadId, delta, 5);
      assert.equal(local.heard.length, pieces.length, "this process's subscribers hear at once");
      await remote.all;
      assert.equal(joined(remote.heard), whole, "in order, nothing twice");
      assert.ok(remote.heard.every(([afterVersion]) => afterVersion === 5));
      // A third process's NOTIFY, sent after the batch, reaches each session after the batch did:
      // once the spy and the publisher have it, they have had everything before it.
      await publisher.listening(threadId);
      const other = await relay("other");
      const marker = collector("marker");
      const spyHasMarker = Promise.withResolvers<void>();
      spy.on("notification", (message) => {
        if (JSON.parse(message.payload!).p === "other") spyHasMarker.resolve();
      });
      publisher.subscribe(threadId, marker.listener);
      other.publish(threadId, text("marker"), 6);
      await Promise.all([marker.all, spyHasMarker.promise]);
      // Published in one turn: one statement, packed into as few payloads as the 7,900-byte limit allows.
      const expected = packDeltas({
        processId: "publisher",
        threadId,
        pieces: pieces.map((delta) => ({ delta, after: 5 })),
        maxBytes: 7_900,
        nextSequence: () => 1,
      });
      const published = notifications.filter((payload) => payload.p === "publisher");
      assert.equal(published.length, expected.length, JSON.stringify(published.map((payload) => payload.d.length)));
      assert.ok(published.length <= 5, `${published.length} NOTIFYs for ${pieces.length} pieces`);
      assert.deepEqual(
        published.map((payload) => payload.s),
        published.map((_, index) => published[0]!.s + index),
      );
      // The publisher's own listener heard each piece once: it skips its own NOTIFYs.
      assert.equal(local.heard.length, pieces.length + 1);
      assert.equal(joined(local.heard), `${whole}marker`);
    } finally {
      await spy.end();
    }
  });

  it("listens again after its LISTEN connection is killed, and the process stays up", async () => {
    const threadId = `relay-${Date.now()}-${Math.random()}`;
    const applicationName = `agentfold-relay-test-${process.pid}`;
    const url = new URL(postgresUrl);
    url.searchParams.set("application_name", applicationName);
    const errors: string[] = [];
    const lost = Promise.withResolvers<void>();
    const publisher = await relay("publisher-2");
    const watcher = await relay("watcher-2", {
      connectionString: url.toString(),
      onError: (error) => {
        errors.push((error as Error).message);
        if ((error as Error).message.includes("lost the LISTEN connection")) lost.resolve();
      },
    });
    const first = collector("one");
    const unsubscribe = watcher.subscribe(threadId, first.listener);
    await watcher.listening(threadId);
    publisher.publish(threadId, text("one"), 1);
    await first.all;
    unsubscribe();

    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    const second = collector("two");
    watcher.subscribe(threadId, second.listener);
    await watcher.listening(threadId);
    const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
      applicationName,
    ]);
    await admin.end();
    assert.ok(killed.rowCount! >= 1, "the LISTEN connection was found");
    await lost.promise;
    await watcher.listening(threadId);
    publisher.publish(threadId, text("two"), 2);
    assert.deepEqual(await second.all, [[2, text("two")]]);
    assert.ok(
      errors.some((message) => message.includes("is back")),
      errors.join("\n"),
    );
  });
});
