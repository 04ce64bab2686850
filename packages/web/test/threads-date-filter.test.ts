/**
 * The threads list's date filter in Chromium: the days are the browser's own (a page in Tokyo sees
 * the thread started at 20:00 UTC on the 14th as started on the 15th), "to" includes its day, a
 * range that ends before it starts says so, and the list stays axe-clean with the fields.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { Thread } from "agentfold";
import { createFakeClock } from "agentfold/testing";
import { assertNoAxeViolations } from "./support/axe.ts";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";
import { waitFor } from "./support/wait.ts";

/** When each seeded thread was started, in UTC, and the day it is in Tokyo (UTC+9). */
const started = {
  thirteenth: "2026-01-13T10:00:00Z", // 13 January, 19:00 in Tokyo
  fifteenth: "2026-01-14T20:00:00Z", // 15 January, 05:00 in Tokyo
  sixteenth: "2026-01-15T16:00:00Z", // 16 January, 01:00 in Tokyo
} as const;

describe("the threads list filtered by the days threads started", { timeout: 90_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<keyof typeof started, string> = { thirteenth: "", fifteenth: "", sixteenth: "" };
  /** The `createdFrom`/`createdBefore` of the last list request the page sent. */
  let lastRange: { from: string | null; before: string | null } = { from: null, before: null };

  const rows = () => page.locator("tbody tr").evaluateAll((cells) => cells.map((row) => (row as HTMLElement).dataset.threadId));
  const showsRows = (expected: string[]) =>
    waitFor(`the rows ${expected.join(", ")}`, async () => JSON.stringify(await rows()) === JSON.stringify(expected));

  before(async () => {
    const clock = createFakeClock(started.thirteenth);
    fixture = await startFixtureServer({
      seedClock: clock,
      seed: async (store) => {
        for (const name of ["thirteenth", "fifteenth", "sixteenth"] as const) {
          clock.set(started[name]);
          const thread = Thread.start(`started on the ${name}`, { agent: "calculator" });
          await store.create(thread);
          ids[name] = thread.id;
        }
      },
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "Asia/Tokyo" });
    page = await context.newPage();
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname !== "/v1/threads" || request.method() !== "GET") return;
      lastRange = { from: url.searchParams.get("createdFrom"), before: url.searchParams.get("createdBefore") };
    });
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("lists the threads started from the first day to the last, both included, in the browser's time zone", async () => {
    await page.goto(`${fixture.url}/#/threads`);
    await showsRows([ids.sixteenth, ids.fifteenth, ids.thirteenth]);

    await page.getByLabel("Started from").fill("2026-01-15");
    await showsRows([ids.sixteenth, ids.fifteenth]);
    assert.equal(lastRange.from, "2026-01-14T15:00:00.000Z", "midnight of the 15th in Tokyo");

    await page.getByLabel("Started to").fill("2026-01-15");
    await showsRows([ids.fifteenth]);
    assert.deepEqual(lastRange, { from: "2026-01-14T15:00:00.000Z", before: "2026-01-15T15:00:00.000Z" }, "to the end of the 15th");

    await page.getByLabel("Started from").fill("");
    await showsRows([ids.fifteenth, ids.thirteenth]);
    await assertNoAxeViolations(page, "the threads list with a date filter");
  });

  it("says when the days match nothing, and when the last day is before the first", async () => {
    await page.getByLabel("Started from").fill("2026-01-14");
    await page.getByLabel("Started to").fill("2026-01-14");
    await page.getByText("No thread matches these filters.").waitFor();
    assert.deepEqual(await rows(), []);

    await page.getByLabel("Started from").fill("2026-01-16");
    await page.getByText("The “Started to” day is before the “Started from” day").waitFor();
    assert.deepEqual(await rows(), []);

    await page.getByLabel("Started to").fill("");
    await showsRows([ids.sixteenth]);
    await page.getByLabel("Started from").fill("");
    await showsRows([ids.sixteenth, ids.fifteenth, ids.thirteenth]);
  });
});
