/**
 * The campaign's check catches each kind of violation: fed a store, an acknowledged log and a ledger
 * that are sound, then each broken in one way, it reports exactly that violation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalJson } from "agentfold/runtime";
import { AcknowledgedLog } from "./acknowledged.ts";
import { checkInvariants, passed, type StoredThread } from "./check.ts";
import type { LedgerRow } from "./ledger.ts";

const events = [
  { type: "user_input", text: "start" },
  { type: "model_decision", calls: [{ callId: "call_1_0", intent: "note" }] },
  { type: "tool_started", callId: "call_1_0", intent: "note", idempotencyKey: "thr_a:call_1_0", attempt: 1 },
  { type: "tool_result", callId: "call_1_0", intent: "note", result: "noted" },
];

function sound() {
  const stored: StoredThread[] = [
    { id: "thr_a", status: "done", version: 4, seqs: [0, 1, 2, 3], events: events.map(canonicalJson), launchKey: "key-a" },
  ];
  const acknowledged = new AcknowledgedLog();
  acknowledged.record({ id: "thr_a", events: events.slice(0, 2) });
  acknowledged.record({ id: "thr_a", events });
  const ledger: LedgerRow[] = [
    { threadId: "thr_a", callId: "call_1_0", intent: "note", idempotencyKey: "thr_a:call_1_0", idempotent: false, fence: 1, pid: 1 },
  ];
  return { stored, acknowledged, ledger };
}

describe("the chaos check", () => {
  it("finds a step that failed", () => {
    const { stored, acknowledged, ledger } = sound();
    stored[0]!.events.push(canonicalJson({ type: "failed", reason: "The runner stopped: Postgres is unavailable" }));
    stored[0]!.seqs.push(4);
    stored[0]!.version = 5;
    const result = checkInvariants(stored, acknowledged, ledger);
    assert.equal(result.failedEvents, 1);
    assert.equal(passed(result), false);
    assert.match(result.problems.join("\n"), /failed: thread thr_a seq 4/);
  });

  it("passes a sound run", () => {
    const { stored, acknowledged, ledger } = sound();
    const result = checkInvariants(stored, acknowledged, ledger);
    assert.ok(passed(result), result.problems.join("\n"));
    assert.equal(result.acknowledgedEvents, 4);
  });

  it("finds a lost acknowledged event and the gap it leaves", () => {
    const { stored, acknowledged, ledger } = sound();
    stored[0]!.seqs.splice(2, 1);
    stored[0]!.events.splice(2, 1);
    const result = checkInvariants(stored, acknowledged, ledger);
    assert.equal(result.lost, 1);
    assert.equal(result.changed, 0, "seq 3 is still stored as acknowledged");
    assert.equal(result.gaps, 1);
    assert.equal(result.unrecordedRuns, 1, "the run's tool_started is gone with it");
  });

  it("finds an acknowledged event stored with other content", () => {
    const { stored, acknowledged, ledger } = sound();
    stored[0]!.events[3] = canonicalJson({ ...events[3], result: "something else" });
    const result = checkInvariants(stored, acknowledged, ledger);
    assert.deepEqual([result.changed, result.lost], [1, 0]);
  });

  it("finds two answers that disagree (a fork) and two threads for one launch key", () => {
    const { stored, acknowledged, ledger } = sound();
    acknowledged.record({ id: "thr_a", events: [events[0], { type: "user_input", text: "another start" }] });
    stored.push({ ...stored[0]!, id: "thr_b" });
    const result = checkInvariants(stored, acknowledged, ledger);
    assert.equal(result.forks, 2);
  });

  it("finds a non-idempotent tool run twice, an idempotent one under two keys, and a run the store never started", () => {
    const { stored, acknowledged, ledger } = sound();
    ledger.push({ ...ledger[0]!, pid: 2, fence: 2 });
    ledger.push({ threadId: "thr_a", callId: "call_2_0", intent: "fetch_page", idempotencyKey: "k1", idempotent: true, fence: 1, pid: 1 });
    ledger.push({ threadId: "thr_a", callId: "call_2_0", intent: "fetch_page", idempotencyKey: "k2", idempotent: true, fence: 2, pid: 2 });
    const result = checkInvariants(stored, acknowledged, ledger);
    assert.equal(result.duplicateRuns, 1);
    assert.equal(result.keyMismatches, 1);
    assert.equal(result.unrecordedRuns, 2, "call_2_0 has no stored tool_started");
    assert.equal(passed(result), false);
  });
});
