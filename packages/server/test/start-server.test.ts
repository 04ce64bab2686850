import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startServer } from "../src/index.ts";
import { createTestAgents, createTestModel } from "./support/test-agent.ts";

const directory = mkdtempSync(join(tmpdir(), "agentfold-start-"));
after(() => rmSync(directory, { recursive: true, force: true }));

/** How many of this process's open files are `path` (Linux). */
const openHandles = (path: string) =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;

describe("startServer", () => {
  it("closes a store it opened from a spec when it cannot start", async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    const db = join(directory, "start.db");
    try {
      for (const options of [
        { model: "script:/no/such/replies.json", port: 0 },
        { model: createTestModel(), port },
      ]) {
        await assert.rejects(startServer({ store: db, agents: [createTestAgents().calculator], ...options }));
        assert.equal(openHandles(db), 0, `the store is closed after a failed start (${JSON.stringify(options.port)})`);
      }
    } finally {
      taken.close();
    }
    const running = await startServer({ store: db, agents: [createTestAgents().calculator], model: createTestModel(), port: 0 });
    assert.equal(openHandles(db), 1);
    await running.close();
    assert.equal(openHandles(db), 0);
  });
});
