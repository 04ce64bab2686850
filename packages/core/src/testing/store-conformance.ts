/**
 * The conformance suite every `ThreadStore` must pass. A store's test file calls it in three lines;
 * the suite registers `node:test` tests that check the contract documented in `store.ts`.
 */
import { after, afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { InvalidInputError } from "../errors.ts";
import type { NewEvent } from "../events.ts";
import { LeaseLostError, ThreadExistsError, ThreadNotFoundError, VersionConflictError, type ThreadStore } from "../store.ts";
import { Thread } from "../thread.ts";

export interface ThreadStoreConformanceOptions {
  /** Shown in the test names, e.g. `"sqlite"`. */
  name: string;
  /** A new, empty store. Called before every test; the suite closes it after the test. */
  newStore: () => ThreadStore | Promise<ThreadStore>;
  /** Runs once after all tests, e.g. to delete temporary files or drop a schema. */
  cleanup?: () => void | Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A value after a JSON round trip: what "equal after a JSON round trip" compares. */
const json = (value: unknown) => JSON.parse(JSON.stringify(value));

const note = (index: number): NewEvent => ({ type: "custom", name: "note", data: { index } });

/** `count` small custom events: they leave the status as it was. */
const notes = (count: number, from = 0): NewEvent[] => Array.from({ length: count }, (_, i) => note(from + i));

/** A thread that goes through most event types, with strings that trip up naive encodings. */
function richThread(): Thread {
  return Thread.start(
    { text: 'divide 3 by 4 — "quoted", emoji 🧮, newline\n, nul \u0000, lone surrogate \ud800', actor: "ann" },
    { agent: "calculator", metadata: { tenant: "acme", nested: { list: [1, 2.5, null, true] } } },
  ).append([
    { type: "model_decision", calls: [{ callId: "c1", intent: "divide", args: { a: 3, b: 4 } }], model: "m" },
    { type: "approval_requested", callId: "c1", intent: "divide", args: { a: 3, b: 4 }, argsHash: "h1" },
    { type: "approval_decision", callId: "c1", approved: true, argsHash: "h1", actor: "bob", comment: "ok" },
    { type: "tool_started", callId: "c1", intent: "divide", args: { a: 3, b: 4 }, idempotencyKey: "k1" },
    { type: "tool_result", callId: "c1", intent: "divide", result: { value: 0.75 } },
    { type: "custom", name: "big", data: { text: "x".repeat(5000) } },
  ]);
}

async function rejectsWith(promise: Promise<unknown>, type: new (...args: never[]) => Error, what: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `${what}: expected ${type.name}, got ${String(error)}`);
    return true;
  });
}

/**
 * Registers the `ThreadStore` contract tests for one store implementation.
 *
 * @example
 * import { runThreadStoreConformance } from "agentfold/testing";
 * import { createMemoryStore } from "agentfold";
 * runThreadStoreConformance({ name: "memory", newStore: () => createMemoryStore() });
 */
