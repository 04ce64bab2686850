/**
 * Deadlines that remind or escalate reach people: once an approval's deadline passes undecided, the
 * hub sends it again on Slack (the local stand-in) — a reminder to the routed channel and people, an
 * escalation to the deadline's `to` people, who may then decide it — once, sweeps included. The same
 * notice on a signed webhook carries `notice: { kind, by, to }`.
 */
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Agent } from "agentfold";
import { createFakeClock, createMemoryStore, ScriptedModel, type FakeClock } from "agentfold/testing";
import { createRunner, createServer } from "@agentfold/server";
import { createChannels, signSlackRequest, slackChannel, webhookChannel, type Channels } from "../src/index.ts";
import { decidingAudience, noticeSends } from "../src/hub/deadline-notices.ts";
import type { DeliverableItem } from "../src/index.ts";
import { startSlackStandIn, type SlackStandIn } from "./support/slack-stand-in.ts";

const secret = "slack-signing-secret";
const hourMs = 3_600_000;

/** An agent whose `deploy` needs approval within an hour, else `action` (to `to`). */
function deployer(name: string, action: "remind" | "escalate", to?: string[]): Agent {
  const deploy = defineTool({
    intent: "deploy",
    description: "deploy a version",
    args: z.object({ version: z.string() }),
    approval: "required",
    deadline: { afterMs: hourMs, action, ...(to ? { to } : {}) },
    run: ({ version }) => `deployed ${version}`,
  });
  return defineAgent({ name, tools: [deploy, doneForNow()] });
}

const model = new ScriptedModel([
  { intent: "deploy", version: "2.0" },
  { intent: "done_for_now", message: "deployed" },
]);

describe("deadline notices on Slack", () => {
  let standIn: SlackStandIn;
  let channels: Channels;
  let clock: FakeClock;
  let app: ReturnType<typeof createServer>["app"];
  let runner: ReturnType<typeof createRunner>;

  before(async () => {
    standIn = await startSlackStandIn();
    clock = createFakeClock();
    const store = createMemoryStore();
    channels = createChannels({
      channels: [slackChannel({ token: "xoxb-test", signingSecret: secret, apiUrl: standIn.url })],
      routing: [{ send: [{ channel: "slack", people: ["U_ALEX"], target: "C_OPS" }] }],
      sweepIntervalMs: 0,
      onError: (error, where) => console.error(where, error),
    });
    const agents = [deployer("reminded", "remind"), deployer("escalated", "escalate", ["U_BOSS"])];
    runner = createRunner({ store, agents, model, clock, onError: (error) => console.error(error) });
    ({ app } = createServer({ store, agents, model, runner, apiKeys: false, extensions: [channels] }));
  });
  after(async () => {
    await runner.close();
    await channels.close();
    await standIn.close();
  });

  async function launch(agent: string): Promise<{ id: string; pending: { callId: string }[] }> {
    const response = await app.request("/v1/threads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent, message: "deploy 2.0" }),
    });
    const thread = (await response.json()) as { id: string; status: string; pending: { callId: string }[] };
    assert.equal(thread.status, "awaiting_approval", JSON.stringify(thread));
    await channels.idle();
    return thread;
  }

  /** The messages posted about a thread, oldest first. */
  const postedFor = (threadId: string) =>
    standIn.callsOf("chat.postMessage").filter((call) => JSON.stringify(call.args.blocks ?? "").includes(threadId));

  /** Lets the deadline pass: the runner's advance records `deadline_passed`; the hub hears of the append. */
  async function passDeadline(threadId: string): Promise<void> {
    await clock.advance(hourMs + 1);
    await runner.advance(threadId);
    await channels.idle();
  }

  it("a reminder goes to the same channel and people once the deadline passes, once", async () => {
    const thread = await launch("reminded");
    assert.equal(postedFor(thread.id).length, 1, "the request itself");

    await passDeadline(thread.id);
    const posted = postedFor(thread.id);
    assert.equal(posted.length, 2, "and one reminder");
    const reminder = posted[1]!.args;
    assert.equal(reminder.channel, "C_OPS");
    assert.match(reminder.text, /^Reminder: this was to be decided by 2026-01-01T01:00:00.000Z and still waits\./);
    assert.match(JSON.stringify(reminder.blocks), /<@U_ALEX>/, "addressed to the routed people");
    assert.match(JSON.stringify(reminder.blocks), /agentfold_approve/, "with the buttons");

    await runner.advance(thread.id);
    await channels.sweep();
    await channels.idle();
    assert.equal(postedFor(thread.id).length, 2, "neither another append nor a sweep sends it again");
  });

  it("an escalation goes to the deadline's people, who may then decide it from Slack", async () => {
    const thread = await launch("escalated");
    await passDeadline(thread.id);
    const posted = postedFor(thread.id);
    assert.equal(posted.length, 2);
    const escalation = posted[1]!;
    assert.match(escalation.args.text, /^Escalated to you: /);
    assert.match(JSON.stringify(escalation.args.blocks), /<@U_BOSS>/);
    assert.doesNotMatch(JSON.stringify(escalation.args.blocks), /<@U_ALEX>/);

    const approve = (escalation.args.blocks as any[])
      .flatMap((block) => (block.type === "actions" ? block.elements : []))
      .find((button: any) => button.action_id === "agentfold_approve");
    const body = new URLSearchParams({
      payload: JSON.stringify({
        type: "block_actions",
        user: { id: "U_BOSS" },
        channel: { id: "C_OPS" },
        message: { ts: escalation.result.ts },
        trigger_id: "trigger-boss",
        actions: [{ action_id: approve.action_id, value: approve.value }],
      }),
    }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await app.request("/v1/slack/interactions", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signSlackRequest(secret, timestamp, body),
      },
      body,
    });
    assert.equal(response.status, 200);
    await channels.idle();
    await runner.advance(thread.id);
    const stored = (await (await app.request(`/v1/threads/${thread.id}`)).json()) as { status: string; events: any[] };
    const decision = stored.events.find((event) => event.type === "approval_decision");
    assert.equal(decision?.approved, true, JSON.stringify(stored.events.map((event) => event.type)));
    assert.equal(decision.actor, "slack:U_BOSS");
  });
});

