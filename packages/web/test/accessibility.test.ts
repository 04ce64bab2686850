/**
 * Accessibility in Chromium: axe-core finds no violation on any page (the inbox with its forms
 * open, the shortcuts dialog, the thread list and a search, thread pages, the not-found page and the
 * sign-in form) at desktop and phone width, and the first card's Approve button is the third Tab
 * stop at most.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { assertNoAxeViolations } from "./support/axe.ts";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";

const widths = [
  { name: "desktop", viewport: { width: 1280, height: 900 } },
  { name: "375 px", viewport: { width: 375, height: 812 } },
];

describe("accessibility in Chromium", { timeout: 180_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  const threads: Record<string, string> = {};

  before(async () => {
    fixture = await startFixtureServer();
    for (const [name, message] of [
      ["done", "say hello"],
      ["canceled", "divide 5 by 5"],
      ["question", "add two numbers"],
      ["choice", "pick an operation"],
      // The newest, so the inbox shows it first.
      ["approval", "divide 3 by 4"],
    ] as const) {
      threads[name] = (await fixture.launch(message)).id;
    }
    const canceled = await fetch(`${fixture.url}/v1/threads/${threads.canceled}/cancel`, { method: "POST" });
    assert.equal(canceled.status, 200, await canceled.text());
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  /** Each check gets a page of its own context: axe opens a helper page in the same context. */
  async function withPage(viewport: { width: number; height: number }, check: (page: Page) => Promise<void>): Promise<void> {
    const context = await browser.newContext({ viewport });
    try {
      await check(await context.newPage());
    } finally {
      await context.close();
    }
  }

  for (const { name, viewport } of widths) {
    it(`has no axe violation on any page, ${name}`, async () => {
      await withPage(viewport, async (page) => {
        await page.goto(fixture.url);
        await page.locator("#inbox-list article.card").nth(2).waitFor();
        await assertNoAxeViolations(page, `the inbox, ${name}`);

        await page.getByRole("button", { name: "New thread…" }).click();
        await page.getByRole("button", { name: "Filters" }).click();
        await page.getByLabel("Urgency").waitFor();
        await page.getByLabel("First message").waitFor();
        await assertNoAxeViolations(page, `the inbox with the new-thread form and the filters open, ${name}`);

        const approval = page.locator(`article.card[data-thread-id="${threads.approval}"]`);
        await approval.getByRole("button", { name: "Edit arguments…" }).click();
        await approval.getByLabel("a", { exact: true }).waitFor();
        await approval.getByRole("button", { name: "Reject…" }).click();
        await approval.getByLabel("Comment for the agent (it reads this)").waitFor();
        await assertNoAxeViolations(page, `the inbox with a rejection comment open, ${name}`);

        await page.getByRole("button", { name: "Shortcuts" }).click();
        await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
        await assertNoAxeViolations(page, `the shortcuts dialog, ${name}`);
        await page.keyboard.press("Escape");
        await page.getByRole("dialog").waitFor({ state: "hidden" });

        await page.goto(`${fixture.url}/#/threads`);
        const done = page.locator(`tr[data-thread-id="${threads.done}"]`);
        await done.locator(".status-done").waitFor();
        await page.locator(`tr[data-thread-id="${threads.canceled}"] .status-canceled`).waitFor();
        await page.waitForFunction(() => ![...document.querySelectorAll("td")].some((cell) => cell.textContent === "…"));
        await assertNoAxeViolations(page, `the thread list, ${name}`);

        await page.goto(`${fixture.url}/#/threads?q=divide`);
        await page.getByText('thread(s) match "divide"').waitFor();
        await assertNoAxeViolations(page, `search results, ${name}`);

        for (const thread of ["approval", "done", "canceled"] as const) {
          await page.goto(`${fixture.url}/#/threads/${threads[thread]}`);
          await page.getByText("Live: new events appear").waitFor();
          await page.locator(".context-section .tokens").waitFor();
          await assertNoAxeViolations(page, `the ${thread} thread's page, ${name}`);
        }

        await page.goto(`${fixture.url}/#/threads/thr_missing`);
        await page.getByRole("heading", { name: "Not found" }).waitFor();
        await assertNoAxeViolations(page, `the not-found page, ${name}`);
      });
    });
  }

  it("reaches the first card's Approve button in at most 3 Tab presses from page load", async () => {
    await withPage(widths[0]!.viewport, async (page) => {
      await page.goto(fixture.url);
      const approve = page.locator("#inbox-list article.card").first().getByRole("button", { name: "Approve", exact: true });
      await approve.waitFor();
      const stops: string[] = [];
      for (let press = 0; press < 3; press++) {
        await page.keyboard.press("Tab");
        stops.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ""));
        if (await approve.evaluate((button) => button === document.activeElement)) break;
      }
      assert.ok(await approve.evaluate((button) => button === document.activeElement), `Tab went to: ${stops.join(" → ")}`);
    });
  });

  it("has no axe violation on the sign-in form", async () => {
    const keyed = await startFixtureServer({ apiKeys: "alice:correct-horse-battery" });
    try {
      for (const { name, viewport } of widths) {
        await withPage(viewport, async (page) => {
          await page.goto(keyed.url);
          await page.getByRole("heading", { name: "API key needed" }).waitFor();
          await assertNoAxeViolations(page, `the sign-in form, ${name}`);
        });
      }
    } finally {
      await keyed.close();
    }
  });
});