export function runThreadStoreConformance(options: ThreadStoreConformanceOptions): void {
  describe(`ThreadStore conformance: ${options.name}`, () => {
    let store: ThreadStore;
    beforeEach(async () => {
      store = await options.newStore();
    });
    afterEach(async () => {
      await store.close();
    });
    if (options.cleanup) after(options.cleanup);

    describe("create and load", () => {
      it("loads what was created, equal to a JSON round trip", async () => {
        const thread = richThread();
        await store.create(thread);
        const loaded = await store.load(thread.id);
        assert.ok(loaded instanceof Thread, "load returns a Thread");
        assert.deepEqual(json(loaded), json(Thread.fromJSON(JSON.stringify(thread))));
        assert.equal(loaded.version, thread.version);
        assert.equal(loaded.status, thread.status);
      });

      it("round-trips a thread without events, agent or metadata", async () => {
        const thread = Thread.create();
        await store.create(thread);
        assert.deepEqual(json(await store.load(thread.id)), json(thread));
      });

      it("refuses to create a thread whose id exists, and keeps the stored one", async () => {
        const thread = Thread.start("first", { id: "thr_same" });
        await store.create(thread);
        await rejectsWith(store.create(Thread.start("second", { id: "thr_same" })), ThreadExistsError, "create twice");
        assert.deepEqual(json(await store.load("thr_same")), json(thread));
      });

      it("returns undefined when loading an unknown id", async () => {
        assert.equal(await store.load("thr_missing"), undefined);
      });
    });

    describe("append", () => {
      it("appends only the new events and updates version and status", async () => {
        const first = Thread.start("hello", { agent: "a" });
        await store.create(first);
        const second = first.append(notes(2));
        await store.append(second, { expectedVersion: first.version });
        assert.deepEqual(json(await store.load(first.id)), json(second));
        const third = second.append([{ type: "done", message: "bye" }]);
        await store.append(third, { expectedVersion: second.version });
        const loaded = await store.load(first.id);
        assert.deepEqual(json(loaded), json(third));
        assert.equal(loaded?.status, "done");
        const [summary] = (await store.list()).threads;
        assert.equal(summary?.version, 4);
        assert.equal(summary?.status, "done");
      });

      it("writes only events after expectedVersion, never the ones before it", async () => {
        const stored = Thread.start("original", { id: "thr_only_new" });
        await store.create(stored);
        const other = Thread.start("tampered", { id: "thr_only_new" }).append([note(1)]);
        await store.append(other, { expectedVersion: 1 });
        const loaded = await store.load("thr_only_new");
        assert.deepEqual(json(loaded?.events), json([...stored.events, ...other.events.slice(1)]));
      });

      it("accepts an append with no new events", async () => {
        const thread = Thread.start("hi");
        await store.create(thread);
        await store.append(thread, { expectedVersion: thread.version });
        assert.deepEqual(json(await store.load(thread.id)), json(thread));
      });

      it("rejects a stale or future expectedVersion with VersionConflictError and writes nothing", async () => {
        const first = Thread.start("hi");
        await store.create(first);
        const second = first.append(notes(1));
        await store.append(second, { expectedVersion: 1 });
        const stale = first.append(notes(3, 100));
        await assert.rejects(store.append(stale, { expectedVersion: 1 }), (error: unknown) => {
          assert.ok(error instanceof VersionConflictError, `expected VersionConflictError, got ${String(error)}`);
          assert.equal(error.expectedVersion, 1);
          assert.equal(error.actualVersion, 2);
          return true;
        });
        const ahead = second.append(notes(3, 200));
        await rejectsWith(store.append(ahead, { expectedVersion: 4 }), VersionConflictError, "future version");
        assert.deepEqual(json(await store.load(first.id)), json(second));
      });

      it("rejects an expectedVersion the given thread does not reach", async () => {
        const thread = Thread.start("hi");
        await store.create(thread);
        await rejectsWith(store.append(thread, { expectedVersion: 5 }), InvalidInputError, "expectedVersion > events");
        await rejectsWith(store.append(thread, { expectedVersion: -1 }), InvalidInputError, "negative expectedVersion");
        await rejectsWith(store.append(thread, { expectedVersion: 0.5 }), InvalidInputError, "fractional");
      });

      it("lets exactly one of 20 concurrent appends with the same expectedVersion win", async () => {
        const base = Thread.start("race");
        await store.create(base);
        const contenders = Array.from({ length: 20 }, (_, i) => base.append([note(i), note(i)]));
        const results = await Promise.allSettled(contenders.map((thread) => store.append(thread, { expectedVersion: base.version })));
        const winners = results.flatMap((result, i) => (result.status === "fulfilled" ? [i] : []));
        assert.equal(winners.length, 1, `exactly one append wins, got ${winners.length}`);
        for (const result of results) {
          if (result.status === "rejected") assert.ok(result.reason instanceof VersionConflictError, String(result.reason));
        }
        assert.deepEqual(json(await store.load(base.id)), json(contenders[winners[0] ?? 0]));
      });

      it("fails with ThreadNotFoundError when appending to an unknown thread", async () => {
        const thread = Thread.start("nowhere");
        await rejectsWith(store.append(thread, { expectedVersion: 0 }), ThreadNotFoundError, "append unknown");
        assert.equal(await store.load(thread.id), undefined);
      });
    });

    describe("list", () => {
      it("lists newest first with summaries", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const thread = Thread.start(`t${i}`, { agent: "lister" });
          await store.create(thread);
          ids.push(thread.id);
        }
        const page = await store.list();
        assert.deepEqual(
          page.threads.map((summary) => summary.id),
          ids.toReversed(),
        );
        assert.equal(page.nextCursor, undefined);
        const summary = page.threads[0];
        assert.ok(summary);
        assert.equal(summary.agent, "lister");
        assert.equal(summary.status, "running");
        assert.equal(summary.version, 1);
        assert.ok(!Number.isNaN(Date.parse(summary.createdAt)), "createdAt is a date");
        assert.ok(!Number.isNaN(Date.parse(summary.updatedAt)), "updatedAt is a date");
      });

      it("filters by status and agent, following status changes made by append", async () => {
        const running = Thread.start("r", { agent: "a" });
        const done = Thread.start("d", { agent: "a" });
        const other = Thread.start("o", { agent: "b" });
        const noAgent = Thread.start("n");
        for (const thread of [running, done, other, noAgent]) await store.create(thread);
        await store.append(done.append([{ type: "done", message: "ok" }]), { expectedVersion: 1 });
        const ids = async (query: Parameters<ThreadStore["list"]>[0]) => (await store.list(query)).threads.map((summary) => summary.id);
        assert.deepEqual(await ids({ status: "running" }), [noAgent.id, other.id, running.id]);
        assert.deepEqual(await ids({ status: "done" }), [done.id]);
        assert.deepEqual(await ids({ agent: "a" }), [done.id, running.id]);
        assert.deepEqual(await ids({ agent: "a", status: "running" }), [running.id]);
        assert.deepEqual(await ids({ agent: "nobody" }), []);
        assert.deepEqual(await ids({ status: "awaiting_approval" }), []);
      });

      it("filters by tenant; a thread without one belongs to the default tenant", async () => {
        const acme = Thread.start("a", { agent: "t", metadata: { tenant: "acme" } });
        const globex = Thread.start("g", { agent: "t", metadata: { tenant: "globex", other: 1 } });
        const untagged = Thread.start("u", { agent: "t" });
        const tagged = Thread.start("d", { agent: "t", metadata: { tenant: "default" } });
        for (const thread of [acme, globex, untagged, tagged]) await store.create(thread);
        const ids = async (query: Parameters<ThreadStore["list"]>[0]) => (await store.list(query)).threads.map((summary) => summary.id);
        assert.deepEqual(await ids({ tenant: "acme" }), [acme.id]);
        assert.deepEqual(await ids({ tenant: "globex", agent: "t" }), [globex.id]);
        assert.deepEqual(await ids({ tenant: "default" }), [tagged.id, untagged.id]);
        assert.deepEqual(await ids({ tenant: "nobody" }), []);
      });

      it("pages with limit and cursor without duplicates or gaps", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 23; i++) {
          const thread = Thread.start(`t${i}`, { agent: i % 2 === 0 ? "even" : "odd" });
          await store.create(thread);
          ids.push(thread.id);
        }
        const collect = async (query: { limit: number; agent?: string }) => {
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await store.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
            assert.ok(page.threads.length <= query.limit, "a page holds at most `limit` threads");
            seen.push(...page.threads.map((summary) => summary.id));
            if (page.nextCursor === undefined) return seen;
            assert.equal(typeof page.nextCursor, "string");
            cursor = page.nextCursor;
          }
          assert.fail("paging did not end");
        };
        assert.deepEqual(await collect({ limit: 5 }), ids.toReversed());
        assert.deepEqual(await collect({ limit: 1 }), ids.toReversed());
        assert.deepEqual(await collect({ limit: 1000 }), ids.toReversed());
        const even = ids.filter((_, i) => i % 2 === 0).toReversed();
        assert.deepEqual(await collect({ limit: 4, agent: "even" }), even);
        const exact = await store.list({ limit: 23 });
        assert.equal(exact.threads.length, 23);
        assert.equal(exact.nextCursor, undefined, "no cursor when the page holds the last thread");
      });

      it("filters by creation time: createdFrom inclusive, createdBefore exclusive, with the other filters and paging", async () => {
        // Times come from the store itself (its clock or the database's), read back from the list;
        // the pauses make each creation time distinct at millisecond precision.
        const threads: Thread[] = [];
        for (let i = 0; i < 4; i++) {
          if (i > 0) await sleep(5);
          const thread = Thread.start(`t${i}`, { agent: i === 2 ? "other" : "dated" });
          await store.create(thread);
          threads.push(thread);
        }
        const created = new Map((await store.list()).threads.map((summary) => [summary.id, new Date(summary.createdAt)]));
        const at = (index: number) => created.get(threads[index]!.id)!;
        const [t0, t1, t2, t3] = threads.map((thread) => thread.id);
        const ids = async (query: Parameters<ThreadStore["list"]>[0]) => (await store.list(query)).threads.map((summary) => summary.id);
        assert.deepEqual(await ids({ createdFrom: at(1) }), [t3, t2, t1], "createdFrom includes a thread created at that time");
        assert.deepEqual(await ids({ createdBefore: at(1) }), [t0], "createdBefore excludes a thread created at that time");
        assert.deepEqual(await ids({ createdFrom: at(1), createdBefore: at(3) }), [t2, t1]);
        assert.deepEqual(await ids({ createdFrom: at(1), createdBefore: at(3), agent: "dated" }), [t1]);
        assert.deepEqual(await ids({ createdFrom: at(3), createdBefore: at(1) }), [], "a range that ends before it starts");
        assert.deepEqual(await ids({ createdFrom: new Date(at(3).getTime() + 60_000) }), []);
        assert.deepEqual(await ids({ createdFrom: new Date("1970-01-01T00:00:00Z"), createdBefore: new Date(8.64e15) }), [t3, t2, t1, t0]);
        assert.deepEqual(await ids({ createdFrom: new Date(-8.64e15) }), [t3, t2, t1, t0], "the earliest Date there is");
        assert.deepEqual(await ids({ createdBefore: new Date(-8.64e15) }), []);
        // Appending changes updatedAt, never the creation time the range is on.
        await store.append(Thread.fromJSON(JSON.stringify(threads[0])).append([{ type: "done", message: "ok" }]), { expectedVersion: 1 });
        assert.deepEqual(await ids({ createdBefore: at(1) }), [t0]);
        const first = await store.list({ createdFrom: at(1), limit: 2 });
        assert.deepEqual(
          first.threads.map((summary) => summary.id),
          [t3, t2],
        );
        assert.ok(first.nextCursor);
        assert.deepEqual(await ids({ createdFrom: at(1), limit: 2, cursor: first.nextCursor }), [t1]);
      });

      it("rejects a createdFrom or createdBefore that is not a valid Date with InvalidInputError", async () => {
        for (const value of [new Date(Number.NaN), "2026-11-01" as unknown as Date, 0 as unknown as Date]) {
          await rejectsWith(store.list({ createdFrom: value }), InvalidInputError, `createdFrom ${String(value)}`);
          await rejectsWith(store.list({ createdBefore: value }), InvalidInputError, `createdBefore ${String(value)}`);
        }
      });

      it("rejects an invalid limit or cursor with InvalidInputError", async () => {
        for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
          await rejectsWith(store.list({ limit }), InvalidInputError, `limit ${limit}`);
        }
        for (const cursor of ["not a cursor", ""]) {
          await rejectsWith(store.list({ cursor }), InvalidInputError, `cursor ${JSON.stringify(cursor)}`);
        }
      });
    });

    describe("leases", () => {
      it("grants a lease, refuses a second owner while it is valid, and renews and releases", async () => {
        const thread = Thread.start("lease");
        await store.create(thread);
        const lease = await store.acquireLease(thread.id, "runner-1", 60_000);
        assert.ok(lease, "a free thread can be leased");
        assert.equal(lease.threadId, thread.id);
        assert.equal(lease.owner, "runner-1");
        assert.ok(Number.isInteger(lease.token) && lease.token >= 1, "tokens are positive integers");
        assert.ok(Date.parse(lease.expiresAt) > Date.now(), "expiresAt is in the future");
        assert.equal(await store.acquireLease(thread.id, "runner-2", 60_000), undefined);

        const renewed = await store.renewLease(lease, 120_000);
        assert.ok(renewed, "a held lease can be renewed");
        assert.equal(renewed.token, lease.token);
        assert.ok(Date.parse(renewed.expiresAt) > Date.parse(lease.expiresAt), "renewal extends the lease");

        const next = thread.append(notes(1));
        await store.append(next, { expectedVersion: 1, fence: lease.token });
        await store.releaseLease(renewed);
        assert.equal(await store.renewLease(lease, 60_000), undefined, "a released lease cannot be renewed");
        await rejectsWith(
          store.append(next.append(notes(1, 1)), { expectedVersion: 2, fence: lease.token }),
          LeaseLostError,
          "append after release",
        );
        const taken = await store.acquireLease(thread.id, "runner-2", 60_000);
        assert.ok(taken && taken.token > lease.token, "a new lease gets a higher token");
        assert.deepEqual(json(await store.load(thread.id)), json(next));
      });

      it("lets another owner take over an expired lease with a higher token and fences the old one", async () => {
        const thread = Thread.start("expiry");
        await store.create(thread);
        const old = await store.acquireLease(thread.id, "runner-1", 50);
        assert.ok(old);
        await sleep(150);
        const taken = await store.acquireLease(thread.id, "runner-2", 60_000);
        assert.ok(taken, "an expired lease can be taken over");
        assert.ok(taken.token > old.token, "the takeover has a higher token");
        await rejectsWith(store.append(thread.append(notes(1)), { expectedVersion: 1, fence: old.token }), LeaseLostError, "stale fence");
        assert.equal(await store.renewLease(old, 60_000), undefined, "the old lease cannot be renewed");
        await store.releaseLease(old); // no effect: the thread is leased to runner-2
        assert.equal(await store.acquireLease(thread.id, "runner-3", 60_000), undefined);
        assert.deepEqual(json(await store.load(thread.id)), json(thread), "nothing written with a stale fence");
        const next = thread.append(notes(1, 7));
        await store.append(next, { expectedVersion: 1, fence: taken.token });
        assert.deepEqual(json(await store.load(thread.id)), json(next));
      });

      it("names the owner whose expired, unreleased lease a new one took over, and only then", async () => {
        const thread = Thread.start("takeover");
        await store.create(thread);
        const first = await store.acquireLease(thread.id, "runner-1", 50);
        assert.equal(first?.takenOverFrom, undefined, "a free thread: no takeover");
        await sleep(150);
        const again = await store.acquireLease(thread.id, "runner-1", 50);
        assert.ok(again);
        assert.equal(again.takenOverFrom, undefined, "its own expired lease, taken again by the same owner");
        await sleep(150);
        const taken = await store.acquireLease(thread.id, "runner-2", 60_000, { load: true });
        assert.equal(taken?.takenOverFrom, "runner-1", "another owner's expired lease");
        const renewed = await store.acquireLease(thread.id, "runner-2", 60_000);
        assert.equal(renewed?.takenOverFrom, undefined, "its own lease, still valid");
        await store.releaseLease(renewed!);
        const afterRelease = await store.acquireLease(thread.id, "runner-3", 50);
        assert.equal(afterRelease?.takenOverFrom, undefined, "a released lease is not taken over");
        await store.append(thread.append(notes(1)), { expectedVersion: 1, fence: afterRelease!.token, releaseLease: true });
        const afterAppend = await store.acquireLease(thread.id, "runner-4", 60_000);
        assert.equal(afterAppend?.takenOverFrom, undefined, "nor one released by the holder's last append");
      });

      it("reads the thread with the lease when asked, equal to load; a lease without { load } carries none", async () => {
        const thread = richThread();
        await store.create(thread);
        const plain = await store.acquireLease(thread.id, "runner-1", 60_000);
        assert.ok(plain);
        assert.equal(plain.thread, undefined, "no thread unless asked");
        await store.releaseLease(plain);
        const lease = await store.acquireLease(thread.id, "runner-1", 60_000, { load: true });
        assert.ok(lease);
        // A store may leave it out (the holder then loads it); when present it is the stored thread.
        if (lease.thread !== undefined) assert.deepEqual(json(lease.thread), json(await store.load(thread.id)));
        assert.equal(await store.acquireLease(thread.id, "runner-2", 60_000, { load: true }), undefined, "a held lease is not given away");
      });

      it("releases the lease with an append that asks to, and only when the append is made", async () => {
        const thread = Thread.start("release with the last append");
        await store.create(thread);
        const lease = await store.acquireLease(thread.id, "runner-1", 60_000);
        assert.ok(lease);
        // Refused (stale version): the lease stays with its holder.
        await rejectsWith(
          store.append(thread.append(notes(2)).append(notes(1)), { expectedVersion: 2, fence: lease.token, releaseLease: true }),
          VersionConflictError,
          "stale append with release",
        );
        assert.equal(await store.acquireLease(thread.id, "runner-2", 60_000), undefined, "a refused append keeps the lease");
        const next = thread.append(notes(2));
        await store.append(next, { expectedVersion: 1, fence: lease.token, releaseLease: true });
        assert.deepEqual(json(await store.load(thread.id)), json(next));
        assert.equal(await store.renewLease(lease, 60_000), undefined, "the released lease cannot be renewed");
        await rejectsWith(
          store.append(next.append(notes(1, 2)), { expectedVersion: 3, fence: lease.token }),
          LeaseLostError,
          "append after the release",
        );
        const taken = await store.acquireLease(thread.id, "runner-2", 60_000);
        assert.ok(taken && taken.token > lease.token, "another owner takes it at once, with a higher token");
        await rejectsWith(
          store.append(next.append(notes(1, 2)), { expectedVersion: 3, releaseLease: true }),
          InvalidInputError,
          "releaseLease without a fence",
        );
      });

      it("refuses an append fenced by a token that was never granted", async () => {
        const thread = Thread.start("never leased");
        await store.create(thread);
        await rejectsWith(store.append(thread.append(notes(1)), { expectedVersion: 1, fence: 1 }), LeaseLostError, "fence without lease");
        assert.equal((await store.load(thread.id))?.version, 1);
      });

      it("grants a lease to exactly one of 20 owners asking at once", async () => {
        const thread = Thread.start("contended");
        await store.create(thread);
        const leases = await Promise.all(Array.from({ length: 20 }, (_, i) => store.acquireLease(thread.id, `runner-${i}`, 60_000)));
        assert.equal(leases.filter(Boolean).length, 1);
      });

      it("fails with ThreadNotFoundError when leasing an unknown thread", async () => {
        await rejectsWith(store.acquireLease("thr_missing", "runner-1", 1000), ThreadNotFoundError, "lease unknown");
      });
    });

    describe("due threads", () => {
      const at = (minutes: number) => new Date(Date.parse("2026-12-01T09:00:00.000Z") + minutes * 60_000);
      const waiting = (minutes: number, agent = "bot") =>
        Thread.start("wait", { agent }).append([{ type: "timer_set", timerId: "t1", until: at(minutes).toISOString(), reason: "settle" }]);
      const ids = async (by: Date, limit?: number) =>
        (await store.listDue({ by, ...(limit === undefined ? {} : { limit }) })).map((summary) => summary.id);

      it("lists threads whose timer or request deadline is due by a time, earliest first, with their wakeAt", async () => {
        const later = waiting(10);
        const sooner = waiting(5);
        const asking = Thread.start("deploy", { agent: "bot" }).append([
          { type: "model_decision", calls: [{ callId: "c1", intent: "deploy", args: {} }] },
          // The request's time is its `at`; its deadline is an hour after it.
          {
            type: "approval_requested",
            at: at(0).toISOString(),
            callId: "c1",
            intent: "deploy",
            args: {},
            argsHash: "h",
            deadline: { afterMs: 3_600_000, action: "reject" },
          },
        ]);
        const idle = Thread.start("nothing to wait for", { agent: "bot" });
        for (const thread of [later, sooner, asking, idle]) await store.create(thread);
        assert.deepEqual(await ids(at(4)), []);
        assert.deepEqual(await ids(at(7)), [sooner.id]);
        assert.deepEqual(await ids(at(120)), [sooner.id, later.id, asking.id]);
        assert.deepEqual(await ids(at(120), 2), [sooner.id, later.id]);
        const [first] = await store.listDue({ by: at(120) });
        assert.equal(first?.wakeAt, at(5).toISOString());
        assert.equal(first?.status, "waiting");
        const listed = (await store.list({ status: "waiting" })).threads.map((summary) => [summary.id, summary.wakeAt]);
        assert.deepEqual(listed, [
          [sooner.id, at(5).toISOString()],
          [later.id, at(10).toISOString()],
        ]);
      });

      it("follows appends: a thread that starts waiting is listed, a fired timer, a passed deadline or a finished thread is not", async () => {
        const thread = Thread.start("go", { agent: "bot" });
        await store.create(thread);
        assert.deepEqual(await ids(at(60)), []);
        const asleep = thread.append([{ type: "timer_set", timerId: "t1", until: at(1).toISOString() }]);
        await store.append(asleep, { expectedVersion: thread.version });
        assert.deepEqual(await ids(at(60)), [thread.id]);
        const woken = asleep.append([{ type: "timer_fired", timerId: "t1" }]);
        await store.append(woken, { expectedVersion: asleep.version });
        assert.deepEqual(await ids(at(60)), []);
        assert.equal((await store.list({ status: "running" })).threads[0]?.wakeAt, undefined);
        const again = woken.append([{ type: "timer_set", timerId: "t2", until: at(2).toISOString() }]);
        await store.append(again, { expectedVersion: woken.version });
        assert.deepEqual(await ids(at(60)), [thread.id]);
        await store.append(again.append([{ type: "done", message: "ok" }]), { expectedVersion: again.version });
        assert.deepEqual(await ids(at(60)), []);
      });

      it("rejects an invalid limit with InvalidInputError", async () => {
        await rejectsWith(store.listDue({ by: at(0), limit: 0 }), InvalidInputError, "limit 0");
        await rejectsWith(store.listDue({ by: at(0), limit: 1001 }), InvalidInputError, "limit 1001");
      });
    });
  });
}
