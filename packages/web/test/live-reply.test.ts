/**
 * The model's reply shown live on the thread page, in Chromium: the pieces a model streams appear
 * before the decision is stored, the stored decision takes their place, a retry drops what the
 * failed attempt wrote, and the page passes axe while the reply shows (desktop and 375 px).
 *
 * The model is held by the test: each call waits for the test to send its pieces
 * (`request.onDelta`, `request.onRetry`) and to give its reply, so nothing depends on timing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Model, ModelReply, ModelRequest } from "agentfold";
import { assertNoAxeViolations } from "./support/axe.ts";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";
import { waitFor } from "./support/wait.ts";

interface HeldCall {
  request: ModelRequest;
  reply: (output: unknown) => void;
}

/** A model whose calls wait in `calls` until the test replies; the server's shutdown ends them. */
function heldModel(): { model: Model; calls: HeldCall[] } {
  const calls: HeldCall[] = [];
  const model: Model = {
    specificationVersion: "v1",
    id: "held:web-test",
    generate: (request) =>
      new Promise<ModelReply>((resolve, reject) => {
        request.signal?.addEventListener("abort", () => reject(request.signal?.reason), { once: true });
        calls.push({ request, reply: (output) => resolve({ output, usage: { inputTokens: 40, outputTokens: 9 } }) });
      }),
  };
  return { model, calls };
}

describe("the live reply on the thread page", { timeout: 90_000 }, () => {
  const { model, calls } = heldModel();
  let fixture: FixtureServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    fixture = await startFixtureServer({ model });
    browser = await launchBrowser();
    // axe opens a helper page in the page's context, so the page gets a context of its own.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  /** Launches a thread without waiting for it, opens its page once the model is called and the page is live. */
  async function openRunningThread(message: string): Promise<{ id: string; call: HeldCall }> {
    const response = await fetch(`${fixture.url}/v1/threads?wait=0`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message }),
    });
    assert.equal(response.status, 202, await response.clone().text());
    const { id } = (await response.json()) as { id: string };
    const call = await waitFor(`the model call of ${message}`, async () => calls.find((held) => held.request.threadId === id));
    await page.goto(`${fixture.url}/#/threads/${id}`);
    // Pieces sent before the page follows the stream are not for it to show (they are never stored).
    await page.getByText("Live: new events appear").waitFor();
    return { id, call };
  }

  /** Waits until the live reply shows exactly `text`, and fails with what it shows instead. */
  async function liveTextIs(text: string): Promise<void> {
    const shown = () => page.evaluate(() => document.querySelector(".live-reply-text")?.textContent ?? "(no live reply)");
    await page
      .waitForFunction((expected) => document.querySelector(".live-reply-text")?.textContent === expected, text, { timeout: 5_000 })
      .catch(async () => assert.equal(await shown(), text, "the live reply"));
  }

  /** The timeline's entries by type, oldest first (the live reply is `model_delta`). */
  const timelineTypes = () =>
    page.locator(".timeline > li").evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.type));

  it("shows the pieces before the decision is stored, then the decision in their place", async () => {
    const { id, call } = await openRunningThread("say hello");
    // Recorded during the call, its event reaches the page after the first pieces (they are not
    // stored, it is): it must not take the reply away.
    call.request.onWarning?.({ kind: "context_window_exceeded", message: "The prompt is longer than the window." });
    call.request.onDelta?.({ type: "text", attempt: 1, text: "Let me " });
    call.request.onDelta?.({ type: "text", attempt: 1, text: "answer." });
    call.request.onDelta?.({ type: "tool_call", attempt: 1, index: 0, toolName: "done_for_now", argsText: "" });
    call.request.onDelta?.({ type: "tool_call", attempt: 1, index: 0, toolName: "done_for_now", argsText: '{"message":"Hel' });
    const partial = 'Let me answer.\ndone_for_now {"message":"Hel';
    await liveTextIs(partial);
    await page.locator('li.event[data-type="model_warning"]').waitFor();
    assert.deepEqual(await timelineTypes(), ["user_input", "model_warning", "model_delta"]);
    await liveTextIs(partial);
    const stored = await fixture.thread(id);
    assert.deepEqual(
      stored.events.map((event) => event.type),
      ["user_input", "model_warning"],
      "the decision is not stored while the reply streams",
    );

    await assertNoAxeViolations(page, "a thread page with a live reply, desktop");
    await page.setViewportSize({ width: 375, height: 812 });
    await assertNoAxeViolations(page, "a thread page with a live reply, 375 px");
    await page.setViewportSize({ width: 1280, height: 900 });

    call.reply({ intent: "done_for_now", message: "Hello there." });
    const decision = page.locator('li.event[data-type="model_decision"]');
    await decision.waitFor();
    assert.match((await decision.textContent()) ?? "", /Hello there\./);
    assert.equal(await page.locator(".live-reply").count(), 0, "the stored decision replaces the live reply");
  });

  it("drops the first attempt's pieces when a retry starts", async () => {
    const { call } = await openRunningThread("say goodbye");
    call.request.onDelta?.({ type: "text", attempt: 1, text: "First try, cut off" });
    await liveTextIs("First try, cut off");

    call.request.onRetry?.({ attempt: 1, status: 529, waitMs: 0, message: "overloaded" });
    call.request.onDelta?.({ type: "text", attempt: 2, text: "Second " });
    call.request.onDelta?.({ type: "text", attempt: 2, text: "try" });
    await liveTextIs("(attempt 2) Second try");
    // The recorded retry is an event: it goes into the timeline above the reply, which stays.
    await page.locator('li.event[data-type="model_call_retried"]').waitFor();
    assert.deepEqual(await timelineTypes(), ["user_input", "model_call_retried", "model_delta"]);
    await liveTextIs("(attempt 2) Second try");

    call.reply({ intent: "done_for_now", message: "Goodbye." });
    await page.locator('li.event[data-type="model_decision"]').waitFor();
    assert.equal(await page.locator(".live-reply").count(), 0);
  });
});
