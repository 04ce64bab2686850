/**
 * The UI in Debian's Chromium against a real server (loopback port, SQLite file, the calculator
 * example and a scripted model): approve with edited arguments, reject with a comment, answer
 * questions, fork, follow a thread live, escape untrusted text, and ask for an API key.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, xss, type FixtureServer } from "./support/fixture-server.ts";
import { waitFor } from "./support/wait.ts";

const screenshots = join(import.meta.dirname, "../../../test-output/screenshots");
mkdirSync(screenshots, { recursive: true });

/** A card of the inbox or a thread page, by thread id. */
const card = (page: Page, threadId: string) => page.locator(`article.card[data-thread-id="${threadId}"]`);

/** A full-page screenshot without the passing notice (it is fixed to the viewport, so it would land mid-page). */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => {
    const notice = document.getElementById("announcer");
    if (notice) notice.hidden = true;
  });
  await page.screenshot({ path: join(screenshots, name), fullPage: true });
}

describe("web UI in Chromium", { timeout: 120_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const threads: Record<string, string> = {};

  before(async () => {
    fixture = await startFixtureServer();
    for (const [name, message, agent] of [
      ["edit", "divide 3 by 4", "calculator"],
      ["reject", "divide 1 by 0", "calculator"],
      ["question", "add two numbers", "calculator"],
      ["choice", "pick an operation", "calculator"],
      ["note", "save a note", "notes"],
    ] as const) {
      const launched = await fixture.launch(message, agent);
      assert.notEqual(launched.status, "done", `${message} should pause`);
      threads[name] = launched.id;
    }
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("lists every pending approval and question in the inbox, newest first, with filters", async () => {
    await page.goto(fixture.url);
    await page.locator("#inbox-list article.card").nth(4).waitFor();
    const order = await page
      .locator("#inbox-list article.card")
      .evaluateAll((cards) => cards.map((element) => (element as HTMLElement).dataset.threadId));
    assert.deepEqual(order, [threads.note, threads.choice, threads.question, threads.reject, threads.edit]);
    assert.equal(await page.locator("#inbox-count").textContent(), "5");
    await screenshot(page, "inbox.png");

    await page.getByRole("button", { name: "Filters" }).click();
    await page.getByLabel("Urgency").selectOption("high");
    assert.equal(await page.locator("#inbox-list article.card:visible").count(), 1);
    assert.equal(await card(page, threads.question!).count(), 1);
    await page.getByLabel("Urgency").selectOption("");
    await page.getByLabel("Agent").selectOption("notes");
    assert.equal(await page.locator("#inbox-list article.card").count(), 1);
    await page.getByLabel("Agent").selectOption("");
    await page.getByLabel("Kind").selectOption("question");
    assert.equal(await page.locator("#inbox-list article.card").count(), 2);
    await page.getByLabel("Kind").selectOption("");
    assert.equal(await page.locator("#inbox-list article.card").count(), 5);

    await page.setViewportSize({ width: 375, height: 812 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the inbox scrolls sideways at 375 px by ${overflow} px`);
    await screenshot(page, "inbox-phone.png");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("shows HTML in tool arguments as text, and validates edited arguments before sending", async () => {
    const note = card(page, threads.note!);
    assert.ok((await note.locator("pre.args").textContent())!.includes(xss));
    await note.getByRole("button", { name: "Edit arguments…" }).click();
    assert.equal(await note.getByLabel("title").inputValue(), xss);
    assert.equal(await note.getByLabel("tags").inputValue(), "<b>bold</b>\nops");
    assert.equal(await note.getByLabel("priority").inputValue(), "normal");
    assert.equal(await note.getByLabel("pinned").isChecked(), false);
    assert.equal(await page.locator("img").count(), 0, "no element was made from an argument");
    assert.equal(await page.locator("main b, main script").count(), 0);
    assert.deepEqual(dialogs, [], "no script from an argument ran");

    // Invalid values are reported beside their fields and nothing is sent.
    await note.getByLabel("copies").fill("1.5");
    await note.getByLabel("meta").fill("{ not json");
    await note.getByLabel("title").fill("");
    await note.getByRole("button", { name: "Approve with these arguments" }).click();
    assert.match((await note.locator(".field-error:visible").allTextContents()).join(" "), /whole number/);
    assert.match((await note.locator(".field-error:visible").allTextContents()).join(" "), /Not valid JSON/);
    assert.match((await note.locator(".field-error:visible").allTextContents()).join(" "), /Must not be empty/);
    assert.equal(await note.getByLabel("title").getAttribute("aria-invalid"), "true");
    assert.equal((await fixture.thread(threads.note!)).status, "awaiting_approval");

    // Keyboard only: fix the fields and submit with Enter.
    await note.getByLabel("title").fill("release notes");
    await note.getByLabel("copies").fill("2");
    await note.getByLabel("meta").fill('{ "source": "web" }');
    await note.getByLabel("pinned").focus();
    await page.keyboard.press("Space");
    await note.getByLabel("Comment (optional)").fill("fixed the title");
    await note.getByLabel("Comment (optional)").press("Enter");
    const done = await waitFor("the note to be saved", async () => {
      const thread = await fixture.thread(threads.note!);
      return thread.status === "done" && thread;
    });
    const decision = done.events.find((event) => event.type === "approval_decision")!;
    assert.deepEqual(decision.args, {
      title: "release notes",
      tags: ["<b>bold</b>", "ops"],
      priority: "normal",
      pinned: true,
      copies: 2,
      meta: { source: "web" },
    });
    assert.equal(decision.comment, "fixed the title");
    assert.deepEqual(dialogs, []);
  });

  it("approves a divide with edited arguments and shows the thread finish with the edited result", async () => {
    const divide = card(page, threads.edit!);
    await divide.getByRole("button", { name: "Edit arguments…" }).click();
    await divide.getByLabel("a", { exact: true }).fill("9");
    await divide.getByRole("button", { name: "Approve with these arguments" }).click();
    // Stored with the edited arguments (the card's own note can be replaced by the inbox's next refresh
    // on a busy machine; the thread page below shows the decision as the timeline records it).
    await waitFor("the edited approval to be stored", async () => {
      const thread = await fixture.thread(threads.edit!);
      const decision = thread.events.find((event) => event.type === "approval_decision");
      return decision?.type === "approval_decision" && (decision.args as { a?: number } | undefined)?.a === 9 && thread;
    });

    await divide.getByRole("link", { name: "open thread" }).click();
    await page.locator("#event-5").waitFor();
    const timeline = page.locator("ol.timeline");
    await timeline.getByText("Approved with edited arguments by anonymous").waitFor();
    await timeline.locator("li.event", { hasText: "Result of divide" }).getByText("2.25").waitFor();
    // Timings where people look: the model call's latency, the tool's run time.
    assert.match(
      (await timeline.locator("li.event", { hasText: "Result of divide" }).locator(".tool-duration").textContent())!,
      /^ran in \d+(\.\d)? (ms|s)$/,
    );
    assert.match((await timeline.locator('li[data-type="model_decision"]').first().textContent())!, / · \d+ ms/);
    await timeline.locator('li[data-type="done"]').getByText("The result is 2.25.").waitFor();
    await page.locator(".meta .status-done").waitFor();
    await page.locator(".context-section .tokens").waitFor();
    assert.match((await page.locator(".context-section .tokens").textContent())!, /^\d[\d,]* tokens/);
    assert.match((await page.locator(".context-section").textContent())!, /<divide_result>/);
    await screenshot(page, "thread-approved.png");
  });

  it("forks a thread at an event into a new thread", async () => {
    await page.getByRole("button", { name: "Fork here at event 1", exact: true }).click();
    await page.waitForFunction((id) => location.hash.startsWith("#/threads/") && !location.hash.includes(id), threads.edit!);
    const forkedId = decodeURIComponent(await page.evaluate(() => location.hash.slice("#/threads/".length)));
    const forked = await waitFor("the fork to pause", async () => {
      const thread = await fixture.thread(forkedId);
      return thread.status === "awaiting_approval" && thread;
    });
    assert.equal(forked.events[0]!.text, "divide 3 by 4");
    await page.locator("ol.timeline li.event").first().getByText("divide 3 by 4").waitFor();
  });

  it("rejects with a comment on the thread page and the model's next step reacts, live", async () => {
    await page.goto(`${fixture.url}/#/threads/${threads.reject}`);
    await page.getByText("Live: new events appear").waitFor();
    const pending = card(page, threads.reject!);
    await pending.getByRole("button", { name: "Reject…" }).click();
    await page.getByLabel("Comment for the agent (it reads this)").fill("Use 5 as the divisor");
    await pending.getByRole("button", { name: "Send rejection" }).click();
    const timeline = page.locator("ol.timeline");
    await timeline.getByText("Rejected by anonymous").waitFor();
    await timeline.locator("blockquote", { hasText: "Use 5 as the divisor" }).waitFor();
    // The model read the comment: its next decision divides by 5, and that waits for approval again.
    const next = timeline.locator('li[data-type="model_decision"]').nth(1);
    await next.waitFor();
    assert.deepEqual(JSON.parse((await next.locator("pre").textContent())!), { a: 1, b: 5 });
    await page.locator(".pending article.card pre.args", { hasText: '"b": 5' }).waitFor();
    await screenshot(page, "thread.png");
    await page.setViewportSize({ width: 375, height: 812 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the thread page scrolls sideways at 375 px by ${overflow} px`);
    await screenshot(page, "thread-phone.png");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("answers a free-text question and a multiple-choice question from the inbox", async () => {
    await page.goto(fixture.url);
    const question = card(page, threads.question!);
    await question.getByLabel("Your answer").fill("2 and 3");
    await question.getByRole("button", { name: "Send answer" }).click();
    await question.getByText("Answer sent").waitFor();
    const choice = card(page, threads.choice!);
    await choice.getByLabel("multiply").check();
    await choice.getByRole("button", { name: "Send answer" }).click();
    await choice.getByText("Answer sent").waitFor();
    const added = await waitFor("the addition", async () => {
      const thread = await fixture.thread(threads.question!);
      return thread.status === "done" && thread;
    });
    assert.equal(added.events.find((event) => event.type === "human_response")!.text, "2 and 3");
    assert.equal(added.events.at(-1)!.message, "The result is 5.");
    const chosen = await waitFor("the choice", async () => {
      const thread = await fixture.thread(threads.choice!);
      return thread.status === "done" && thread;
    });
    assert.equal(chosen.events.at(-1)!.message, "You chose multiply.");
  });

  it("lists threads with status, agent, steps, tokens and cost", async () => {
    await page.goto(`${fixture.url}/#/threads`);
    const row = page.locator(`tr[data-thread-id="${threads.question}"]`);
    await row.locator("td", { hasText: "done" }).waitFor();
    await waitFor("totals", async () => (await row.locator('td[data-label="Steps"]').textContent()) === "3");
    assert.equal(await row.locator('td[data-label="Agent"]').textContent(), "calculator");
    assert.equal(await row.locator('td[data-label="Tokens"]').textContent(), "1,290");
    assert.equal(await row.locator('td[data-label="Cost"]').textContent(), "$0.0006");
    assert.match((await row.locator('td[data-label="Thread"]').textContent())!, /add two numbers/);
    await screenshot(page, "threads.png");
    await page.setViewportSize({ width: 375, height: 812 });
    await screenshot(page, "threads-phone.png");
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(dialogs, []);
  });
});

describe("web UI with API keys", { timeout: 60_000 }, () => {
  it("asks for a key, keeps it for the session only, and follows the stream with it", async () => {
    const fixture = await startFixtureServer({ apiKeys: "alice:correct-horse-battery" });
    const browser = await launchBrowser();
    try {
      const launched = await fixture.launch("divide 8 by 2");
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(fixture.url);
      await page.getByRole("heading", { name: "API key needed" }).waitFor();
      await page.getByLabel("API key").fill("wrong-key-123");
      await page.getByLabel("API key").press("Enter");
      await page.getByText("The server did not accept that key").waitFor();
      await page.getByLabel("API key").fill("correct-horse-battery");
      await page.getByRole("button", { name: "Continue" }).click();
      await card(page, launched.id).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem("agentfold.apiKey")), "correct-horse-battery");
      assert.equal(await page.evaluate(() => localStorage.length), 0);
      assert.ok(!(await context.cookies()).length, "no cookie holds the key");

      await page.goto(`${fixture.url}/#/threads/${launched.id}`);
      await page.getByText("Live: new events appear").waitFor();
      await card(page, launched.id).getByRole("button", { name: "Approve", exact: true }).click();
      await page.locator("ol.timeline").getByText("Approved by alice").waitFor();
      await page.locator('ol.timeline li[data-type="done"]').getByText("The result is 4.").waitFor();

      await page.getByRole("button", { name: "Forget API key" }).click();
      await page.getByRole("heading", { name: "API key needed" }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem("agentfold.apiKey")), null);
    } finally {
      await browser.close();
      await fixture.close();
    }
  });

  it("shows the sign-in form when the stream refuses the key", async () => {
    const fixture = await startFixtureServer({ apiKeys: "alice:correct-horse-battery" });
    const browser = await launchBrowser();
    try {
      const launched = await fixture.launch("divide 8 by 2");
      const page = await browser.newPage();
      await page.goto(fixture.url);
      await page.getByLabel("API key").fill("correct-horse-battery");
      await page.getByLabel("API key").press("Enter");
      await card(page, launched.id).waitFor();
      // The key is revoked while the thread page is open: the page loads, then its stream answers 401.
      await page.route("**/stream?**", (route) =>
        route.fulfill({
          status: 401,
          contentType: "application/json",
          body: JSON.stringify({ error: { code: "unauthorized", message: "Unknown API key." } }),
        }),
      );
      await page.goto(`${fixture.url}/#/threads/${launched.id}`);
      await page.getByRole("heading", { name: "API key needed" }).waitFor({ timeout: 5_000 });
      await page.getByText("The server did not accept that key").waitFor();
    } finally {
      await browser.close();
      await fixture.close();
    }
  });
});
