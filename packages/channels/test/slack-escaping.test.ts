/**
 * Thread text is untrusted (the model may repeat a prompt-injected document): what reaches Slack must
 * not ping the channel, show disguised links or break out of the arguments' code block.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow, type ModelRequest } from "agentfold";
import { ScriptedModel, createMemoryStore } from "agentfold/testing";
import { createServer } from "@agentfold/server";
import { createChannels, signSlackRequest, slackChannel, type Channels } from "../src/index.ts";
import { escapeMrkdwn } from "../src/slack/slack-blocks.ts";
import { startSlackStandIn, type SlackStandIn } from "./support/slack-stand-in.ts";

const secret = "escaping-signing-secret";
const injected = "<!channel> urgent: <https://evil.example/login|Click here to approve> & <@U_BOSS>";
const injectedArgs = { text: "```\n<!everyone> <https://evil.example|Approve>\n```" };
let standIn: SlackStandIn;
let channels: Channels;
let app: ReturnType<typeof createServer>["app"];
const store = createMemoryStore();

/**
 * Every text Slack parses as mrkdwn in calls of `method`: the `text` fallback and each mrkdwn text
 * object. (Rich text `text` elements are shown as typed: mentions and links there are separate elements.)
 */
function sent(method: string): string {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      const object = value as Record<string, unknown>;
      if (object.type === "mrkdwn" && typeof object.text === "string") found.push(object.text);
      Object.values(object).forEach(walk);
    }
  };
  for (const call of standIn.callsOf(method)) {
    if (typeof call.args.text === "string") found.push(call.args.text);
    walk(call.args.blocks);
  }
  assert.ok(found.length > 0, `no ${method} text`);
  return found.join("\n");
}
/** The raw control sequences an attacker wants Slack to act on. */
function assertNoControlSequences(text: string) {
  for (const raw of ["<!channel>", "<!everyone>", "<!here>", "<https://evil", "<@U_BOSS>"])
    assert.ok(!text.includes(raw), `${raw} reached Slack unescaped: ${text}`);
}

before(async () => {
  standIn = await startSlackStandIn();
  const post = defineTool({
    intent: "post",
    description: "post a note",
    args: z.object({ text: z.string() }),
    approval: "required",
    idempotent: true,
    run: () => "posted",
  });
  const writer = defineAgent({ name: "writer", tools: [post, askHuman(), doneForNow()] });
  const model = new ScriptedModel(
    Array.from({ length: 6 }, (_, turn) => (request: ModelRequest) => {
      const said = request.messages.map((message) => message.content).join("\n");
      if (turn > 0) return { intent: "done_for_now", message: `done ${injected}` };
      return said.includes("ask")
        ? { intent: "request_human_input", question: injected, context: injected, format: "free_text" }
        : { intent: "post", ...injectedArgs };
    }),
  );
  channels = createChannels({
    channels: [slackChannel({ token: "xoxb-test", signingSecret: secret, apiUrl: standIn.url, agent: "writer" })],
    routing: [{ send: [{ channel: "slack", people: ["U_ALEX"], target: "C_OPS" }] }],
    sweepIntervalMs: 0,
    onError: (error, where) => console.error(where, error),
  });
  ({ app } = createServer({ store, agents: [writer], model, apiKeys: false, extensions: [channels] }));
});
after(async () => {
  await channels.close();
  await standIn.close();
});

async function launch(message: string) {
  const response = await app.request("/v1/threads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message }),
  });
  const thread = (await response.json()) as { id: string };
  await channels.idle();
  return thread.id;
}
function slackEvent(payload: object) {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  return app.request("/v1/slack/events", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signSlackRequest(secret, timestamp, body),
    },
    body,
  });
}
function interaction(payload: object) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  return app.request("/v1/slack/interactions", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signSlackRequest(secret, timestamp, body),
    },
    body,
  });
}

