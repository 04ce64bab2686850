/**
 * `GET /v1/threads?createdFrom=&createdBefore=`: the listing by creation time, with the other
 * filters and the search, and a 400 that says the accepted forms for a time it cannot read.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Thread } from "agentfold";
import { createFakeClock, createMemoryStore } from "agentfold/testing";
import { createServer } from "../src/index.ts";
import { parseTimeParam } from "../src/time-params.ts";
import { appFetcher, get } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

/** Threads created on 31 October 23:30, 1 November 10:00 and 2 November 00:00 (UTC). */
async function setup() {
  const clock = createFakeClock("2026-10-31T23:30:00Z");
  const store = createMemoryStore({ clock });
  const halloween = Thread.start("late on the 31st", { agent: "calculator" });
  const first = Thread.start("refund on the 1st", { agent: "worker" });
  const second = Thread.start("refund at midnight on the 2nd", { agent: "calculator" });
  await store.create(halloween);
  clock.set("2026-11-01T10:00:00Z");
  await store.create(first);
  clock.set("2026-11-02T00:00:00Z");
  await store.create(second);
  const agents = createTestAgents();
  const { app } = createServer({
    store,
    agents: [agents.calculator, agents.worker],
    model: createTestModel(),
    apiKeys: false,
    onError: () => {},
  });
  const fetch = appFetcher(app);
  const list = async (query: string) => {
    const response = await get(fetch, `/v1/threads?${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return (response.body as { threads: { id: string }[] }).threads.map((thread) => thread.id);
  };
  return { fetch, list, halloween: halloween.id, first: first.id, second: second.id };
}

describe("GET /v1/threads?createdFrom=&createdBefore=", () => {
  it("lists the threads created in the range: from inclusive, before exclusive, a bare date is midnight UTC", async () => {
    const { list, halloween, first, second } = await setup();
    assert.deepEqual(await list("createdFrom=2026-11-01&createdBefore=2026-11-02"), [first]);
    assert.deepEqual(await list("createdFrom=2026-11-01"), [second, first]);
    assert.deepEqual(await list("createdBefore=2026-11-02"), [first, halloween]);
    assert.deepEqual(await list("createdFrom=2026-11-02T00:00:00Z"), [second], "a thread created at createdFrom is in");
    assert.deepEqual(await list("createdBefore=2026-11-02T00:00:00.000Z"), [first, halloween], "one created at createdBefore is out");
    // 1 November 00:30 in UTC+01:00 is 31 October 23:30 UTC.
    assert.deepEqual(await list(`createdFrom=${encodeURIComponent("2026-11-01T00:30+01:00")}&createdBefore=2026-11-01`), [halloween]);
    assert.deepEqual(await list("createdFrom=&createdBefore="), [second, first, halloween], "empty parameters filter nothing");
  });

  it("combines with the agent filter and the search", async () => {
    const { list, first, second } = await setup();
    assert.deepEqual(await list("createdFrom=2026-11-01&agent=calculator"), [second]);
    assert.deepEqual(await list("createdFrom=2026-11-01&q=refund"), [second, first]);
    assert.deepEqual(await list("createdBefore=2026-11-02&q=refund"), [first]);
  });

  it("answers a time it cannot read, or a range that ends before it starts, with a 400 that says what to send", async () => {
    const { fetch } = await setup();
    for (const bad of ["yesterday", "2026-02-30", "2026-11-01T10:00", "2026-13-01", "1730000000", "2026-11-01 10:00Z"]) {
      const response = await get(fetch, `/v1/threads?createdFrom=${encodeURIComponent(bad)}`);
      assert.equal(response.status, 400, bad);
      assert.equal(response.body.error.code, "invalid_request");
      assert.match(response.body.error.message, /createdFrom: must be a date \(2026-11-01, midnight UTC\) or a date-time with its offset/);
    }
    const swapped = await get(fetch, "/v1/threads?createdFrom=2026-11-02&createdBefore=2026-11-01");
    assert.equal(swapped.status, 400);
    assert.match(swapped.body.error.message, /createdBefore \(2026-11-01\) must be after createdFrom \(2026-11-02\)/);
    const empty = await get(fetch, "/v1/threads?createdFrom=2026-11-01&createdBefore=2026-11-01");
    assert.equal(empty.status, 400, "an empty range is a mistake too");
  });

  it("reads dates and date-times with offsets, and nothing else", () => {
    assert.equal(parseTimeParam("2026-11-01")?.toISOString(), "2026-11-01T00:00:00.000Z");
    assert.equal(parseTimeParam("2026-11-01T09:30+01:00")?.toISOString(), "2026-11-01T08:30:00.000Z");
    assert.equal(parseTimeParam("2026-11-01t09:30:15.250z")?.toISOString(), "2026-11-01T09:30:15.250Z");
    assert.equal(parseTimeParam("2028-02-29")?.toISOString(), "2028-02-29T00:00:00.000Z");
    for (const bad of ["", "2026-02-29", "2026-11-01T25:00Z", "+2026-11-01", "2026-11-1", "now"]) {
      assert.equal(parseTimeParam(bad), undefined, bad);
    }
  });
});
