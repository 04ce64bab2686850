/**
 * The "Edit arguments…" form in Chromium: it sends only what the person changed. The deploy tool
 * has an optional boolean the model left out and a list with an empty item, the two values a form
 * would change by accident.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Locator, Page } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { deployArgs, startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";
import { waitFor } from "./support/wait.ts";

const screenshots = join(import.meta.dirname, "../../../test-output/screenshots");
mkdirSync(screenshots, { recursive: true });

describe("editing arguments before approving", { timeout: 60_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    fixture = await startFixtureServer();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  /** Launches a deploy, opens its card's form in the inbox, and returns the card and the thread id. */
  async function openForm(): Promise<{ id: string; card: Locator }> {
    const { id, status } = await fixture.launch("deploy api", "ops");
    assert.equal(status, "awaiting_approval");
    await page.goto(fixture.url);
    const card = page.locator(`article.card[data-thread-id="${id}"]`);
    await card.getByRole("button", { name: "Edit arguments…" }).click();
    return { id, card };
  }

  /** The approval decision once the server has stored it. */
  async function decision(id: string): Promise<Record<string, unknown>> {
    return waitFor("the approval decision", async () =>
      (await fixture.thread(id)).events.find((event) => event.type === "approval_decision"),
    );
  }

  it("sends a plain approval when the form is submitted without changes", async () => {
    const { id, card } = await openForm();
    await card.getByRole("button", { name: "Approve with these arguments" }).click();
    const stored = await decision(id);
    assert.equal(stored.approved, true);
    assert.ok(!("args" in stored), `no edited arguments were sent, got ${JSON.stringify(stored.args)}`);
    await card.locator(".card-status", { hasText: "Approved deploy" }).waitFor();
    assert.equal(await card.locator(".card-status").textContent(), "Approved deploy. The thread goes on.");
  });

  it("sends the original arguments with only the changed field changed", async () => {
    const { id, card } = await openForm();
    await card.getByLabel("service").fill("web");
    await card.getByRole("button", { name: "Approve with these arguments" }).click();
    await card.getByText("Approved deploy with edited arguments").waitFor();
    assert.deepEqual((await decision(id)).args, { ...deployArgs, service: "web" });
  });

  it("edits an optional boolean with three states and keeps empty list items", async () => {
    const { id, card } = await openForm();
    const dryRun = card.getByLabel("dryRun");
    assert.equal(await dryRun.evaluate((element) => element.tagName), "SELECT");
    assert.equal(await dryRun.inputValue(), "", "a boolean the model left out is shown as not set");
    assert.deepEqual(await dryRun.locator("option").allTextContents(), ["(not set)", "true", "false"]);
    assert.equal(await card.getByLabel("tags").inputValue(), "a\n\nb");

    await dryRun.selectOption("false");
    await card.getByLabel("tags").fill("a\n\nc");
    await card.screenshot({ path: join(screenshots, "edit-arguments.png") });
    await card.getByRole("button", { name: "Approve with these arguments" }).click();
    await card.getByText("Approved deploy with edited arguments").waitFor();
    assert.deepEqual((await decision(id)).args, { service: "api", dryRun: false, tags: ["a", "", "c"] });
    assert.deepEqual(pageErrors, []);
  });
});