describe("deadline notices on a webhook", () => {
  it("the notice is the same event again, with notice { kind, by, to }", async () => {
    const received: any[] = [];
    const receiver: Server = createHttpServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        received.push({ path: request.url, ...JSON.parse(body) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.address() as AddressInfo;
    const clock = createFakeClock();
    const store = createMemoryStore();
    const hookSecret = `whsec_${Buffer.from("ops-secret-0123456789abcdef").toString("base64")}`;
    const channels = createChannels({
      channels: [
        webhookChannel({
          hooks: {
            ops: { secret: hookSecret, url: `http://127.0.0.1:${port}/hook` },
            oncall: { secret: hookSecret, url: `http://127.0.0.1:${port}/oncall` },
          },
        }),
      ],
      routing: [{ send: [{ channel: "webhook", people: ["ops"] }] }],
      sweepIntervalMs: 0,
      onError: (error, where) => console.error(where, error),
    });
    const agents = [deployer("escalated", "escalate", ["webhook:oncall"])];
    const runner = createRunner({ store, agents, model, clock, onError: (error) => console.error(error) });
    const { app } = createServer({ store, agents, model, runner, apiKeys: false, extensions: [channels] });
    try {
      const response = await app.request("/v1/threads", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ agent: "escalated", message: "deploy 2.0" }),
      });
      const thread = (await response.json()) as { id: string };
      await channels.idle();
      assert.deepEqual(
        received.map((event) => [event.path, event.type, event.data.notice]),
        [["/hook", "approval.requested", undefined]],
      );
      await clock.advance(hourMs + 1);
      await runner.advance(thread.id);
      await channels.idle();
      assert.equal(received.length, 2, "one notice, to the hook named in to");
      assert.equal(received[1].path, "/oncall");
      assert.equal(received[1].type, "approval.requested");
      assert.equal(received[1].data.threadId, thread.id);
      assert.deepEqual(received[1].data.notice, { kind: "escalation", by: "2026-01-01T01:00:00.000Z", to: ["webhook:oncall"] });
    } finally {
      await runner.close();
      await channels.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe("where a notice goes", () => {
  const routes = [
    { channel: "slack", people: ["U_ALEX"], target: "C_OPS" },
    { channel: "email", people: ["alex@example.com"] },
  ];
  const item = (deadline: object | undefined) =>
    ({
      kind: "approval",
      callId: "call_1",
      intent: "deploy",
      args: {},
      argsHash: "h",
      since: "",
      ...(deadline ? { deadline } : {}),
    }) as DeliverableItem;
  const names = ["slack", "email", "webhook"];

  it("nowhere before the deadline passed, nor for a deadline that rejects", () => {
    assert.deepEqual(noticeSends(routes, item(undefined), names), []);
    assert.deepEqual(noticeSends(routes, item({ by: "t", action: "remind", passed: false }), names), []);
    assert.deepEqual(noticeSends(routes, item({ by: "t", action: "reject", passed: true }), names), []);
  });

  it("a reminder on every route; an escalation's bare entry on every routed channel, a prefixed one on its channel", () => {
    assert.deepEqual(noticeSends(routes, item({ by: "t", action: "remind", passed: true }), names), routes);
    const escalated = item({ by: "t", action: "escalate", to: ["U_BOSS", "webhook:oncall", "mailto:x"], passed: true });
    assert.deepEqual(noticeSends(routes, escalated, names), [
      { channel: "slack", people: ["U_BOSS", "mailto:x"], target: "C_OPS" },
      { channel: "email", people: ["U_BOSS", "mailto:x"] },
      { channel: "webhook", people: ["oncall"] },
    ]);
    assert.deepEqual(decidingAudience(routes, escalated, "slack", names), {
      channel: "slack",
      people: ["U_ALEX", "U_BOSS", "mailto:x"],
      target: "C_OPS",
    });
    assert.deepEqual(decidingAudience(routes, escalated, "webhook", names), { channel: "webhook", people: ["oncall"] });
  });
});
