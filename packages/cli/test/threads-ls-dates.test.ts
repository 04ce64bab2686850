/** `agentfold threads ls --since/--before`: the threads created in a range of time. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Thread } from "agentfold";
import { createFakeClock } from "agentfold/testing";
import { createSqliteStore } from "@agentfold/stores";
import { parseTimeOption } from "../src/time-options.ts";
import { json, runCli, tempDir } from "./helpers.ts";

const hour = 3_600_000;

describe("threads ls --since/--before", () => {
  let dir: ReturnType<typeof tempDir>;
  const ids: Record<"weekOld" | "dayOld" | "hourOld" | "dated", string> = { weekOld: "", dayOld: "", hourOld: "", dated: "" };
  before(async () => {
    dir = tempDir("ls-dates");
    const clock = createFakeClock(new Date(Date.now() - 7 * 24 * hour));
    const store = createSqliteStore({ path: join(dir.path, "threads.db"), clock });
    const create = async (name: keyof typeof ids, at: Date, agent: string) => {
      clock.set(at);
      const thread = Thread.start(name, { agent });
      await store.create(thread);
      ids[name] = thread.id;
    };
    await create("dated", new Date("2026-01-15T12:00:00Z"), "calculator");
    await create("weekOld", new Date(Date.now() - 7 * 24 * hour), "calculator");
    await create("dayOld", new Date(Date.now() - 25 * hour), "worker");
    await create("hourOld", new Date(Date.now() - hour), "calculator");
    await store.close();
  });
  after(() => dir.remove());

  const ls = async (...args: string[]) => {
    const result = await runCli(["threads", "ls", "--db", join(dir.path, "threads.db"), "--json", ...args], { cwd: dir.path });
    assert.equal(result.code, 0, result.stderr);
    return json<{ threads: { id: string }[] }>(result).threads.map((thread) => thread.id);
  };

  test("--since a span back from now, --before, both, and with --agent", async () => {
    assert.deepEqual(await ls("--since", "2h"), [ids.hourOld]);
    assert.deepEqual(await ls("--since", "2d"), [ids.hourOld, ids.dayOld]);
    assert.deepEqual(await ls("--since", "2w"), [ids.hourOld, ids.dayOld, ids.weekOld]);
    assert.deepEqual(await ls("--before", "1d"), [ids.dayOld, ids.weekOld, ids.dated]);
    assert.deepEqual(await ls("--since", "2w", "--before", "1d"), [ids.dayOld, ids.weekOld]);
    assert.deepEqual(await ls("--since", "2w", "--agent", "calculator"), [ids.hourOld, ids.weekOld]);
  });

  test("--since and --before as dates and date-times", async () => {
    assert.deepEqual(await ls("--since", "2026-01-15T12:00:00Z", "--before", "2026-01-15T12:00:00.001Z"), [ids.dated]);
    assert.deepEqual(await ls("--before", "2026-01-15T12:00:00Z"), []);
    assert.deepEqual(await ls("--since", "2026-01-14", "--before", "2026-01-17"), [ids.dated]);
  });

  test("an unreadable time or a range that ends before it starts is a usage error that shows the forms", async () => {
    for (const bad of ["yesterday", "2026-02-30", "5y", "-2d"]) {
      const result = await runCli(["threads", "ls", "--db", join(dir.path, "threads.db"), "--since", bad], { cwd: dir.path });
      assert.equal(result.code, 2, `${bad}: ${result.stderr}`);
      assert.match(result.stderr, /--since must be a span back from now \(30m, 12h, 2d, 1w\), a date/);
    }
    const swapped = await runCli(["threads", "ls", "--db", join(dir.path, "threads.db"), "--since", "1h", "--before", "2d"], {
      cwd: dir.path,
    });
    assert.equal(swapped.code, 2);
    assert.match(swapped.stderr, /--before \(2d\) must be later than --since \(1h\)/);
  });

  test("says no thread matches rather than that there are none", async () => {
    const result = await runCli(["threads", "ls", "--db", join(dir.path, "threads.db"), "--since", "2030-01-01"], { cwd: dir.path });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "No threads match these filters.");
  });

  test("reads spans back from now, dates as local midnight and date-times with or without an offset", () => {
    const now = new Date("2026-11-03T12:00:00Z");
    assert.equal(parseTimeOption("2d", "--since", now).toISOString(), "2026-11-01T12:00:00.000Z");
    assert.equal(parseTimeOption("90m", "--since", now).toISOString(), "2026-11-03T10:30:00.000Z");
    assert.equal(parseTimeOption("1.5h", "--since", now).toISOString(), "2026-11-03T10:30:00.000Z");
    assert.equal(parseTimeOption("1w", "--since", now).toISOString(), "2026-10-27T12:00:00.000Z");
    assert.equal(parseTimeOption("2026-11-01", "--since", now).getTime(), new Date(2026, 10, 1).getTime());
    assert.equal(parseTimeOption("2026-11-01T09:30", "--since", now).getTime(), new Date(2026, 10, 1, 9, 30).getTime());
    assert.equal(parseTimeOption("2026-11-01T09:30+01:00", "--since", now).toISOString(), "2026-11-01T08:30:00.000Z");
  });
});
