/**
 * The thread page's waterfall in Chromium: a calculator run's steps, each with its model call
 * (duration, tokens, cost), the wait for the approval (and who gave it) and the tool run; a seeded
 * thread whose model call was retried shows the retries. axe-clean at desktop and 375 px, and no
 * sideways scrolling on a phone.
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

describe("the waterfall on a thread page in Chromium", { timeout: 120_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let divideId = "";
  let retriedId = "";

  /** Each row of the waterfall: its step, kind, and text (label, duration, facts). */
  const waterfallRows = () =>
    page.locator(".waterfall-row").evaluateAll((rows) =>
      rows.map((row) => ({
        step: (row.closest(".waterfall-step") as HTMLElement).dataset.step,
        kind: (row as HTMLElement).dataset.kind,
        label: row.querySelector(".waterfall-label")?.textContent,
        duration: row.querySelector(".waterfall-duration")?.textContent,
        details: row.querySelector(".waterfall-details")?.textContent,
      })),
    );

  before(async () => {
    const clock = createFakeClock("2026-11-30T12:00:00.000Z");
    fixture = await startFixtureServer({
      seedClock: clock,
      seed: async (store) => {
        // A model call retried twice before its reply, then the work done.
        let thread = Thread.start("add 1 and 2", { agent: "calculator", clock });
        const later = (ms: number, events: Parameters<Thread["append"]>[0]) => {
          clock.advance(ms);
          thread = thread.append(events, clock);
        };
        later(400, [{ type: "model_call_retried", model: "openai:gpt-test", attempt: 1, waitMs: 300, message: "overloaded", status: 529 }]);
        later(700, [{ type: "model_call_retried", model: "openai:gpt-test", attempt: 2, waitMs: 600, message: "overloaded", status: 529 }]);
        later(1300, [
          {
            type: "model_decision",
            calls: [{ callId: "call_1_0", intent: "done_for_now", args: { message: "3" } }],
            model: "openai:gpt-test",
            latencyMs: 2400,
            usage: { inputTokens: 1200, outputTokens: 30, cost: 0.0125 },
          },
          { type: "done", message: "3" },
        ]);
        await store.create(thread);
        retriedId = thread.id;
      },
    });
    const launched = await fixture.launch("divide 3 by 4");
    divideId = launched.id;
    const approved = await fetch(`${fixture.url}/v1/threads/${divideId}/approvals/${launched.pending[0]!.callId}?wait=30`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ approved: true }),
    });
    assert.equal(approved.status, 200, await approved.text());
    assert.equal((await fixture.thread(divideId)).status, "done");
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("shows each step of a calculator run: the model call with tokens and cost, the wait for approval, the tool run", async () => {
    await page.goto(`${fixture.url}/#/threads/${divideId}`);
    const section = page.getByRole("region", { name: "Waterfall" });
    await section.locator(".waterfall-step").nth(1).waitFor();
    const rows = await waterfallRows();
    assert.deepEqual(
      rows.map((row) => [row.step, row.kind, row.label]),
      [
        ["1", "model", "Model call: chat script:web-test"],
        ["1", "wait", "Waiting for a person: approval of divide call_1_0"],
        ["1", "tool", "Tool run: divide call_1_0"],
        ["2", "model", "Model call: chat script:web-test"],
      ],
    );
    for (const row of rows) assert.match(row.duration ?? "", /^\d+(\.\d)? (ms|s)$|^\d+ min \d+ s$/, `${row.label} has a duration`);
    assert.match(rows[0]!.details ?? "", /^from \+\d+ ms · 412 in \/ 18 out tokens · \$0\.0002$/);
    assert.match(rows[1]!.details ?? "", / · by anonymous$/);
    assert.deepEqual(await section.locator(".waterfall-step-title").allTextContents(), ["Step 1", "Step 2"], "grouped by step");
    // Every bar lies on the thread's time line: inside its track.
    const bars = await section.locator(".waterfall-bar").evaluateAll((elements) =>
      elements.map((bar) => {
        const track = bar.parentElement!.getBoundingClientRect();
        const box = bar.getBoundingClientRect();
        return box.left >= track.left - 0.5 && box.width > 0 && box.right <= track.right + 0.5;
      }),
    );
    assert.deepEqual(bars, [true, true, true, true]);
    await assertNoAxeViolations(page, "a thread page with its waterfall");
  });

  it("shows the retries of a model call before its reply", async () => {
    await page.goto(`${fixture.url}/#/threads/${retriedId}`);
    await page.locator(".waterfall-row").first().waitFor();
    const rows = await waterfallRows();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.duration, "2.4 s");
    assert.equal(rows[0]!.details, "from +0 ms · 1,200 in / 30 out tokens · $0.01 · 2 retries");
  });

  it("stays readable and axe-clean at 375 px", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${fixture.url}/#/threads/${divideId}`);
    await page.locator(".waterfall-step").nth(1).waitFor();
    await waitFor("the page to settle", async () => (await page.locator(".context-section .tokens").count()) === 1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the thread page scrolls sideways at 375 px by ${overflow} px`);
    await assertNoAxeViolations(page, "a thread page with its waterfall at 375 px");
  });
});
