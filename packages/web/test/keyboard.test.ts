/**
 * The keyboard in Chromium: Enter sends an answer (Shift+Enter is a new line), Ctrl+Enter sends any
 * form, and the shortcuts (j/k between cards, a approve, r reject with a comment, e edit, / search,
 * ? help) work, and do nothing while typing in a field.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";
import { waitFor } from "./support/wait.ts";

describe("the keyboard in Chromium", { timeout: 120_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let page: Page;
  const threads: Record<string, string> = {};

  /** The card of a thread. */
  const card = (name: string) => page.locator(`article.card[data-thread-id="${threads[name]}"]`);
  const focusedCard = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.threadId ?? null);

  /** Waits until the thread is in `status` and returns it. */
  const settled = (name: string, status: string) =>
    waitFor(`${name} to be ${status}`, async () => {
      const thread = await fixture.thread(threads[name]!);
      return thread.status === status && thread;
    });

  before(async () => {
    fixture = await startFixtureServer();
    // Oldest first: the inbox lists them newest first, so in the opposite order.
    for (const [name, message, agent] of [
      ["note", "save a note", "notes"],
      ["choice", "pick an operation", "calculator"],
      ["question", "add two numbers", "calculator"],
      ["reject", "divide 1 by 0", "calculator"],
      ["approve", "divide 3 by 4", "calculator"],
    ] as const) {
      threads[name] = (await fixture.launch(message, agent)).id;
    }
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(fixture.url);
    await page.locator("#inbox-list article.card").nth(4).waitFor();
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("? shows the shortcuts, Escape closes them; / focuses the search, where letters are typed, not run", async () => {
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    assert.match((await help.textContent())!, /Next \/ previous card/);
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });

    await page.keyboard.press("/");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "search");
    await page.keyboard.type("jka?");
    assert.equal(await page.locator("#search").inputValue(), "jka?", "the / itself is not typed, the letters are");
    assert.equal(await page.getByRole("dialog").count(), 0);
    assert.equal((await fixture.thread(threads.approve!)).status, "awaiting_approval");
    await page.locator("#search").fill("");
  });

  it("j and k move between cards; a approves the current one", async () => {
    await page.locator("h1").focus();
    await page.keyboard.press("j");
    assert.equal(await focusedCard(), threads.approve);
    await page.keyboard.press("j");
    assert.equal(await focusedCard(), threads.reject);
    await page.keyboard.press("k");
    assert.equal(await focusedCard(), threads.approve);
    await page.keyboard.press("a");
    await card("approve").getByText("Approved divide").waitFor();
    assert.equal((await settled("approve", "done")).events.at(-1)!.message, "The result is 0.75.");
    assert.equal(await focusedCard(), threads.approve, "the card keeps the focus");
  });

  it("r opens the rejection comment, where Enter sends it and Shift+Enter is a new line", async () => {
    await page.keyboard.press("j");
    assert.equal(await focusedCard(), threads.reject);
    await page.keyboard.press("r");
    const comment = card("reject").getByLabel("Comment for the agent (it reads this)");
    await waitFor("the comment box to have the focus", async () => comment.evaluate((box) => box === document.activeElement));
    // Typed into the box, not taken as shortcuts.
    await page.keyboard.type("Use 5 as the divisor");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("please");
    assert.equal(await comment.inputValue(), "Use 5 as the divisor\nplease");
    await page.keyboard.press("Enter");
    await card("reject").getByText("Rejected divide").waitFor();
    const thread = await waitFor("the rejection", async () => {
      const current = await fixture.thread(threads.reject!);
      return current.events.some((event) => event.type === "approval_decision") && current;
    });
    const decision = thread.events.find((event) => event.type === "approval_decision")!;
    assert.equal(decision.approved, false);
    assert.equal(decision.comment, "Use 5 as the divisor\nplease");
  });

  it("Enter sends a free-text answer; Shift+Enter is a new line in it", async () => {
    const answer = card("question").getByLabel("Your answer");
    await answer.focus();
    await page.keyboard.type("2");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("3");
    await page.keyboard.press("Enter");
    await card("question").getByText("Answer sent").waitFor();
    const thread = await settled("question", "done");
    assert.equal(thread.events.find((event) => event.type === "human_response")!.text, "2\n3");
    assert.equal(thread.events.at(-1)!.message, "The result is 5.");
  });

  it("Enter on a choice sends it", async () => {
    await card("choice").getByLabel("multiply").focus();
    await page.keyboard.press("Space");
    await page.keyboard.press("Enter");
    await card("choice").getByText("Answer sent").waitFor();
    assert.equal((await settled("choice", "done")).events.at(-1)!.message, "You chose multiply.");
  });

  it("e opens the argument form; Enter is a new line in a list, Ctrl+Enter sends the form", async () => {
    await card("note").focus();
    await page.keyboard.press("e");
    const title = card("note").getByLabel("title");
    await waitFor("the first field to have the focus", async () => title.evaluate((field) => field === document.activeElement));
    await title.fill("release notes");
    const tags = card("note").getByLabel("tags");
    await tags.focus();
    await page.keyboard.press("End");
    await page.keyboard.press("ControlOrMeta+End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("web");
    assert.equal(await tags.inputValue(), "<b>bold</b>\nops\nweb");
    assert.equal((await fixture.thread(threads.note!)).status, "awaiting_approval", "Enter in a list did not send");
    await page.keyboard.press("Control+Enter");
    const thread = await settled("note", "done");
    const decision = thread.events.find((event) => event.type === "approval_decision")!;
    assert.equal((decision.args as { title: string }).title, "release notes");
    assert.deepEqual((decision.args as { tags: string[] }).tags, ["<b>bold</b>", "ops", "web"]);
  });

  it("Enter sends a new message on a thread page", async () => {
    await page.goto(`${fixture.url}/#/threads/${threads.approve}`);
    await page.getByText("Live: new events appear").waitFor();
    await page.getByLabel("Send the agent a new message").fill("divide 8 by 2");
    await page.getByLabel("Send the agent a new message").press("Enter");
    await page.locator('ol.timeline li[data-type="user_input"]').getByText("divide 8 by 2").waitFor();
    assert.equal(await page.getByLabel("Send the agent a new message").inputValue(), "");
  });
});
