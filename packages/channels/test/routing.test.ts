/** Routing: per agent, per tool, escalations to another audience, the origin as fallback, and config errors. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Thread } from "agentfold";
import { createChannels, routeFor, webhookChannel, type DeliverableItem, type RouteRule } from "../src/index.ts";

const thread = Thread.start("go", { agent: "deploybot" });
const approval: DeliverableItem = { kind: "approval", callId: "c1", intent: "deploy_backend", args: {}, argsHash: "h", since: "" };
const escalation: DeliverableItem = {
  kind: "question",
  callId: "c2",
  reason: "escalation",
  question: "stuck",
  urgency: "high",
  format: "free_text",
  since: "",
};
const question: DeliverableItem = { ...escalation, callId: "c3", reason: "question" };

const rules: RouteRule[] = [
  { when: { reason: "escalation" }, send: [{ channel: "email", people: ["oncall@example.com"] }] },
  {
    when: { agent: "deploybot", intent: "deploy_backend" },
    send: [
      { channel: "slack", people: ["U_ALEX"], target: "C_DEPLOYS" },
      { channel: "webhook", people: ["audit"] },
    ],
  },
  { when: { agent: "deploybot" }, send: [{ channel: "slack", people: "anyone", target: "C_GENERAL" }] },
];

describe("routing", () => {
  it("sends escalations to their own audience, tools to theirs, the rest by agent", () => {
    assert.deepEqual(routeFor(rules, thread, escalation, undefined), [{ channel: "email", people: ["oncall@example.com"] }]);
    assert.deepEqual(
      routeFor(rules, thread, approval, undefined).map((send) => send.channel),
      ["slack", "webhook"],
    );
    assert.deepEqual(routeFor(rules, thread, question, undefined), [{ channel: "slack", people: "anyone", target: "C_GENERAL" }]);
  });

  it("falls back to the channel and person that started the thread", () => {
    const origin = { channel: "slack", person: "U_SAM", data: {} };
    assert.deepEqual(routeFor([], thread, question, origin), [{ channel: "slack", people: ["U_SAM"] }]);
    assert.deepEqual(routeFor([], thread, question, undefined), []);
  });

  it("refuses rules that name a missing channel or no people", () => {
    const webhooks = webhookChannel({ hooks: { audit: { secret: `whsec_${Buffer.from("0123456789").toString("base64")}` } } });
    assert.throws(
      () => createChannels({ channels: [webhooks], routing: [{ send: [{ channel: "slack", people: ["U1"] }] }] }),
      /channel "slack", which is not configured/,
    );
    assert.throws(
      () => createChannels({ channels: [webhooks], routing: [{ send: [{ channel: "webhook", people: [] }] }] }),
      /"people" must list who may decide/,
    );
    assert.throws(
      () => createChannels({ schedules: [{ agent: "a", cron: "not a cron", message: "x" }] }),
      /cron pattern "not a cron" is invalid/,
    );
  });
});