describe("Slack escaping", () => {
  it("escapes &, < and > exactly as Slack asks, and nothing else", () => {
    assert.equal(escapeMrkdwn("a & b <c> *d* `e`"), "a &amp; b &lt;c&gt; *d* `e`");
  });

  it("a question's text and context arrive escaped: no @channel ping, no disguised link", async () => {
    const threadId = await launch("ask the team");
    const call = standIn.callsOf("chat.postMessage").findLast((candidate) => JSON.stringify(candidate.args.blocks).includes(threadId))!;
    assertNoControlSequences(sent("chat.postMessage"));
    assert.match(
      call.args.text,
      /&lt;!channel&gt; urgent: &lt;https:\/\/evil\.example\/login\|Click here to approve&gt; &amp; &lt;@U_BOSS&gt;/,
    );
    const mrkdwnTexts = (call.args.blocks as any[])
      .flatMap((block) => [block.text?.text, ...(block.elements ?? []).map((element: any) => element.text)])
      .filter(Boolean);
    assert.ok(
      mrkdwnTexts.some((text: string) => text.includes(escapeMrkdwn(injected))),
      "the question and context are shown, escaped",
    );
  });

  it("arguments are shown literally in a preformatted rich_text block; a rejection comment and the final message are escaped", async () => {
    const threadId = await launch("post it");
    const call = standIn.callsOf("chat.postMessage").findLast((candidate) => JSON.stringify(candidate.args.blocks).includes(threadId))!;
    const blocks = call.args.blocks as any[];
    assert.ok(
      !blocks.some((block) => typeof block.text?.text === "string" && block.text.text.includes("```")),
      "no mrkdwn code fence the arguments could close",
    );
    const preformatted = blocks.find((block) => block.type === "rich_text")?.elements?.[0];
    assert.equal(preformatted?.type, "rich_text_preformatted");
    assert.deepEqual(JSON.parse(preformatted.elements[0].text), injectedArgs);
    assert.equal(preformatted.elements[0].type, "text", "a rich text element: shown as typed, never parsed as mrkdwn");

    const value = blocks.flatMap((block) => (block.type === "actions" ? block.elements : []))[0].value as string;
    const metadata = JSON.stringify({ ...JSON.parse(value), channel: "C_OPS", ts: call.result.ts });
    const rejected = await interaction({
      type: "view_submission",
      user: { id: "U_ALEX" },
      view: {
        callback_id: "agentfold_reject",
        private_metadata: metadata,
        state: { values: { reason: { reason: { value: `no ${injected}` } } } },
      },
    });
    assert.equal(rejected.status, 200);
    await channels.idle();
    const update = standIn.callsOf("chat.update").at(-1)!;
    assert.match(update.args.text, /Rejected by <@U_ALEX>: no &lt;!channel&gt;/);
    assertNoControlSequences(sent("chat.update"));
    assertNoControlSequences(sent("chat.postMessage"));
  });

  it("the final message of a thread started in Slack is escaped", async () => {
    await slackEvent({
      type: "event_callback",
      event_id: "Ev_start",
      event: { type: "app_mention", channel: "C_OPS", user: "U_ALEX", text: "<@UBOT> ask me", ts: "1800000000.000100" },
    });
    await channels.idle();
    const question = standIn.callsOf("chat.postMessage").findLast((call) => call.args.thread_ts === "1800000000.000100")!;
    assert.ok(question, "the question is posted in the Slack thread");
    await slackEvent({
      type: "event_callback",
      event_id: "Ev_reply",
      event: { type: "message", channel: "C_OPS", user: "U_ALEX", text: "fine", ts: "1800000000.000200", thread_ts: "1800000000.000100" },
    });
    await channels.idle();
    const final = standIn.callsOf("chat.postMessage").at(-1)!;
    assert.match(final.args.text, /^<@U_ALEX> done &lt;!channel&gt;/);
    assertNoControlSequences(sent("chat.postMessage"));
  });
});
