/**
 * A handoff in Chromium: a thread the calculator handed to the ops agent is listed in the inbox
 * under ops (with who handed it over), and its thread page shows the handoff in the timeline.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { Thread } from "agentfold";
import { hashArgs } from "agentfold/runtime";
import { launchBrowser } from "./support/browser.ts";
import { deployArgs, startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";

const id = "thr_handed_off";

describe("a handoff in the web UI", { timeout: 60_000 }, () => {
  let fixture: FixtureServer;
  let browser: Browser;
  let page: Page;
  before(async () => {
    fixture = await startFixtureServer({
      // The thread as the runner leaves it: calculator's model handed off, ops' deploy waits for approval.
      seed: async (store) => {
        const thread = Thread.create({ id, agent: "calculator" }).append([
          { type: "user_input", text: "deploy api, please" },
          { type: "model_decision", calls: [{ callId: "call_1_0", intent: "transfer_to_ops", args: { reason: "a deploy" } }] },
          { type: "handoff", callId: "call_1_0", from: "calculator", to: "ops", reason: "The person wants a deploy." },
          { type: "model_decision", calls: [{ callId: "call_3_0", intent: "deploy", args: deployArgs }] },
          {
            type: "approval_requested",
            callId: "call_3_0",
            intent: "deploy",
            args: deployArgs,
            argsHash: hashArgs(deployArgs),
          },
        ]);
        await store.create(thread);
      },
    });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("the inbox lists the request under the agent it was handed to, and who handed it over", async () => {
    await page.goto(fixture.url);
    const card = page.locator(`article.card[data-thread-id="${id}"]`);
    await card.waitFor();
    assert.match((await card.locator(".card-meta").textContent()) ?? "", /^ops \(handed off by calculator\) · /);
  });

  it("the thread page shows the handoff in the timeline", async () => {
    await page.goto(`${fixture.url}/#/threads/${id}`);
    const entry = page.locator('li.event[data-type="handoff"]');
    await entry.waitFor();
    assert.equal(await entry.locator(".event-title").textContent(), "Handed off from calculator to ops");
    assert.match((await entry.textContent()) ?? "", /The person wants a deploy\./);
  });
});
