/**
 * Slack end to end, in-process: the real WebClient talks to a local stand-in for Slack's Web API,
 * and the tests sign interaction and event requests as Slack does.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createMemoryStore } from "agentfold/testing";
import { z } from "zod";
import { createServer } from "@agentfold/server";
import { createChannels, signSlackRequest, slackChannel, verifySlackRequest, type Channels } from "../src/index.ts";
import { startSlackStandIn, type SlackStandIn } from "./support/slack-stand-in.ts";
import { createTestAgents, createTestModel, type TestAgents } from "./support/test-agents.ts";

const secret = "test-signing-secret";
let standIn: SlackStandIn;
let channels: Channels;
let agents: TestAgents;
let app: ReturnType<typeof createServer>["app"];
let store: ReturnType<typeof createMemoryStore>;

const now = () => Math.floor(Date.now() / 1000);

function signedRequest(
  path: string,
  body: string,
  type: string,
  options: { timestamp?: number; signature?: string; headers?: Record<string, string> } = {},
) {
  const timestamp = options.timestamp ?? now();
  return app.request(path, {
    method: "POST",
    headers: {
      "content-type": type,
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": options.signature ?? signSlackRequest(secret, timestamp, body),
      ...options.headers,
    },
    body,
  });
}
const interaction = (payload: object, options = {}) =>
  signedRequest(
    "/v1/slack/interactions",
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    "application/x-www-form-urlencoded",
    options,
  );
const slackEvent = (body: object, options = {}) => signedRequest("/v1/slack/events", JSON.stringify(body), "application/json", options);

async function launch(agent: string, message = "go") {
  const response = await app.request("/v1/threads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ agent, message }),
  });
  const thread = (await response.json()) as { id: string; status: string; pending: { callId: string }[] };
  await channels.idle();
  return thread;
}

/** The last message posted for a thread, with its buttons. */
function postedFor(threadId: string) {
  const call = standIn.callsOf("chat.postMessage").findLast((candidate) => JSON.stringify(candidate.args.blocks ?? "").includes(threadId));
  assert.ok(call, `no Slack message for ${threadId}`);
  const buttons = (call.args.blocks as any[]).flatMap((block) => (block.type === "actions" ? block.elements : []));
  return { call, buttons, button: (actionId: string) => buttons.find((button: any) => button.action_id === actionId) };
}

/** The ts of a delivered Slack message, from its delivery record. */
const slackTs = (record: unknown) => z.object({ ts: z.string() }).parse(record).ts;

const click = (user: string, button: any, ts: string, trigger = `trigger-${Math.random()}`) => ({
  type: "block_actions",
  user: { id: user },
  channel: { id: "C_OPS" },
  message: { ts },
  trigger_id: trigger,
  actions: [{ action_id: button.action_id, value: button.value }],
});

async function load(threadId: string) {
  const thread = await store.load(threadId);
  assert.ok(thread);
  return thread;
}

before(async () => {
  standIn = await startSlackStandIn();
  agents = createTestAgents();
  store = createMemoryStore();
  channels = createChannels({
    channels: [slackChannel({ token: "xoxb-test", signingSecret: secret, apiUrl: standIn.url, agent: "asker" })],
    routing: [{ send: [{ channel: "slack", people: ["U_ALEX"], target: "C_OPS" }] }],
    sweepIntervalMs: 0,
    onError: (error, where) => console.error(where, error),
  });
  ({ app } = createServer({
    store,
    agents: [agents.calculator, agents.asker],
    model: createTestModel(),
    apiKeys: false,
    extensions: [channels],
  }));
});
after(async () => {
  await channels.close();
  await standIn.close();
});

