/**
 * A waiting thread in Chromium: the threads list shows its status `waiting` (and filters by it), and
 * its thread page shows until when it waits and, once woken, who woke it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { Thread } from "agentfold";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";

const waitingId = "thr_waiting";
const wokenId = "thr_woken";

describe("a waiting thread in the web UI", { timeout: 60_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let page: Page;
  before(async () => {
    fixture = await startFixtureServer({
      seed: async (store) => {
        const timer = { type: "timer_set" as const, timerId: "settle", until: "2099-01-01T00:10:00.000Z", reason: "let the deploy settle" };
        await store.create(
          Thread.create({ id: waitingId, agent: "calculator" }).append([{ type: "user_input", text: "deploy, then wait" }, timer]),
        );
        await store.create(
          Thread.create({ id: wokenId, agent: "calculator" }).append([
            { type: "user_input", text: "deploy, then wait" },
            timer,
            { type: "timer_fired", timerId: "settle", early: true, actor: "alex" },
            { type: "done", message: "healthy" },
          ]),
        );
      },
    });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("the thread page shows the status and until when it waits, and who woke it early", async () => {
    await page.goto(`${fixture.url}/#/threads/${waitingId}`);
    const entry = page.locator('li.event[data-type="timer_set"]');
    await entry.waitFor();
    assert.equal(await entry.locator(".event-title").textContent(), "Waits until 2099-01-01T00:10:00.000Z");
    assert.match((await entry.textContent()) ?? "", /let the deploy settle/);
    assert.equal(await page.locator(".badge.status-waiting").first().textContent(), "waiting");

    await page.goto(`${fixture.url}/#/threads/${wokenId}`);
    const fired = page.locator('li.event[data-type="timer_fired"]');
    await fired.waitFor();
    assert.equal(await fired.locator(".event-title").textContent(), "Woken early by alex");
  });
});
