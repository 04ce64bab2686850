/**
 * The inbox with more waiting threads than one page of the list API holds: it follows `nextCursor`,
 * and on later refreshes fetches only the threads whose version changed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { Thread } from "agentfold";
import { hashArgs } from "agentfold/runtime";
import { launchBrowser } from "./support/browser.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";
import { waitFor } from "./support/wait.ts";

/** More than the 200 a list page of the inbox holds. */
const waiting = 230;

/** Instead of the UI's 3 s: the second test watches two refreshes go by. */
const inboxRefreshMs = 150;

/** A calculator thread paused on a divide that needs approval, as the runner would have stored it. */
function pausedThread(index: number): Thread {
  const args = { a: index, b: 2 };
  const callId = `call-${index}`;
  return Thread.start(`divide ${index} by 2`, { agent: "calculator" }).append([
    { type: "model_decision", calls: [{ callId, intent: "divide", args }], model: "script:seed" },
    { type: "approval_requested", callId, intent: "divide", args, argsHash: hashArgs(args) },
  ]);
}

describe("an inbox with many waiting threads", { timeout: 90_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let page: Page;
  /** GET /v1/threads/:id requests, by thread id. */
  const threadFetches = new Map<string, number>();
  /** Each refresh lists the threads awaiting a human once (there are none, so one page). */
  let refreshes = 0;
  let firstId = "";

  before(async () => {
    fixture = await startFixtureServer({
      inboxRefreshMs,
      seed: async (store) => {
        const threads = Array.from({ length: waiting }, (_, index) => pausedThread(index));
        firstId = threads[0]!.id;
        await Promise.all(threads.map((thread) => store.create(thread)));
      },
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      const thread = /^\/v1\/threads\/([^/]+)$/.exec(path)?.[1];
      if (thread) threadFetches.set(thread, (threadFetches.get(thread) ?? 0) + 1);
      else if (path === "/v1/threads" && new URL(request.url()).searchParams.get("status") === "awaiting_human") refreshes += 1;
    });
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("counts and shows every waiting thread, past the first page", async () => {
    await page.goto(fixture.url);
    await page.locator("#inbox-list article.card").first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator("#inbox-count").textContent(), String(waiting));
    assert.equal(await page.locator("#inbox-list article.card").count(), waiting);
  });

  it("does not fetch unchanged threads again on later refreshes", async () => {
    const seen = refreshes;
    // Two more refreshes have started, so the first of them has finished.
    await waitFor("two more refreshes", async () => refreshes >= seen + 2, 20_000);
    assert.equal(threadFetches.size, waiting);
    assert.deepEqual([...new Set(threadFetches.values())], [1], "each thread was fetched once");

    // A rejection changes one thread: the model asks again with other arguments, and the inbox shows
    // the new call once it sees the thread's new version.
    const response = await fetch(`${fixture.url}/v1/threads/${firstId}/approvals/call-0?wait=0`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ approved: false, comment: "not now" }),
    });
    assert.ok(response.ok, await response.text());
    const card = page.locator(`article.card[data-thread-id="${firstId}"]`);
    await card.locator("pre.args", { hasText: '"b": 1' }).waitFor({ timeout: 20_000 });
    assert.ok(threadFetches.get(firstId)! >= 2);
    assert.deepEqual(
      [...new Set([...threadFetches].filter(([id]) => id !== firstId).map(([, count]) => count))],
      [1],
      "the others were not fetched again",
    );
    assert.equal(await page.locator("#inbox-count").textContent(), String(waiting));
  });
});
