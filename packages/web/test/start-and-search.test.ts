/**
 * Starting a thread from the inbox (any served agent, end to end: the thread runs and its approval
 * reaches the inbox) and searching threads from the header, in Chromium.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";
import { waitFor } from "./support/wait.ts";

describe("starting and finding threads in Chromium", { timeout: 120_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let page: Page;
  const threads: Record<string, string> = {};

  /** The ids of the rows the thread list shows. */
  const rows = () => page.locator("tbody tr").evaluateAll((cells) => cells.map((row) => (row as HTMLElement).dataset.threadId));

  before(async () => {
    fixture = await startFixtureServer();
    for (const [name, message, agent] of [
      ["divide", "divide 3 by 4", "calculator"],
      ["question", "add two numbers", "calculator"],
      ["deploy", "deploy api", "ops"],
    ] as const) {
      threads[name] = (await fixture.launch(message, agent)).id;
    }
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("starts a thread of the chosen agent from the inbox; it runs and its approval appears in the inbox", async () => {
    await page.goto(fixture.url);
    await page.locator("#inbox-list article.card").nth(2).waitFor();
    await page.getByRole("button", { name: "New thread…" }).click();
    const form = page.getByRole("form", { name: "Start a thread" });
    const agents = await form.getByLabel("Agent").locator("option").allTextContents();
    assert.deepEqual(agents, ["calculator", "notes", "ops"], "every served agent");
    await form.getByLabel("Agent").selectOption("notes");
    // The message box has the focus once the form opens.
    await page.keyboard.type("save a note");
    await page.keyboard.press("Enter");

    await page.waitForFunction(() => /^#\/threads\/thr_/.test(location.hash));
    const id = decodeURIComponent(await page.evaluate(() => location.hash.slice("#/threads/".length)));
    assert.ok(!Object.values(threads).includes(id), "a new thread");
    await page.locator('ol.timeline li[data-type="user_input"]').getByText("save a note").waitFor();
    await page.locator(`.pending article.card[data-thread-id="${id}"]`).waitFor();
    const started = await fixture.thread(id);
    assert.equal((started as { agent?: string }).agent, "notes");
    assert.equal(started.events[0]!.text, "save a note");

    await page.getByRole("link", { name: /^Inbox/ }).click();
    await page.locator(`#inbox-list article.card[data-thread-id="${id}"]`).waitFor();
    assert.equal(await page.locator("#inbox-list article.card").count(), 4);
  });

  it("says why nothing was started when the message is empty", async () => {
    await page.getByRole("button", { name: "New thread…" }).click();
    await page.getByRole("button", { name: "Start thread" }).click();
    await page.getByText("Write the first message.").waitFor();
    assert.equal(await page.evaluate(() => location.hash), "#/");
  });

  it("searches threads from the header by text, intent, agent and status", async () => {
    await page.locator("h1").focus();
    await page.keyboard.press("/");
    await page.keyboard.type("intent:divide");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: 'Threads matching "intent:divide"' }).waitFor();
    await waitFor("the search results", async () => JSON.stringify(await rows()) === JSON.stringify([threads.divide]));

    for (const [q, expected] of [
      ["Which two numbers", [threads.question]],
      ["ops", [threads.deploy]],
      ["awaiting_human", [threads.question]],
    ] as const) {
      await page.locator("#search").fill(q);
      await page.locator("#search").press("Enter");
      await page.getByRole("heading", { name: `Threads matching "${q}"` }).waitFor();
      await waitFor(`the results for ${q}`, async () => JSON.stringify(await rows()) === JSON.stringify(expected));
    }

    await page.locator("#search").fill("nothing like this");
    await page.locator("#search").press("Enter");
    await page.getByText('No thread matches "nothing like this"').waitFor();
    assert.equal(await page.locator("tbody tr").count(), 0);

    await page.getByRole("link", { name: "Clear the search" }).click();
    await page.getByRole("heading", { name: "Threads", exact: true }).waitFor();
    await waitFor("every thread", async () => (await rows()).length === 4);
  });
});