describe("Slack request signatures", () => {
  it("verifies Slack's published example signature", () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const input = { signingSecret: "8f742231b10e8888abcd99yyyzzz85a5", rawBody: body, timestamp: "1531420618", now: 1531420618 };
    assert.deepEqual(verifySlackRequest({ ...input, signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" }), {
      ok: true,
    });
    assert.equal(
      verifySlackRequest({ ...input, signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b504" }).ok,
      false,
    );
    assert.equal(
      verifySlackRequest({
        ...input,
        now: 1531420618 + 301,
        signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
      }).ok,
      false,
    );
  });

  it("answers 401 to forged, stale and unsigned requests, and changes nothing", async () => {
    const body = JSON.stringify({
      type: "event_callback",
      event_id: "Ev_forged",
      event: { type: "app_mention", user: "U_ALEX", channel: "C_OPS", text: "<@UBOT> hi", ts: "1.1" },
    });
    const forged = await slackEvent(JSON.parse(body), { signature: signSlackRequest("wrong-secret", now(), body) });
    assert.equal(forged.status, 401);
    const stale = await slackEvent(JSON.parse(body), { timestamp: now() - 301 });
    assert.equal(stale.status, 401);
    assert.match(((await stale.json()) as any).error.message, /5 minutes/);
    const unsigned = await app.request("/v1/slack/events", { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(unsigned.status, 401);
    const tampered = await signedRequest("/v1/slack/events", body, "application/json", {
      signature: signSlackRequest(secret, now(), body.replace("hi", "ho")),
    });
    assert.equal(tampered.status, 401);
    await channels.idle();
    assert.equal((await store.list({})).threads.length, 0);
  });

  it("answers 400 naming the field when a signed payload of a kind we act on has a wrong field", async () => {
    for (const [response, field] of [
      [await interaction({ type: "block_actions", user: { id: 7 }, actions: [] }), "user.id"],
      [
        await interaction({ type: "view_submission", user: { id: "U_ALEX" }, view: { callback_id: "agentfold_reject" } }),
        "view.private_metadata",
      ],
      [
        await slackEvent({ type: "event_callback", event_id: "Ev_bad", event: { type: "message", channel: "C_OPS", text: "hi" } }),
        "event.ts",
      ],
      [await slackEvent({ type: "url_verification", challenge: 42 }), "challenge"],
    ] as const) {
      assert.equal(response.status, 400);
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "invalid_request");
      assert.ok(error.message.includes(`at "${field}"`), error.message);
    }
    // Kinds we do not act on are acknowledged, whatever they carry.
    assert.equal((await interaction({ type: "shortcut", user: 1 })).status, 200);
    assert.equal(
      (await slackEvent({ type: "event_callback", event_id: "Ev_reaction", event: { type: "reaction_added", item: {} } })).status,
      200,
    );
  });

  it("answers 400, not 500, to a correctly signed but malformed body", async () => {
    for (const [path, body, type] of [
      ["/v1/slack/events", "{not json", "application/json"],
      ["/v1/slack/events", "[1, 2]", "application/json"],
      ["/v1/slack/interactions", "payload=%7Bnot", "application/x-www-form-urlencoded"],
      ["/v1/slack/interactions", "payload=null", "application/x-www-form-urlencoded"],
    ] as const) {
      const response = await signedRequest(path, body, type);
      assert.equal(response.status, 400, `${path} ${body}`);
      const error = ((await response.json()) as any).error;
      assert.equal(error.code, "invalid_request");
      assert.match(error.message, /not a JSON object/);
    }
  });

  it("answers url_verification with the challenge", async () => {
    const response = await slackEvent({ type: "url_verification", challenge: "abc123" });
    assert.deepEqual(await response.json(), { challenge: "abc123" });
  });
});

describe("Slack approvals", () => {
  it("approve: Block Kit buttons, the click approves once, the message says who approved", async () => {
    const thread = await launch("calculator");
    assert.equal(thread.status, "awaiting_approval");
    const { call, button } = postedFor(thread.id);
    assert.equal(call.args.channel, "C_OPS");
    assert.deepEqual(
      (postedFor(thread.id).buttons as any[]).map((b) => b.text.text),
      ["Approve", "Reject", "Edit"],
    );
    const payload = click("U_ALEX", button("agentfold_approve"), call.args.ts ?? "1700000000.000100");
    const started = Date.now();
    const response = await interaction(payload);
    assert.equal(response.status, 200);
    assert.ok(Date.now() - started < 3000);
    await channels.idle();
    const after = await load(thread.id);
    const decision = after.events.find((event) => event.type === "approval_decision");
    assert.equal(decision?.type === "approval_decision" && decision.actor, "slack:U_ALEX");
    assert.equal(after.status, "done");
    assert.equal(agents.divideRuns.length, 1);
    const update = standIn.callsOf("chat.update").at(-1)!;
    assert.match(update.args.text, /Approved by <@U_ALEX>/);
    assert.ok(!JSON.stringify(update.args.blocks).includes("agentfold_approve"), "the buttons are gone");

    // The same request again (a replay inside the 5-minute window) has no second effect.
    assert.equal((await interaction(payload)).status, 200);
    await channels.idle();
    assert.equal(agents.divideRuns.length, 1);
    assert.equal((await load(thread.id)).version, after.version);
  });

  it("a person not in the audience gets an ephemeral 'not allowed' and nothing changes", async () => {
    const thread = await launch("calculator");
    const { button } = postedFor(thread.id);
    await interaction(click("U_MALLORY", button("agentfold_approve"), "1.2"));
    await channels.idle();
    const ephemeral = standIn.callsOf("chat.postEphemeral").at(-1)!;
    assert.equal(ephemeral.args.user, "U_MALLORY");
    assert.match(ephemeral.args.text, /not allowed/);
    assert.equal((await load(thread.id)).status, "awaiting_approval");
  });

  it("reject: the button opens a modal for the reason; submitting rejects with it", async () => {
    const thread = await launch("calculator");
    const { button } = postedFor(thread.id);
    await interaction(click("U_ALEX", button("agentfold_reject"), "1.3", "trigger-reject"));
    await channels.idle();
    const opened = standIn.callsOf("views.open").at(-1)!;
    assert.equal(opened.args.trigger_id, "trigger-reject");
    assert.equal(opened.args.view.callback_id, "agentfold_reject");
    const submit = await interaction({
      type: "view_submission",
      user: { id: "U_ALEX" },
      view: {
        callback_id: "agentfold_reject",
        private_metadata: opened.args.view.private_metadata,
        state: { values: { reason: { reason: { type: "plain_text_input", value: "not on a Friday" } } } },
      },
    });
    assert.equal(submit.status, 200);
    await channels.idle();
    const decision = (await load(thread.id)).events.find((event) => event.type === "approval_decision");
    assert.ok(decision?.type === "approval_decision" && !decision.approved && decision.comment === "not on a Friday");
    assert.match(standIn.callsOf("chat.update").at(-1)!.args.text, /Rejected by <@U_ALEX>: not on a Friday/);
  });

  it("edit: the modal shows the arguments; invalid JSON is refused in the modal; the edited ones run", async () => {
    const thread = await launch("calculator");
    const { button } = postedFor(thread.id);
    await interaction(click("U_ALEX", button("agentfold_edit"), "1.4"));
    await channels.idle();
    const opened = standIn.callsOf("views.open").at(-1)!;
    const input = opened.args.view.blocks[0].element;
    assert.deepEqual(JSON.parse(input.initial_value), { a: 3, b: 4 });
    const submitWith = (value: string) =>
      interaction({
        type: "view_submission",
        user: { id: "U_ALEX" },
        view: {
          callback_id: "agentfold_edit",
          private_metadata: opened.args.view.private_metadata,
          state: { values: { args: { args: { value } } } },
        },
      });
    const invalid = await submitWith("{ a: 3");
    assert.equal(((await invalid.json()) as any).response_action, "errors");
    assert.equal((await submitWith('{ "a": 3, "b": 2 }')).status, 200);
    await channels.idle();
    assert.deepEqual(agents.divideRuns.at(-1), { a: 3, b: 2 });
    assert.equal((await load(thread.id)).status, "done");
  });
});

describe("Slack questions and threads", () => {
  it("answer: yes/no buttons answer the question", async () => {
    const thread = await launch("asker");
    assert.equal(thread.status, "awaiting_human");
    const { buttons, call } = postedFor(thread.id);
    assert.deepEqual(
      buttons.map((b: any) => b.text.text),
      ["yes", "no"],
    );
    await interaction(click("U_ALEX", buttons[0], call.args.ts ?? "1.5"));
    await channels.idle();
    const response = (await load(thread.id)).events.find((event) => event.type === "human_response");
    assert.ok(response?.type === "human_response" && response.text === "yes" && response.actor === "slack:U_ALEX");
    assert.match(standIn.callsOf("chat.update").at(-1)!.args.text, /Answered by <@U_ALEX>: yes/);
  });

  it("a reply in the question's Slack thread answers it; a retried event is processed once", async () => {
    const thread = await launch("asker");
    const questionTs = await channels.store.getDelivery({
      channel: "slack",
      threadId: thread.id,
      callId: (await load(thread.id)).pending[0]!.callId,
    });
    const body = {
      type: "event_callback",
      event_id: "Ev_reply_1",
      event: { type: "message", channel: "C_OPS", user: "U_ALEX", text: "no", ts: "1800000000.1", thread_ts: slackTs(questionTs?.record) },
    };
    assert.equal((await slackEvent(body)).status, 200);
    assert.equal((await slackEvent(body, { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } })).status, 200);
    await channels.idle();
    const events = (await load(thread.id)).events;
    assert.equal(events.filter((event) => event.type === "human_response").length, 1);
    assert.ok(events.some((event) => event.type === "human_response" && event.text === "no"));
  });

  it("a mention starts a thread; its question is posted in the Slack thread and the answer there resumes it", async () => {
    const before = (await store.list({ agent: "asker" })).threads.length;
    await slackEvent({
      type: "event_callback",
      event_id: "Ev_mention_1",
      event: { type: "app_mention", channel: "C_OPS", user: "U_ALEX", text: "<@UBOT> should we ship?", ts: "1900000000.1" },
    });
    await channels.idle();
    const threads = (await store.list({ agent: "asker" })).threads;
    assert.equal(threads.length, before + 1);
    const thread = await load(threads[0]!.id);
    assert.equal(thread.events[0]?.type === "user_input" && thread.events[0].text, "should we ship?");
    const question = postedFor(thread.id).call;
    assert.equal(question.args.thread_ts, "1900000000.1");
    await slackEvent({
      type: "event_callback",
      event_id: "Ev_mention_reply",
      event: { type: "message", channel: "C_OPS", user: "U_ALEX", text: "yes", ts: "1900000000.2", thread_ts: "1900000000.1" },
    });
    await channels.idle();
    assert.equal((await load(thread.id)).status, "done");
    const final = standIn.callsOf("chat.postMessage").at(-1)!;
    assert.equal(final.args.thread_ts, "1900000000.1");
    assert.match(final.args.text, /finished/);
  });

  it("a reply by someone not allowed does not answer", async () => {
    const thread = await launch("asker");
    const delivery = await channels.store.getDelivery({ channel: "slack", threadId: thread.id, callId: thread.pending[0]!.callId });
    await slackEvent({
      type: "event_callback",
      event_id: "Ev_mallory",
      event: { type: "message", channel: "C_OPS", user: "U_MALLORY", text: "yes", ts: "1.9", thread_ts: slackTs(delivery?.record) },
    });
    await channels.idle();
    assert.equal((await load(thread.id)).status, "awaiting_human");
    assert.match(standIn.callsOf("chat.postEphemeral").at(-1)!.args.text, /not allowed/);
  });
});

describe("Slack not configured", () => {
  it("answers 404 on its endpoints", async () => {
    const saved = { token: process.env.SLACK_BOT_TOKEN, secret: process.env.SLACK_SIGNING_SECRET };
    delete process.env.SLACK_BOT_TOKEN;
    delete process.env.SLACK_SIGNING_SECRET;
    try {
      for (const extension of [createChannels({ channels: [slackChannel()] }), createChannels({})]) {
        const server = createServer({
          store: createMemoryStore(),
          agents: [agents.asker],
          model: createTestModel(),
          apiKeys: { ops: "a-long-random-api-key" },
          extensions: [extension],
        });
        for (const path of ["/v1/slack/events", "/v1/slack/interactions"]) {
          const response = await server.app.request(path, { method: "POST", body: "{}" });
          assert.equal(response.status, 404);
          assert.match(((await response.json()) as any).error.message, /SLACK_BOT_TOKEN/);
        }
      }
    } finally {
      if (saved.token !== undefined) process.env.SLACK_BOT_TOKEN = saved.token;
      if (saved.secret !== undefined) process.env.SLACK_SIGNING_SECRET = saved.secret;
    }
  });
});
