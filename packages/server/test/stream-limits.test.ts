import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { createServer, startServer } from "../src/index.ts";
import { appFetcher, post } from "./support/http.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const alice = { authorization: "Bearer alice-secret-key" };
const bob = { authorization: "Bearer bob-secret-key" };

function setup() {
  const agents = createTestAgents();
  const { app } = createServer({
    store: createMemoryStore(),
    agents: [agents.calculator],
    model: createTestModel(),
    apiKeys: "alice:alice-secret-key,bob:bob-secret-key",
    maxStreamsPerKey: 2,
    maxStreams: 3,
    onError: () => {},
  });
  return appFetcher(app);
}

describe("stream limits", () => {
  it("refuses streams past the per-key and the global limit with 429 and Retry-After; a closed stream frees its slot", async () => {
    const fetch = setup();
    const launched = await post(fetch, "/v1/threads", { agent: "calculator", message: "divide 3 by 4" }, alice);
    const path = `/v1/threads/${launched.body.id}/stream`;
    const open = async (headers: Record<string, string>) => {
      const response = await fetch(path, { headers });
      if (response.status !== 200) return { response, reader: undefined };
      const reader = response.body!.getReader();
      await reader.read(); // the first event: the stream is running
      return { response, reader };
    };

    const first = await open(alice);
    const second = await open(alice);
    assert.deepEqual([first.response.status, second.response.status], [200, 200]);
    const third = await open(alice);
    assert.equal(third.response.status, 429);
    assert.equal(third.response.headers.get("retry-after"), "5");
    const refused = (await third.response.json()) as { error: { code: string; message: string } };
    assert.equal(refused.error.code, "too_many_streams");
    assert.match(refused.error.message, /maxStreamsPerKey: 2/);

    // Bob has his own allowance, but the server holds at most 3.
    const bobs = await open(bob);
    assert.equal(bobs.response.status, 200);
    const overall = await open(bob);
    assert.equal(overall.response.status, 429);
    assert.match(((await overall.response.json()) as { error: { message: string } }).error.message, /maxStreams: 3/);

    // Alice's client goes away: its slot is free again.
    await first.reader!.cancel();
    let again = await open(alice);
    for (let attempt = 0; again.response.status === 429 && attempt < 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await open(alice);
    }
    assert.equal(again.response.status, 200, "a closed stream frees its slot");
    for (const stream of [second, bobs, again]) await stream.reader!.cancel();
  });

  it("frees the slot of a client that disconnects from a real server", async () => {
    const agents = createTestAgents();
    const server = await startServer({
      store: createMemoryStore(),
      agents: [agents.calculator],
      model: createTestModel(),
      apiKeys: false,
      port: 0,
      maxStreamsPerKey: 1,
      onError: () => {},
    });
    try {
      const launched = await post((path, init) => fetch(new URL(path, server.url), init), "/v1/threads", {
        agent: "calculator",
        message: "divide 3 by 4",
      });
      const streamUrl = new URL(`/v1/threads/${launched.body.id}/stream`, server.url);
      const client = new AbortController();
      const first = await fetch(streamUrl, { signal: client.signal });
      assert.equal(first.status, 200);
      await first.body!.getReader().read();
      assert.equal((await fetch(streamUrl)).status, 429);
      client.abort(); // the connection closes
      let status = 429;
      for (let attempt = 0; status === 429 && attempt < 100; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const again = await fetch(streamUrl);
        status = again.status;
        await again.body?.cancel();
      }
      assert.equal(status, 200, "the disconnected client's slot is free");
    } finally {
      await server.close();
    }
  });
});
